"""Text clean-up: what a reader of the output text would notice."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize.text import _paragraphs, clean_line, clean_text, looks_broken
from tests.unit.normalize.conftest import resource


def test_crlf_and_bom_file_becomes_clean_paragraphs() -> None:
    """A Windows file with a BOM: no BOM, no CR, lines joined, one blank line between."""
    text = clean_text(resource("crlf_bom.txt"))
    assert text == (
        "BRUSSELS: EU ministers met on Monday. They agreed on a plan after long talks."
        "\n\nA second paragraph with tabs and spaces."
    )


def test_lone_carriage_returns_are_line_breaks() -> None:
    """Old Mac line endings separate lines and paragraphs like LF does."""
    assert clean_text("one\rtwo\r\rthree") == "one two\n\nthree"


def test_entities_in_plain_text_are_decoded() -> None:
    """Feeds often escape plain text: entities become the characters they name."""
    assert clean_text("Tom &amp; Jerry&#8217;s &quot;show&quot; &eacute;t&eacute;") == (
        'Tom & Jerry’s "show" été'
    )


def test_ampersands_that_are_not_entities_are_kept() -> None:
    """'AT&T' and 'R&D;' style text is left alone."""
    assert clean_text("AT&T and R & D spent &more") == "AT&T and R & D spent &more"


def test_invisible_characters_are_removed_and_nbsp_becomes_space() -> None:
    """Zero-width spaces, soft hyphens, word joiners and BOMs vanish; NBSP is a space."""
    raw = "\ufeffPrime\u00a0Minister Net\u00adan\u200byahu\u2060 said\u202f10\u00a0%"
    assert clean_text(raw) == "Prime Minister Netanyahu said 10 %"


def test_joiners_that_carry_meaning_are_kept() -> None:
    """ZWNJ in Persian spelling is part of the word, not noise."""
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    """NULs, escapes and unpaired surrogates cannot reach the JSON output."""
    assert clean_text("a\x00b\x1bc\x07d \ud800e") == "abcd e"


def test_text_is_nfc() -> None:
    """Decomposed accents are composed, so equal words compare equal."""
    text = clean_text("Cafe\u0301 Zu\u0308rich")
    assert text == "Café Zürich"
    assert unicodedata.is_normalized("NFC", text)


def test_paragraphs_are_separated_by_exactly_one_blank_line() -> None:
    """Runs of blank or whitespace-only lines collapse to one paragraph break."""
    raw = "  First   line\nsame paragraph  \n\n \t \n\n\nSecond\u2029Third\u2028line\n"
    assert clean_text(raw) == "First line same paragraph\n\nSecond\n\nThird line"


def test_mojibake_is_repaired() -> None:
    """UTF-8 read as Windows-1252 upstream is repaired (ftfy), clean text is untouched."""
    text = clean_text(resource("mojibake.txt"))
    assert text.startswith("Zürich – Officials said the café “Le Départ")
    assert text.endswith("The mayor’s office confirmed it.")
    assert "Ã" not in text and "â€" not in text


def test_c1_controls_are_read_as_windows_1252() -> None:
    """A stray 0x93/0x94 pair (cp1252 quotes decoded as Latin-1) becomes curly quotes."""
    assert clean_text("He said \x93yes\x94.") == "He said “yes”."


def test_correct_non_ascii_text_is_not_touched_by_the_repair() -> None:
    """French guillemets and accents are not mistaken for mojibake."""
    raw = "Le président a dit «très ambitieuse» à l'Élysée — déjà vu."
    assert not looks_broken(raw)
    assert clean_text(raw) == raw


def test_empty_and_blank_inputs_give_empty_text() -> None:
    """Nothing readable gives '' (the stage turns that into InvalidInput)."""
    for raw in ("", "   \n\t\r\n", "\ufeff\u200b", "<p> </p><script>x()</script>"):
        assert clean_text(raw) == ""


def test_clean_line_gives_one_line_without_markup() -> None:
    """Titles are one line of plain text."""
    assert (
        clean_line("  Talks <b>resume</b>\n\n&amp; hopes\r\nrise ") == "Talks resume & hopes rise"
    )


_ODD_TEXT = st.text(alphabet="ab Zé\u0301\n\r\t.,\u00a0\u200b\ufeff\u00ad“\u3000", max_size=80)


@given(_ODD_TEXT)
def test_clean_text_output_shape(raw: str) -> None:
    """Whatever comes in: no CR, no edge or doubled spaces, paragraphs split by one blank
    line, NFC, and cleaning again changes nothing."""
    text = clean_text(raw)
    assert "\r" not in text and "\t" not in text and "\u00a0" not in text
    assert text == text.strip()
    assert "  " not in text and "\n\n\n" not in text and " \n" not in text
    assert all(p and "\n" not in p for p in text.split("\n\n")) or text == ""
    assert unicodedata.is_normalized("NFC", text)
    assert clean_text(text) == text


_LINE_BREAKS = str.maketrans({"\u2029": "\n\n", "\u2028": "\n", "\x0b": "\n", "\x0c": "\n"})


@given(st.text(alphabet="ab \n\t\u00a0\u2009\u3000\u2029\u2028\x0b\x0c", max_size=40))
def test_tidy_fast_path_agrees_with_the_full_paragraph_pass(raw: str) -> None:
    """Text already tidy is returned as is, anything else goes through the full pass."""
    assert clean_text(raw) == _paragraphs(raw.translate(_LINE_BREAKS))
