"""Language identification with py3langid (model bundled, loaded once per process)."""

from __future__ import annotations

import py3langid

__all__ = ["MIN_LETTERS", "SAMPLE_CHARS", "detect_language", "preload"]

# py3langid walks the text byte by byte in Python and then scores every feature seen, so
# its cost grows with the sample (bench/normalize.py prints it): 400 characters (60-70
# words of prose) are plenty for a confident answer at about a quarter of the cost of 2,000.
SAMPLE_CHARS = 400
MIN_LETTERS = 20  # below this the guess is noise


def detect_language(text: str) -> str | None:
    """The ISO 639 code (639-1 where one exists) of ``text``, or None when too short."""
    sample = text[:SAMPLE_CHARS]
    if len(sample) == SAMPLE_CHARS:
        sample = sample.rsplit(None, 1)[0]  # do not feed a cut word
    if sum(map(str.isalpha, sample[: MIN_LETTERS * 4])) < MIN_LETTERS:
        return None
    language, _score = py3langid.classify(sample)
    return None if language in ("und", "zxx") else str(language)


def preload() -> None:
    """Load the language model now (bench/normalize.py prints the cost), not on the first
    article."""
    py3langid.classify("warm up")
