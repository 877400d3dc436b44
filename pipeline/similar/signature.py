"""MinHash signatures and LSH band labels of articles' texts (rensa's R-MinHash)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
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
    "sign_many",
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


_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
_BAND_MASK = (1 << (4 * _BAND_HEX)) - 1


def _signatures(matrix: npt.NDArray[np.uint32]) -> list[Signature]:
    """Signatures of a (documents x NUM_PERM) matrix of 32-bit MinHash values."""
    packed = (matrix & 0xFFFF).astype("<u2")
    # a band's label mixes its ROWS values into 48 bits (distinct rows, distinct labels
    # but for ~2^-48 chance)
    mixed = np.zeros((matrix.shape[0], BANDS), dtype=np.uint64)
    for row in range(ROWS):
        column = matrix[:, row : BANDS * ROWS : ROWS].astype(np.uint64)
        mixed = mixed + column * np.uint64(_MIX[row])
    labels = (mixed & np.uint64(_BAND_MASK)).tolist()
    return [
        Signature(
            minhash=packed[n].tobytes(),
            bands=tuple(f"{band}:{value:012x}" for band, value in enumerate(labels[n])),
        )
        for n in range(matrix.shape[0])
    ]


def sign_many(texts: Sequence[tuple[str, str | None]]) -> list[Signature | None]:
    """Signatures of ``(text, text_source)`` pairs, in one MinHash call for them all; None
    for a text that takes no part (too short, or not full text)."""
    tokens = [words(text) for text, _ in texts]
    taking_part = [takes_part(len(t), source) for t, (_, source) in zip(tokens, texts, strict=True)]
    documents = [t for t, part in zip(tokens, taking_part, strict=True) if part]
    if not documents:
        return [None] * len(texts)
    digests = RMinHash.digest_matrix_from_token_sets(
        [shingles(d) for d in documents], NUM_PERM, SEED
    )
    signatures = iter(_signatures(np.array(digests.to_rows(), dtype=np.uint32)))
    return [next(signatures) if part else None for part in taking_part]


def sign(text: str, text_source: str | None = None) -> Signature | None:
    """The text's signature, or None when it takes no part."""
    return sign_many([(text, text_source)])[0]


def estimate(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values (what
    the write script computes when it verifies a candidate)."""
    x = struct.unpack(f"<{NUM_PERM}H", a)
    y = struct.unpack(f"<{NUM_PERM}H", b)
    return sum(1 for i, j in zip(x, y, strict=True) if i == j) / NUM_PERM
