"""A labelled syndication set built from real articles: for each source article, seeded
variants of the kinds a wire story takes on thirty sites, exact copies under other URLs,
revisions under the same URL; ECB+ topics give the hard negatives (different outlets
on the same event, which are not copies).

The source texts are read from the paths given (TimeML ``.tml``, MEANTIME and ECB+ CAT
XML); nothing is shipped with the project.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._corpora import detokenize

__all__ = ["SETTINGS", "Item", "Source", "build_set", "read_sources"]

COPY_CONTAINMENT = 0.5
_ECB_NAME = re.compile(r"^(\d+)_\d+(ecbplus|ecb)\.xml$")


@dataclass(frozen=True)
class Source:
    """One real article: its text and, for ECB+, its topic and sub-corpus (the event)."""

    id: str
    title: str
    text: str
    topic: str | None = None  # ECB+ topic: same-topic sources are hard negatives


@dataclass
class Item:
    """One generated input article and its label (the source it derives from)."""

    url: str
    title: str
    text: str
    label: str
    kind: str  # original, variant, exact, revision
    topic: str | None = None
    edits: list[str] = field(default_factory=list)


def _timeml(path: Path) -> Source | None:
    root = ET.parse(path).getroot()
    text_el = root.find("TEXT")
    if text_el is None:
        return None
    text = "".join(text_el.itertext()).strip()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "\n\n".join(paragraphs)
    return Source(id=path.stem, title=paragraphs[0][:80] if paragraphs else path.stem, text=body)


def _cat_sentences(path: Path) -> list[list[str]]:
    root = ET.parse(path).getroot()
    by_sentence: dict[int, list[str]] = {}
    for tok in root.iter("token"):
        by_sentence.setdefault(int(tok.get("sentence", "0")), []).append(tok.text or "")
    return [by_sentence[s] for s in sorted(by_sentence)]


def _meantime(path: Path) -> Source | None:
    sentences = _cat_sentences(path)
    if len(sentences) < 3:
        return None
    text, _ = detokenize(sentences[2:])  # 0 is the title, 1 the date line
    title, _ = detokenize(sentences[:1])
    return Source(id=path.stem, title=title, text=text)


def _ecbplus(path: Path, topic: str) -> Source | None:
    sentences = _cat_sentences(path)
    if sentences and sentences[0] and sentences[0][0].startswith("http"):
        sentences = sentences[1:]  # ecbplus files open with the source URL
    if len(sentences) < 2:
        return None
    text, _ = detokenize(sentences[1:])
    title, _ = detokenize(sentences[:1])
    return Source(id=path.stem, title=title, text=text, topic=topic)


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return set(zip(*[words[i:] for i in range(5)], strict=False))


def read_sources(paths: Iterable[Path]) -> tuple[list[Source], int]:
    """Every article under ``paths`` that is not a copy of one read before, and how many
    were left out as copies: MEANTIME ships its articles in two annotation variants,
    and ECB+ holds syndicated copies (half or more of the shorter text's 5-word
    shingles in the other), which would otherwise count as "different articles"."""
    sources: list[Source] = []
    kept: list[set[tuple[str, ...]]] = []
    copies = 0
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            source: Source | None = None
            ecb = _ECB_NAME.match(path.name)
            if path.suffix == ".tml":
                source = _timeml(path)
            elif ecb:
                source = _ecbplus(path, f"{ecb.group(1)}")
            elif path.suffix == ".xml" and "meantime" in str(path).lower():
                source = _meantime(path)
            if source is None or not source.text.strip():
                continue
            shingles = _shingles(source.text)
            if any(
                len(shingles & other) >= COPY_CONTAINMENT * min(len(shingles), len(other))
                for other in kept
            ):
                copies += 1
                continue
            kept.append(shingles)
            sources.append(source)
    return sources, copies


# --- the edits -------------------------------------------------------------------------

_CREDITS = [
    "(AFP) —",
    "By {name}, Associated Press",
    "{name} | Reuters",
    "Staff and wire reports",
    "From our correspondent {name} in {city}",
]
_BOILERPLATE = [
    "Copyright {year} The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Read more: Subscribe to our newsletter for the latest headlines.",
    "Follow us on Twitter and Facebook for updates on this story.",
    "Additional reporting by {name}; editing by {name2}.",
    "This article was automatically generated from a wire feed and has not been edited.",
    "Click here to read the full story and join the discussion in the comments below.",
]
_NAMES = ["Sarah Mitchell", "David Okafor", "Laura Chen", "Tom Becker", "Ana Ruiz", "Raj Patel"]
_CITIES = ["London", "Paris", "New York", "Nairobi", "Sydney", "Toronto"]
_HEADLINE_WORDS = ["Update:", "Breaking:", "Watch:", "Report:", "Analysis:", "Live:"]
# rewording: a near-synonym swap or a small reordering of the kind a copy editor makes
_SYNONYMS = {
    "said": "stated",
    "says": "states",
    "told": "informed",
    "big": "large",
    "large": "big",
    "also": "additionally",
    "but": "however",
    "about": "around",
    "more": "further",
    "because": "since",
    "show": "indicate",
    "people": "persons",
    "new": "fresh",
    "after": "following",
    "before": "prior to",
    "first": "initial",
    "many": "numerous",
    "help": "assist",
    "however": "but",
    "government": "administration",
    "company": "firm",
    "officials": "authorities",
    "percent": "per cent",
    "million": "mn",
    "will": "would",
    "would": "will",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“'])")


def _split_sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        name=rng.choice(_NAMES),
        name2=rng.choice(_NAMES),
        city=rng.choice(_CITIES),
        year=rng.choice([2019, 2022, 2025]),
    )


def _new_headline(item: Item, rng: random.Random) -> None:
    words = item.title.split()
    rng.shuffle(words)
    item.title = f"{rng.choice(_HEADLINE_WORDS)} {' '.join(words[: max(3, len(words) // 2)])}"


def _credit_lines(item: Item, rng: random.Random) -> None:
    paragraphs = item.text.split("\n\n")
    if rng.random() < 0.6:
        paragraphs.insert(0, _fill(rng.choice(_CREDITS), rng))
    for _ in range(rng.randint(1, 2)):
        paragraphs.append(_fill(rng.choice(_BOILERPLATE), rng))
    item.text = "\n\n".join(paragraphs)


def _cut_end(item: Item, rng: random.Random) -> None:
    words = item.text.split(" ")
    share = rng.uniform(0.10, 0.40)
    keep = max(1, int(len(words) * (1 - share)))
    item.text = " ".join(words[:keep]).rstrip()


def _reword(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    changed = False
    for i, word in enumerate(words):
        key = word.lower()
        if key in _SYNONYMS and rng.random() < 0.7:
            words[i] = _SYNONYMS[key]
            changed = True
    if not changed or rng.random() < 0.4:
        # move a trailing clause to the front, or drop a word: a reworded sentence
        if "," in sentence and rng.random() < 0.5:
            head, _, tail = sentence.rstrip(".").partition(",")
            return f"{tail.strip().capitalize()}, {head[:1].lower()}{head[1:]}."
        if len(words) > 6:
            del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


def _reword_sentences(item: Item, rng: random.Random) -> None:
    paragraphs = [_split_sentences(p) for p in item.text.split("\n\n")]
    total = sum(len(p) for p in paragraphs)
    budget = rng.randint(1, max(1, int(total * 0.15)))
    slots = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p))]
    for i, j in rng.sample(slots, min(budget, len(slots))):
        paragraphs[i][j] = _reword(paragraphs[i][j], rng)
    item.text = "\n\n".join(" ".join(p) for p in paragraphs)


def _typography(item: Item, rng: random.Random) -> None:
    text = item.text
    if rng.random() < 0.5:
        text = text.replace('"', "“").replace("'", "’")
    else:
        text = text.replace("“", '"').replace("”", '"').replace("’", "'")
    text = text.replace(" - ", " — ") if rng.random() < 0.5 else text.replace(" — ", " - ")
    text = re.sub(r"([.!?]) ", r"\1  ", text) if rng.random() < 0.5 else text
    text = text.replace(" ,", ",").replace(" .", ".").replace("( ", "(").replace(" )", ")")
    item.text = text


EDITS = {
    "headline": _new_headline,
    "credit": _credit_lines,
    "cut": _cut_end,
    "reword": _reword_sentences,
    "typography": _typography,
}

VARIANTS = 4
SETTINGS = {
    "seed": 13,
    "variants per source": VARIANTS,
    "edits per variant": "2-4 of " + ", ".join(EDITS),
    "cut": "last 10-40% of the words",
    "reword": "up to 15% of sentences",
    "exact copies": "1 under another URL for 40% of sources",
    "revisions": "1 under the same URL (one edit) for 25% of sources",
    "hard negatives": "other articles of the same ECB+ topic",
}


def _variant(source: Source, url: str, rng: random.Random, n_edits: int) -> Item:
    item = Item(url, source.title, source.text, source.id, "variant", source.topic)
    # the cut and the credit lines apply in a fixed order so "cut" never removes credits
    edits = sorted(rng.sample(list(EDITS), n_edits), key=list(EDITS).index)
    for name in edits:
        EDITS[name](item, rng)
        item.edits.append(name)
    return item


def build_set(sources: Sequence[Source], seed: int = 13) -> list[Item]:
    """Originals, variants, exact copies and revisions, in a seeded shuffled order."""
    rng = random.Random(seed)
    items: list[Item] = []
    for n, source in enumerate(sources):
        base = f"https://site{n % 97}.example/{source.id}"
        items.append(Item(base, source.title, source.text, source.id, "original", source.topic))
        for v in range(VARIANTS):
            url = f"https://mirror{v}-{n % 31}.example/news/{source.id}-{v}"
            items.append(_variant(source, url, rng, rng.randint(2, 4)))
        if rng.random() < 0.40:
            url = f"https://copy-{n % 13}.example/wire/{source.id}"
            items.append(Item(url, source.title, source.text, source.id, "exact", source.topic))
        if rng.random() < 0.25:
            revision = _variant(source, base, rng, 1)
            revision.kind = "revision"
            items.append(revision)
    rng.shuffle(items)
    return items
