"""Generated news-like articles for benchmarks: 300-800 words, names, places, dates.

Filler words come from a seeded vocabulary of a few thousand made-up words, so two
articles share about as many word shingles as unrelated real news articles do at the
upper end (Jaccard ~0.02): a filler of a few dozen words would make every article a
near copy of every other, a worst case for the near-duplicate index no feed produces.
Made-up words are not English, so the pipeline (rightly) skips their enrichment: benches
that measure enrichment ask for ``english=True``, a filler of real English words drawn
from the pinned spaCy model's vocabulary.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from typing import Any

_FIRST = ["Maria", "John", "Amira", "Kenji", "Olga", "Pedro", "Aisha", "Liam", "Chen", "Fatima"]
_LAST = ["Okafor", "Schmidt", "Haddad", "Tanaka", "Petrova", "Silva", "Khan", "Murphy", "Wei"]
_PLACES = ["Nairobi", "Berlin", "Beirut", "Osaka", "Kyiv", "Lisbon", "Lahore", "Dublin", "Lima"]
_ORGS = ["the United Nations", "the central bank", "Reuters", "the health ministry", "NATO"]
_WHEN = ["on Monday", "last week", "on March 3", "in 2019", "earlier this year", "on Friday"]
_VERBS = ["said", "announced", "warned", "confirmed", "denied", "reported"]
_FILLER_SENTENCE = (
    "the talks were expected to continue for several days while officials reviewed "
    "the proposal and weighed its impact on prices jobs and the wider regional economy"
)
_SYLLABLES = ["ka", "ri", "to", "men", "sa", "lo", "ver", "di", "na", "pe", "qui", "zor"]


def _vocabulary(size: int = 4000) -> list[str]:
    rng = random.Random(11)
    words = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)}
    return sorted(words) + _FILLER_SENTENCE.split()


_FILLER = _vocabulary()


@functools.cache
def english_vocabulary(size: int = 4000) -> list[str]:
    """A filler of real English words (the pinned spaCy model's vocabulary, seeded)."""
    from pipeline.enrich.nlp import load_nlp
    from pipeline.settings import Settings

    strings = load_nlp(Settings().ner_model).vocab.strings
    words = sorted(
        {s for s in strings if s.isascii() and s.isalpha() and s.islower() and 3 <= len(s) <= 10}
    )
    return random.Random(11).sample(words, k=min(size, len(words))) + _FILLER_SENTENCE.split()


def _sentence(rng: random.Random, filler: list[str]) -> str:
    words = " ".join(rng.sample(filler, k=rng.randint(8, 16)))
    if rng.random() < 0.8:  # one sentence in five names who, where and when
        return words.capitalize() + "."
    who = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return (
        f"{who} of {rng.choice(_ORGS)} {rng.choice(_VERBS)} in {rng.choice(_PLACES)} "
        f"{rng.choice(_WHEN)} that {words}."
    )


def generate_text(rng: random.Random, filler: list[str] | None = None) -> str:
    """One article body of 300-800 words in paragraphs."""
    filler = filler or _FILLER
    target = rng.randint(300, 800)
    paragraphs: list[str] = []
    words = 0
    while words < target:
        paragraph = " ".join(_sentence(rng, filler) for _ in range(rng.randint(2, 4)))
        words += len(paragraph.split())
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def generate_items(n: int, seed: int = 7, english: bool = False) -> Iterator[dict[str, Any]]:
    """``n`` JSONL-style items with distinct URLs and texts (``english``: a filler of real
    English words, so that the pipeline enriches them)."""
    rng = random.Random(seed)
    filler = english_vocabulary() if english else _FILLER
    for i in range(n):
        yield {
            "url": f"https://news.example.org/{i // 1000}/story-{i}.html?utm_source=bench",
            "title": f"Story {i}: {rng.choice(_PLACES)} talks",
            "text": generate_text(rng, filler),
            "published": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00Z",
            "source": "bench",
        }
