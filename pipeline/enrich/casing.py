"""Read ALL-CAPS lines (headlines, datelines, shouted summaries) in ordinary case.

The small English model leans on capitalisation: in "JAPAN GET LUCKY WIN, CHINA IN
SURPRISE DEFEAT" every word looks like a name. The tokenizer wrapper here hands the
model such lines with each word in the case the same article uses for it elsewhere
(else lower case for function words, Title case for the rest). Only the case of
letters changes, never a length, so every offset into the Doc is an offset into the
text as given; token texts of those lines are the re-cased words.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

__all__ = ["CaseReadingTokenizer", "recase_text", "recase_word", "shouted_lines"]

# A line is read in ordinary case when at least this share of its words are in capitals.
CAPS_SHARE = 0.6
_LINE = re.compile(r"[^\n]*\S[^\n]*")
# A word with two or more letters, and what comes before a sentence's first word.
_CASED_WORD = re.compile(r"[^\W\d_][\w'’.&-]*[^\W\d_]")
_SENTENCE_ENDS = frozenset('.!?:"“‘(•[')


def _is_word(text: str) -> bool:
    return _CASED_WORD.search(text) is not None


def _shouted(line: str) -> bool:
    words = _CASED_WORD.findall(line)
    shouted = sum(map(str.isupper, words))
    return bool(shouted) and shouted >= CAPS_SHARE * len(words)


def shouted_lines(text: str) -> list[str]:
    """The lines of the text written mostly in capitals."""
    return [line.group() for line in _LINE.finditer(text) if _shouted(line.group())]


def _case_evidence(text: str) -> dict[str, str]:
    """How the article writes each word where case carries meaning: not in capitals
    lines, not at the start of a sentence. Capitals inside an ordinary line are an
    acronym ("US officials"), so a headline's "US" is the country only when the article
    writes "US" more often than "us"."""
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in _LINE.finditer(text):
        if _shouted(line.group()):
            continue
        last_end = 0
        for match in _CASED_WORD.finditer(line.group()):
            word, gap = match.group(), line.group()[last_end : match.start()]
            initial = (last_end == 0 and gap.strip() == "") or any(c in _SENTENCE_ENDS for c in gap)
            if not initial or word.isupper():
                seen[word.lower()][word] += 1
            last_end = match.end()
    return {lower: forms.most_common(1)[0][0] for lower, forms in seen.items()}


def recase_word(word: str, evidence: dict[str, str]) -> str:
    """The word in ordinary case: as the article writes it elsewhere, else lower case for
    function words, else Title case (hyphenated parts each capitalised)."""
    if not word.isupper() or not _is_word(word) or "." in word:
        return word
    lower = word.lower()
    if lower in evidence:
        return evidence[lower]
    if lower in STOP_WORDS:
        return lower
    return "-".join(part[:1] + part[1:].lower() for part in word.split("-"))


def _same_length(old: str, new: str) -> str:
    # Offsets must not move: a case change that alters the length ("İ") is not made.
    return new if len(new) == len(old) else old


def recase_text(text: str) -> str:
    """The text with its capitals lines in ordinary case, character for character the
    same length (so every offset into it is an offset into the original)."""
    lines = [line for line in _LINE.finditer(text) if _shouted(line.group())]
    if not lines:
        return text
    evidence = _case_evidence(text)
    parts, last = [], 0
    for line in lines:
        parts.append(text[last : line.start()])
        parts.append(
            _CASED_WORD.sub(
                lambda m: _same_length(m.group(), recase_word(m.group(), evidence)), line.group()
            )
        )
        last = line.end()
    parts.append(text[last:])
    return "".join(parts)


class CaseReadingTokenizer:
    """Tokenizer wrapper: capitals lines reach the model in ordinary case."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc: Doc = self.tokenizer(recase_text(text))
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Like ``__call__`` over a stream."""
        for text in texts:
            yield self(text)
