"""Titles: the given one cleaned, or the first sentence of the text, shortened."""

from __future__ import annotations

import re

__all__ = ["MAX_TITLE_CHARS", "first_sentence", "shorten", "title_from_text"]

MAX_TITLE_CHARS = 120
_SEARCH_CHARS = 2000

# A sentence ends at . ! or ? (optionally closed by a quote or bracket) before a space
# and a capital, digit or opening quote.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[^\W_a-z])")
# Words whose trailing period is not a sentence end.
_ABBREVIATION_WORDS = """
    mr mrs ms dr prof gen sen rep gov lt col capt sgt maj cmdr adm rev fr st jr sr mt ft
    inc corp co ltd bros no nos vs etc al approx dept est fig jan feb mar apr jun jul aug
    sep sept oct nov dec
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())


def _ends_sentence(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return True
    before = text[max(0, dot - 40) : dot]
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip("\"'“‘«([")
    # Initials and dotted abbreviations ("J.", "U.S.") and known ones ("Mr.", "Dec.").
    return not (len(word) == 1 or "." in word or word.lower() in _ABBREVIATIONS)


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph of ``text``."""
    # A title needs no more than the opening of the first paragraph.
    paragraph = text[:_SEARCH_CHARS].split("\n", 1)[0]
    for match in _SENTENCE_END.finditer(paragraph):
        if _ends_sentence(paragraph, match.start()):
            return paragraph[: match.end()].rstrip()
    return paragraph


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


def title_from_text(text: str) -> str | None:
    """A title for an untitled article: its first sentence, shortened; None for no text."""
    sentence = first_sentence(text).strip()
    if sentence.endswith(".") and not sentence.endswith(".."):
        sentence = sentence[:-1]  # headlines carry no full stop
    return shorten(sentence) or None
