"""MinHash signature and LSH band labels of an article's text (rensa's R-MinHash)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from hashlib import blake2b

from rensa import RMinHash

from pipeline.similar.shingles import shingles, words

__all__ = [
    "BANDS",
    "MIN_WORDS",
    "NUM_PERM",
    "ROWS",
    "Signature",
    "estimate",
    "sign",
    "takes_part",
]

NUM_PERM = 128
# LSH: a pair becomes a candidate when all ROWS values of one of BANDS bands agree,
# P = 1 - (1 - J**ROWS)**BANDS: 0.80 at Jaccard 0.5, 0.95 at 0.6 for one pair, and a copy
# usually has several earlier members of its story to meet. Three rows keep unrelated
# articles (Jaccard ~0.001-0.02) out of each other's buckets even in a window of a
# million articles. Every candidate is verified on the whole signature before it is linked.
BANDS = 12
ROWS = 3
# Fixed forever for a deployment: signatures stored in Redis must compare with new ones.
SEED = 1_300_013
# Texts shorter than this (a title, a teaser) take no part: too few shingles to tell a
# copy from an article on the same event.
MIN_WORDS = 50
_NO_PART_SOURCES = frozenset({"title", "summary"})
_BAND_HEX = 12  # 48 bits: unrelated bands collide about once per 10^14 pairs


@dataclass(frozen=True)
class Signature:
    """``minhash``: NUM_PERM 16-bit values (what the write compares, 2 bytes each);
    ``bands``: one label per LSH band (what the write looks up)."""

    minhash: bytes
    bands: tuple[str, ...]


def takes_part(word_count: int, text_source: str | None = None) -> bool:
    """Whether an article is long enough, and full text, to take part in copy detection."""
    return word_count >= MIN_WORDS and text_source not in _NO_PART_SOURCES


def _bands(values: list[int]) -> tuple[str, ...]:
    labels = []
    for band in range(BANDS):
        rows = values[band * ROWS : (band + 1) * ROWS]
        digest = blake2b(struct.pack(f"<{ROWS}I", *rows), digest_size=8).hexdigest()
        labels.append(f"{band}:{digest[:_BAND_HEX]}")
    return tuple(labels)


def sign(text: str, text_source: str | None = None) -> Signature | None:
    """The text's signature, or None when it takes no part (too short, or not full text)."""
    tokens = words(text)
    if not takes_part(len(tokens), text_source):
        return None
    sketch = RMinHash(NUM_PERM, SEED)
    sketch.update(shingles(tokens))
    values: list[int] = sketch.digest()
    packed = struct.pack(f"<{NUM_PERM}H", *(v & 0xFFFF for v in values))
    return Signature(minhash=packed, bands=_bands(values))


def estimate(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values (what
    the write script computes when it verifies a candidate)."""
    x = struct.unpack(f"<{NUM_PERM}H", a)
    y = struct.unpack(f"<{NUM_PERM}H", b)
    return sum(1 for i, j in zip(x, y, strict=True) if i == j) / NUM_PERM
