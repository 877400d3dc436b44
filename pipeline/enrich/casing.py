"""Re-read ALL-CAPS lines (headlines, datelines, shouted summaries) in ordinary case.

The small English model leans on capitalisation: in "JAPAN GET LUCKY WIN, CHINA IN
SURPRISE DEFEAT" every word looks like a name. This component rewrites the words of
such lines in the case the same article uses for them elsewhere (else lower case for
function words and Title case for the rest), runs the NER model over the rewritten
words and puts the entities it finds back onto the original tokens. Offsets never
move: only the entity spans of those lines change, and DATE/TIME spans the model
found in the original text are kept as they were.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

__all__ = ["CASING_COMPONENT", "CapsLineReader", "caps_lines", "recase_word"]

CASING_COMPONENT = "news_casing"
# A line is read again when at least this share of its words are in capitals.
CAPS_SHARE = 0.6
KEPT_LABELS = frozenset({"DATE", "TIME"})
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


def caps_lines(doc: Doc, text: str | None = None) -> list[tuple[int, int]]:
    """Token ranges of the lines written mostly in capitals (``text`` is ``doc.text``,
    when the caller has it already)."""
    # Works on the text, not on Token objects: this runs on every article.
    found = []
    for line in _LINE.finditer(doc.text if text is None else text):
        if not _shouted(line.group()):
            continue
        span = doc.char_span(line.start(), line.end(), alignment_mode="expand")
        if span is not None and len(span):
            found.append((span.start, span.end))
    return found


def _case_evidence(text: str) -> dict[str, str]:
    """How the article writes each word where case carries meaning: not in capitals
    lines, not at the start of a sentence."""
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in _LINE.finditer(text):
        if _shouted(line.group()):
            continue
        last_end = 0
        for match in _CASED_WORD.finditer(line.group()):
            word, gap = match.group(), line.group()[last_end : match.start()]
            initial = (last_end == 0 and gap.strip() == "") or any(c in _SENTENCE_ENDS for c in gap)
            if not initial and not word.isupper():
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


class CapsLineReader:
    """Pipeline component: NER again, in ordinary case, over the ALL-CAPS lines."""

    def __init__(self, nlp: Language, ner_name: str = "ner") -> None:
        self.nlp = nlp
        self.ner_name = ner_name

    def __call__(self, doc: Doc) -> Doc:
        self._read_again([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Like ``__call__`` over a stream, with one NER call per batch of documents."""
        docs = iter(stream)
        while batch := list(islice(docs, batch_size)):
            self._read_again(batch)
            yield from batch

    def _read_again(self, docs: Sequence[Doc]) -> None:
        texts = [doc.text for doc in docs]
        work = [(doc, text, caps_lines(doc, text)) for doc, text in zip(docs, texts, strict=True)]
        work = [(doc, text, lines) for doc, text, lines in work if lines]
        if not work:
            return
        rewritten: list[Doc] = []
        for doc, text, lines in work:
            evidence = _case_evidence(text)
            rewritten.extend(
                Doc(
                    doc.vocab,
                    words=[recase_word(t.text, evidence) for t in doc[start:end]],
                    spaces=[bool(t.whitespace_) for t in doc[start:end]],
                )
                for start, end in lines
            )
        ner: Any = self.nlp.get_pipe(self.ner_name)
        parsed = iter(ner.pipe(rewritten))
        for doc, _, lines in work:
            self._merge(doc, lines, [next(parsed) for _ in lines])

    @staticmethod
    def _merge(doc: Doc, lines: list[tuple[int, int]], parsed: list[Doc]) -> None:
        in_caps = {i for start, end in lines for i in range(start, end)}
        kept = [e for e in doc.ents if e.label_ in KEPT_LABELS or e.start not in in_caps]
        taken = {i for e in kept for i in range(e.start, e.end)}
        for (start, _), line in zip(lines, parsed, strict=True):
            for ent in line.ents:
                tokens = range(start + ent.start, start + ent.end)
                if not taken.intersection(tokens):
                    kept.append(Span(doc, tokens.start, tokens.stop, label=ent.label_))
                    taken.update(tokens)
        doc.ents = sorted(kept, key=lambda e: e.start)


@Language.factory(CASING_COMPONENT)
def make_caps_line_reader(nlp: Language, name: str) -> CapsLineReader:
    """spaCy factory for :class:`CapsLineReader`."""
    return CapsLineReader(nlp)
