"""Readers for the labelled NER corpora used by the evaluations (CoNLL-2003, MEANTIME).

Both corpora come as tokens; each document is rebuilt as plain text (tokens joined with
light detokenisation, one sentence per line) and its gold mentions become character
spans into that text, so a system that sees only the text can be scored on offsets.
The data is never shipped with the project: paths are arguments.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GoldDoc",
    "GoldSpan",
    "detokenize",
    "read_conll",
    "read_ecbplus",
    "read_meantime",
    "read_meantime_topics",
]

# Tokens glued to the token before them, and tokens that glue to the one after.
_NO_SPACE_BEFORE = frozenset(
    {
        ",",
        ".",
        ":",
        ";",
        "?",
        "!",
        ")",
        "]",
        "}",
        "%",
        "'s",
        "'S",
        "n't",
        "N'T",
        "'re",
        "'ve",
        "'ll",
        "'d",
        "'m",
        "'",
    }
)
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "US$", "#"})


@dataclass(frozen=True)
class GoldSpan:
    """A labelled character span (end-exclusive); label is PER, ORG, LOC or MISC."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class GoldDoc:
    """One document: its text, gold spans, spans where predictions are not scored, and
    ``scope_end``, the offset after which nothing is annotated (None: whole text)."""

    id: str
    text: str
    spans: list[GoldSpan]
    ignore: list[tuple[int, int]] = field(default_factory=list)
    scope_end: int | None = None

    @property
    def words(self) -> int:
        return len(self.text.split())


def detokenize(sentences: Sequence[Sequence[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    """Text of tokenised sentences (one per line) and each token's character span."""
    parts: list[str] = []
    offsets: list[list[tuple[int, int]]] = []
    pos = 0
    for s_index, sentence in enumerate(sentences):
        if s_index:
            parts.append("\n")
            pos += 1
        spans: list[tuple[int, int]] = []
        previous = ""
        for t_index, token in enumerate(sentence):
            if t_index and token not in _NO_SPACE_BEFORE and previous not in _NO_SPACE_AFTER:
                parts.append(" ")
                pos += 1
            parts.append(token)
            spans.append((pos, pos + len(token)))
            pos += len(token)
            previous = token
        offsets.append(spans)
    return "".join(parts), offsets


def _conll_spans(tags: list[str]) -> Iterator[tuple[int, int, str]]:
    """IOB1 tags to (first token, last token + 1, type) runs."""
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if kind and (tag == "O" or prefix == "B" or label != kind):
            yield start, i, kind
            kind = ""
        if tag != "O" and not kind:
            start, kind = i, label
    return


def read_conll(path: Path) -> list[GoldDoc]:
    """CoNLL-2003 (IOB1, ``WORD POS CHUNK NER``): one GoldDoc per ``-DOCSTART-`` article."""
    docs: list[GoldDoc] = []
    sentences: list[list[str]] = []
    tags: list[list[str]] = []

    def flush() -> None:
        sents = [s for s in sentences if s]
        sent_tags = [t for t in tags if t]
        if not sents:
            return
        text, offsets = detokenize(sents)
        spans = [
            GoldSpan(tok[a][0], tok[b - 1][1], label)
            for tok, st in zip(offsets, sent_tags, strict=True)
            for a, b, label in _conll_spans(st)
        ]
        docs.append(GoldDoc(id=f"conll-{len(docs)}", text=text, spans=spans))

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("-DOCSTART-"):
            flush()
            sentences, tags = [], []
        elif not line:
            if sentences and sentences[-1]:
                sentences.append([])
                tags.append([])
        else:
            word, *_, tag = line.split(" ")
            if not sentences:
                sentences.append([])
                tags.append([])
            sentences[-1].append(word)
            tags[-1].append(tag)
    flush()
    return docs


_MEANTIME_TYPES = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}
_NAME_MENTIONS = frozenset({"NAM", "PRE.NAM"})
MEANTIME_SCORED_SENTENCES = 5  # only sentences 0-5 are annotated exhaustively


def read_meantime(directory: Path) -> list[GoldDoc]:
    """MEANTIME CAT XML files under ``directory``: name mentions of PER/ORG/LOC entities as
    gold, PRO/FIN/MIX mentions as ignored regions, scope = sentences 0-5."""
    return [_read_meantime_file(p) for p in sorted(directory.rglob("*.xml"))]


def read_meantime_topics(directory: Path) -> dict[str, list[GoldDoc]]:
    """MEANTIME documents by sub-corpus ("airbus", "apple"), from its ``corpus_*`` folders."""
    topics: dict[str, list[GoldDoc]] = {}
    for path in sorted(directory.rglob("*.xml")):
        topic = path.parent.name.removeprefix("corpus_")
        topics.setdefault(topic, []).append(_read_meantime_file(path))
    return topics


def _read_meantime_file(path: Path) -> GoldDoc:
    root = ET.parse(path).getroot()
    by_sentence: dict[int, list[tuple[str, str]]] = {}
    for tok in root.iter("token"):
        by_sentence.setdefault(int(tok.get("sentence", "0")), []).append(
            (tok.get("t_id", ""), tok.text or "")
        )
    order = sorted(by_sentence)
    text, offsets = detokenize([[w for _, w in by_sentence[s]] for s in order])
    char_span = {
        t_id: span
        for s, spans in zip(order, offsets, strict=True)
        for (t_id, _), span in zip(by_sentence[s], spans, strict=True)
    }
    scored = [s for s in order if s <= MEANTIME_SCORED_SENTENCES]
    scope_end = offsets[order.index(scored[-1])][-1][1] if scored else 0

    markables = root.find("Markables")
    mentions: dict[str, tuple[str, list[str]]] = {}
    entity_type: dict[str, str] = {}
    if markables is not None:
        for m in markables.findall("ENTITY_MENTION"):
            anchors = [a.get("t_id", "") for a in m.findall("token_anchor")]
            mentions[m.get("m_id", "")] = (m.get("syntactic_type", ""), anchors)
        for e in markables.findall("ENTITY"):
            entity_type[e.get("m_id", "")] = e.get("ent_type", "")
    spans: list[GoldSpan] = []
    ignore: list[tuple[int, int]] = []
    relations = root.find("Relations")
    for rel in [] if relations is None else relations.findall("REFERS_TO"):
        target = rel.find("target")
        kind = entity_type.get("" if target is None else target.get("m_id", ""), "")
        for source in rel.findall("source"):
            syntactic, anchors = mentions.get(source.get("m_id", ""), ("", []))
            chars = [char_span[a] for a in anchors if a in char_span]
            if not chars:
                continue
            start, end = min(c[0] for c in chars), max(c[1] for c in chars)
            if kind in _MEANTIME_TYPES and syntactic in _NAME_MENTIONS:
                spans.append(GoldSpan(start, end, _MEANTIME_TYPES[kind]))
            elif kind not in _MEANTIME_TYPES:
                ignore.append((start, end))
    return GoldDoc(
        id=path.stem,
        text=text,
        spans=sorted(set(spans), key=lambda s: (s.start, s.end)),
        ignore=ignore,
        scope_end=scope_end,
    )


# ECB+ markables that name a participant or a place, and the types they stand for.
_ECB_TYPES = {"HUMAN_PART_PER": "PER", "HUMAN_PART_ORG": "ORG"}
_ECB_STOP = frozenset(
    {
        *("i", "he", "she", "it", "we", "they", "you", "his", "her", "its", "our", "their"),
        *("him", "them", "us", "me", "this", "that", "these", "those", "who", "which"),
        *("what", "the", "a", "an"),
    }
)


def _ecb_type(tag: str) -> str | None:
    return "LOC" if tag.startswith("LOC_") else _ECB_TYPES.get(tag)


def _is_name(words: Sequence[str], first_in_sentence: bool) -> bool:
    """Whether a markable reads as a name: its last word is capitalised and not a function
    word ("Ellen DeGeneres", "the Academy", "U.S.", not "she", "the host"), and not just
    because it starts the sentence ("Employees said")."""
    alpha = [w for w in words if any(c.isalpha() for c in w)]
    if not alpha or not alpha[-1][:1].isupper() or alpha[-1].lower() in _ECB_STOP:
        return False
    return not (first_in_sentence and len(alpha) == 1 and alpha[0] == words[0])


def read_ecbplus(directory: Path) -> list[GoldDoc]:
    """ECB+ articles under ``directory`` (``ECB+/<topic>/*.xml``), with the name-like
    HUMAN_PART_PER / HUMAN_PART_ORG / LOC_* markables of the sentences listed in
    ``ECBplus_coreference_sentences.csv`` as gold. Not a full NER annotation: a recall
    check only. Sentence 0 of ``*ecbplus.xml`` files (the source URL) is left out."""
    listed: dict[str, set[int]] = {}
    csv_path = directory / "ECBplus_coreference_sentences.csv"
    for line in csv_path.read_text(encoding="utf-8").splitlines()[1:]:
        topic, name, sentence = (part.strip() for part in line.split(","))
        listed.setdefault(f"{topic}_{name}", set()).add(int(sentence))
    docs = []
    for path in sorted(directory.rglob("*.xml"), key=lambda p: (p.parent.name, p.name)):
        if path.stem in listed:
            docs.append(_read_ecbplus_file(path, listed[path.stem]))
    return docs


def _read_ecbplus_file(path: Path, sentences: set[int]) -> GoldDoc:
    root = ET.parse(path).getroot()
    by_sentence: dict[int, list[tuple[str, str]]] = {}
    for tok in root.iter("token"):
        by_sentence.setdefault(int(tok.get("sentence", "0")), []).append(
            (tok.get("t_id", ""), tok.text or "")
        )
    order = [s for s in sorted(by_sentence) if not (s == 0 and path.stem.endswith("ecbplus"))]
    text, offsets = detokenize([[w for _, w in by_sentence[s]] for s in order])
    token_at: dict[str, tuple[int, int, int, str]] = {}
    sentence_starts: set[int] = set()
    for s, spans in zip(order, offsets, strict=True):
        sentence_starts.add(spans[0][0])
        for (t_id, word), span in zip(by_sentence[s], spans, strict=True):
            token_at[t_id] = (s, span[0], span[1], word)
    gold: set[GoldSpan] = set()
    markables = root.find("Markables")
    for m in [] if markables is None else list(markables):
        label = _ecb_type(m.tag)
        ids = [a.get("t_id", "") for a in m.findall("token_anchor")]
        anchors = sorted(token_at[i] for i in ids if i in token_at)
        if label is None or not anchors or anchors[0][0] not in sentences:
            continue
        if _is_name([a[3] for a in anchors], anchors[0][1] in sentence_starts):
            gold.add(GoldSpan(min(a[1] for a in anchors), max(a[2] for a in anchors), label))
    return GoldDoc(id=path.stem, text=text, spans=sorted(gold, key=lambda g: (g.start, g.end)))
