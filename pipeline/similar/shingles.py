"""Word shingles over normalised words: what a light edit leaves mostly unchanged."""

from __future__ import annotations

import re

__all__ = ["SHINGLE_WORDS", "shingles", "words"]

# Three words: long enough that unrelated texts on one topic share few, short enough that
# a reworded sentence (a synonym, a moved clause) still keeps most of its shingles.
SHINGLE_WORDS = 3
# Letters and digits only: quotes, dashes, punctuation and spacing, which copies
# normalise differently, never reach a shingle.
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, case-folded, punctuation dropped."""
    return _WORD.findall(text.casefold())


def shingles(tokens: list[str]) -> list[str]:
    """Every run of ``SHINGLE_WORDS`` consecutive words, joined by one space."""
    if len(tokens) < SHINGLE_WORDS:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(run) for run in zip(tokens, tokens[1:], tokens[2:], strict=False)]
