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
_SENTENCE_ENDS = frozenset({".", "!", "?", ":", '"', "“", "‘", "'", "-", "--", "(", "[", "•"})


def _lines(doc: Doc) -> Iterator[tuple[int, int]]:
    """Token ranges of the text's lines (whitespace tokens are left out)."""
    start = None
    for token in doc:
        if token.is_space:
            if "\n" in token.text and start is not None:
                yield start, token.i
                start = None
            continue
        if start is None:
            start = token.i
        if "\n" in token.whitespace_:
            yield start, token.i + 1
            start = None
    if start is not None:
        yield start, len(doc)


def _is_word(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= 2


def caps_lines(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of the lines written mostly in capitals."""
    found = []
    for start, end in _lines(doc):
        words = [t.text for t in doc[start:end] if _is_word(t.text)]
        shouted = [w for w in words if w.isupper()]
        if shouted and len(shouted) >= CAPS_SHARE * len(words):
            found.append((start, end))
    return found


def _case_evidence(doc: Doc, skip: set[int]) -> dict[str, str]:
    """How the article writes each word where case carries meaning: not in capital lines,
    not at the start of a sentence."""
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    previous = "\n"
    for token in doc:
        text = token.text
        if token.is_space:
            previous = "\n" if "\n" in text else previous
            continue
        initial = previous == "\n" or previous in _SENTENCE_ENDS
        if token.i not in skip and not initial and _is_word(text) and not text.isupper():
            seen[text.lower()][text] += 1
        previous = "\n" if "\n" in token.whitespace_ else text
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
        work = [(doc, caps_lines(doc)) for doc in docs]
        work = [(doc, lines) for doc, lines in work if lines]
        if not work:
            return
        rewritten: list[Doc] = []
        for doc, lines in work:
            in_caps = {i for start, end in lines for i in range(start, end)}
            evidence = _case_evidence(doc, in_caps)
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
        for doc, lines in work:
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
