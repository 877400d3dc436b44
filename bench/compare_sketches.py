"""MinHash or SimHash for near-copies? Both sketches of the same 3-word shingles, scored as
pair classifiers on the labelled syndication set (bench/_syndication.py).

    python bench/compare_sketches.py --articles ../shared/benchdata/tempeval3_tbaq \
        ../shared/benchdata/meantime_en ../shared/benchdata/ecbplus/ECB+

Pairs: every two items of one source (copies, which should link) and every two items of
different sources in one ECB+ topic (same event, other outlets: which should not). For
each sketch: the share of copy pairs found at the lowest threshold that keeps same-topic
false links at or under 0.5%, then at none, and CPU µs per signature (words included).
Exact Jaccard is the ceiling both estimate.
"""

from __future__ import annotations

import argparse
import itertools
import struct
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from hashlib import blake2b
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._syndication import build_set, read_sources
from pipeline.similar import MIN_WORDS, NUM_PERM, estimate, sign_many
from pipeline.similar.shingles import shingles, words

MAX_FALSE = 0.005


def simhash(tokens: list[str]) -> int:
    """64-bit SimHash of the shingles (each weighs 1)."""
    hashes = np.array(
        [
            struct.unpack("<Q", blake2b(s.encode(), digest_size=8).digest())[0]
            for s in shingles(tokens)
        ],
        dtype=np.uint64,
    )
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0) * 2 > len(hashes)
    return int(np.packbits(votes, bitorder="little").view(np.uint64)[0])


def recall_at(
    positives: Sequence[float], negatives: Sequence[float], max_false: float
) -> tuple[float, float, float]:
    """The lowest threshold keeping the share of negatives at or above it <= max_false,
    the share of positives at or above it, and the share of negatives."""
    ranked = sorted(negatives, reverse=True)
    allowed = int(len(ranked) * max_false)
    threshold = ranked[allowed] + 1e-9 if allowed < len(ranked) else 0.0
    found = sum(1 for p in positives if p >= threshold) / len(positives)
    false = sum(1 for n in negatives if n >= threshold) / len(negatives)
    return threshold, found, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", nargs="+", type=Path, required=True)
    args = parser.parse_args()
    sources, _ = read_sources(args.articles)
    sources = [s for s in sources if len(words(s.text)) >= 2 * MIN_WORDS]
    items = [i for i in build_set(sources) if len(words(i.text)) >= MIN_WORDS]
    tokens = [words(i.text) for i in items]

    sketches: dict[str, tuple[list[object], Callable[[object, object], float]]] = {}
    start = time.process_time()
    mins = [
        m
        for n in range(0, len(items), 100)
        for m in sign_many([(i.text, None) for i in items[n : n + 100]])
    ]
    mh_us = (time.process_time() - start) / len(items) * 1e6
    sketches["MinHash 128 (estimated Jaccard)"] = (
        [m.minhash if m else b"" for m in mins],
        lambda a, b: estimate(a, b),  # type: ignore[arg-type]
    )
    start = time.process_time()
    sims = [simhash(words(i.text)) for i in items]
    sh_us = (time.process_time() - start) / len(items) * 1e6
    sketches["SimHash 64 (1 - Hamming/64)"] = (
        list(sims),
        lambda a, b: 1 - bin(a ^ b).count("1") / 64,  # type: ignore[operator]
    )
    sets = [set(shingles(t)) for t in tokens]
    sketches["exact Jaccard (ceiling)"] = (
        list(sets),
        lambda a, b: len(a & b) / len(a | b),  # type: ignore[operator]
    )

    by_label: dict[str, list[int]] = defaultdict(list)
    by_topic: dict[str, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        by_label[item.label].append(n)
        if item.topic:
            by_topic[item.topic].append(n)
    positive = [p for group in by_label.values() for p in itertools.combinations(group, 2)]
    negative = [
        (a, b)
        for group in by_topic.values()
        for a, b in itertools.combinations(group, 2)
        if items[a].label != items[b].label
    ]
    print(f"{len(items)} items; {len(positive)} copy pairs, {len(negative)} same-topic pairs")
    costs = {
        "MinHash": f"{mh_us:.0f} CPU µs/signature (rensa, per batch)",
        "SimHash": f"{sh_us:.0f} CPU µs/signature (numpy)",
    }
    for name, (values, similarity) in sketches.items():
        pos = [similarity(values[a], values[b]) for a, b in positive]
        neg = [similarity(values[a], values[b]) for a, b in negative]
        cost = next((c for k, c in costs.items() if name.startswith(k)), "-")
        points = []
        for max_false in (MAX_FALSE, 0.0):
            threshold, found, false = recall_at(pos, neg, max_false)
            points.append(
                f"copy pairs found {found:.3f} at threshold {threshold:.3f} "
                f"(same-topic false links {100 * false:.2f}%)"
            )
        print(f"{name}: {'; '.join(points)}; {cost}")
    print(f"(MinHash values per signature: {NUM_PERM})")


if __name__ == "__main__":
    main()
