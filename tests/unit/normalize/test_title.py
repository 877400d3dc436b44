"""Titles for untitled articles: the first sentence, shortened at a word boundary."""

from __future__ import annotations

import pytest

from pipeline.normalize.title import MAX_TITLE_CHARS, first_sentence, shorten, title_from_text


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Talks resumed. Officials said so.", "Talks resumed."),
        ("U.S. President Joe Biden spoke on Monday. Then more.", None),
        ("Mr. Smith went to Washington. He said.", "Mr. Smith went to Washington."),
        (
            "Stocks fell 2.5% on Dec. 1 in New York. More.",
            "Stocks fell 2.5% on Dec. 1 in New York.",
        ),
        ("“Leave no stone unturned,” it said. Next.", "“Leave no stone unturned,” it said."),
        ("Is it over? Nobody knows.", "Is it over?"),
        ("No full stop at all", "No full stop at all"),
        ("First paragraph only\n\nSecond paragraph.", "First paragraph only"),
    ],
)
def test_first_sentence(text: str, sentence: str | None) -> None:
    """Abbreviations, initials and decimals do not end a sentence."""
    expected = sentence or "U.S. President Joe Biden spoke on Monday."
    assert first_sentence(text) == expected


def test_short_first_sentence_is_the_title_without_full_stop() -> None:
    """Headlines carry no full stop."""
    assert title_from_text("Talks resumed in Doha. More follows.") == "Talks resumed in Doha"


def test_long_first_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    """No word is cut in half and the title stays within the limit."""
    sentence = "Negotiators " + "from many countries " * 20 + "met."
    title = title_from_text(sentence)
    assert title is not None
    assert len(title) <= MAX_TITLE_CHARS
    assert title.endswith("…")
    assert sentence.startswith(title[:-1])
    assert sentence[len(title) - 1] == " "


def test_shorten_leaves_short_text_alone() -> None:
    """Text within the limit is returned as is."""
    assert shorten("Short title") == "Short title"


def test_shorten_a_single_long_word() -> None:
    """A limit inside one long word still gives a bounded title."""
    assert shorten("x" * 300, limit=10) == "x" * 9 + "…"
