"""Near-duplicate detection on a labelled syndication set built from real articles.

    python bench/eval_dedup.py --articles ../shared/benchdata/tempeval3_tbaq \
        ../shared/benchdata/meantime_en ../shared/benchdata/ecbplus/ECB+

Builds the set (bench/_syndication.py: seeded variants, exact copies, revisions; ECB+
topics give same-event hard negatives), replays it shuffled through the real pipeline
(replay -> queue -> worker with enrichment -> atomic write) against a real redis-server,
reads the stream back and scores the clusters pairwise. Then, on the same articles in
the same order: the cost of the near-duplicate step with Redis included (signatures plus
the write with the index, minus the write without it), Redis bytes per indexed article,
and datasketch's MinHashLSH(threshold=0.5, num_perm=128) in memory on the same word
shingles as the baseline. The last line is the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import Any

import redis
from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._syndication import SETTINGS, Item, build_set, read_sources
from pipeline.fetch.files.replay import replay_paths
from pipeline.models import EnrichedArticle
from pipeline.ops.localredis import start_redis
from pipeline.ops.stats import OUTCOMES, read_counters
from pipeline.settings import Settings
from pipeline.similar import MIN_WORDS, Signature, sign_many, takes_part
from pipeline.similar.shingles import shingles, words
from pipeline.streams.writer import BatchWriter
from pipeline.workers.batch import process_items

BATCH = 100


# --- scoring ------------------------------------------------------------------------------


def _pairs(counts: Counter[Any]) -> int:
    return sum(comb(n, 2) for n in counts.values())


def score(
    labels: Sequence[str], clusters: Sequence[str], topics: Sequence[str | None]
) -> tuple[float, float, float]:
    """Pairwise precision and recall of predicted clusters against the labels, and the
    share of same-topic pairs of different articles put in one cluster."""
    gold = _pairs(Counter(labels))
    predicted = _pairs(Counter(clusters))
    both = _pairs(Counter(zip(labels, clusters, strict=True)))
    with_topic = [i for i, t in enumerate(topics) if t]
    t_pairs = _pairs(Counter(topics[i] for i in with_topic)) - _pairs(
        Counter((topics[i], labels[i]) for i in with_topic)
    )
    t_merged = _pairs(Counter((topics[i], clusters[i]) for i in with_topic)) - _pairs(
        Counter((topics[i], clusters[i], labels[i]) for i in with_topic)
    )
    precision = both / predicted if predicted else 1.0
    recall = both / gold if gold else 1.0
    return precision, recall, 100 * t_merged / t_pairs if t_pairs else 0.0


# --- the real pipeline --------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for(client: redis.Redis, settings: Settings, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sum(read_counters(client, settings).get(o, 0) for o in OUTCOMES) < total:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not finish in time")
        time.sleep(0.02)


def replay_through_pipeline(
    settings: Settings, folder: Path, n: int
) -> tuple[list[dict[str, Any]], float, float]:
    """Replay the folder twice through a worker (enrichment on); the entries written and
    the seconds each replay took, from the first enqueue to the last outcome counted."""
    client = redis.Redis.from_url(settings.redis_url)
    env = {**os.environ, "PIPELINE_REDIS_URL": settings.redis_url, "PIPELINE_ENRICH": "true"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "worker"], env=env
    )
    try:
        deadline = time.monotonic() + 180
        while not client.keys("rq:worker:*"):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the worker did not start")
            time.sleep(0.1)
        times = []
        for round_ in (1, 2):
            start, cpu = time.perf_counter(), _cpu_seconds(worker.pid)
            replay_paths(client, settings, [folder])
            _wait_for(client, settings, round_ * n, timeout=1800)
            times.append(time.perf_counter() - start)
            print(
                f"replay {round_}: {n} items in {times[-1]:.1f} s "
                f"(worker CPU {_cpu_seconds(worker.pid) - cpu:.1f} s)",
                file=sys.stderr,
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    entries = [json.loads(f[b"article"]) for _, f in client.xrange(settings.articles_stream)]
    return entries, times[0], times[1]


# --- the cost of the step, and memory -----------------------------------------------------


def _prepare(items: Sequence[Item]) -> list[list[EnrichedArticle]]:
    raw = [
        {"kind": "jsonl", "source": "eval", "url": i.url, "title": i.title, "text": i.text}
        for i in items
    ]
    return [
        process_items(raw[i : i + BATCH], enricher=None).articles for i in range(0, len(raw), BATCH)
    ]


def _redis_usec(client: redis.Redis) -> int:
    """CPU µs Redis spent running scripts since its last CONFIG RESETSTAT (the commands
    a script calls are counted again under their own names: not added)."""
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("usec", 0)) for c in ("evalsha", "eval"))


def _write_all(
    client: redis.Redis,
    settings: Settings,
    batches: list[list[EnrichedArticle]],
    signatures: list[list[Signature | None]] | None,
) -> tuple[float, float]:
    """Write every batch into an empty Redis: the CPU seconds this process spent and
    the CPU seconds Redis spent."""
    client.flushall()
    client.config_resetstat()
    writer = BatchWriter(client, settings)
    start = time.process_time()
    for n, batch in enumerate(batches):
        writer.write(batch, signatures=signatures[n] if signatures else None)
    return time.process_time() - start, _redis_usec(client) / 1e6


def measure_step(settings: Settings, items: Sequence[Item], rounds: int = 3) -> tuple[float, float]:
    """CPU µs per article of the near-duplicate step, Redis included: the signatures, plus
    what the write costs this process and Redis with the index minus without it; and
    Redis bytes per indexed article (used_memory with the index minus without).

    CPU time, not wall time: on a shared machine the wall clock measures the neighbours."""
    client = redis.Redis.from_url(settings.redis_url)
    batches = _prepare(items)
    n = sum(len(b) for b in batches)
    signing, client_extra, redis_extra, memory = [], [], [], []
    for _ in range(rounds):
        start = time.process_time()
        signatures = [sign_many([(a.text, None) for a in batch]) for batch in batches]
        signing.append(time.process_time() - start)
        off = _write_all(client, settings, batches, None)
        used_off = client.info("memory")["used_memory"]
        on = _write_all(client, settings, batches, signatures)
        used_on = client.info("memory")["used_memory"]
        indexed = len(client.keys(settings.key("nd", "s", "*")))
        client_extra.append(on[0] - off[0])
        redis_extra.append(on[1] - off[1])
        memory.append((used_on - used_off) / max(1, indexed))
    parts = [statistics.median(v) / n * 1e6 for v in (signing, client_extra, redis_extra)]
    print(
        f"near-duplicate step, CPU µs per article (medians of {rounds}): signature "
        f"{parts[0]:.0f} + write in the worker {parts[1]:.0f} + in Redis {parts[2]:.0f}; "
        f"Redis runs: {', '.join(f'{r / n * 1e6:.0f}' for r in redis_extra)}",
        file=sys.stderr,
    )
    client.flushall()
    return sum(parts), statistics.median(memory)


# --- the datasketch baseline --------------------------------------------------------------


def baseline(items: Sequence[Item]) -> tuple[list[str], float]:
    """datasketch MinHashLSH(threshold=0.5, num_perm=128) in memory over the same
    articles and word shingles: a query hit joins the earliest hit's cluster. Returns the
    clusters and CPU µs per article (signature, query and insert)."""
    articles = [a for batch in _prepare(items) for a in batch]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    cluster: dict[str, str] = {}
    order: dict[str, int] = {}
    out = []
    elapsed = 0.0
    for n, article in enumerate(articles):
        tokens = words(article.text)
        if article.id in cluster:  # a revision keeps its cluster, as in the pipeline
            out.append(cluster[article.id])
            continue
        if not takes_part(len(tokens)):
            cluster[article.id] = article.id
            out.append(article.id)
            continue
        start = time.process_time()
        sketch = MinHash(num_perm=128)
        sketch.update_batch([s.encode("utf-8") for s in shingles(tokens)])
        hits = lsh.query(sketch)
        lsh.insert(article.id, sketch)
        elapsed += time.process_time() - start
        first = min(hits, key=order.__getitem__) if hits else None
        cluster[article.id] = cluster[first] if first else article.id
        order[article.id] = n
        out.append(cluster[article.id])
    return out, elapsed / len(articles) * 1e6


# --- main ---------------------------------------------------------------------------------


def _labels_of(
    entries: list[dict[str, Any]], by_url: dict[str, Item]
) -> tuple[list[str], list[str], list[str | None]]:
    labels, clusters, topics = [], [], []
    for e in entries:
        item = by_url[e["url"]]
        labels.append(item.label)
        clusters.append(e["cluster"])
        topics.append(item.topic)
    return labels, clusters, topics


def _write_jsonl(folder: Path, items: Sequence[Item]) -> None:
    with open(folder / "syndication.jsonl", "w", encoding="utf-8") as out:
        for item in items:
            line = {"url": item.url, "title": item.title, "text": item.text, "source": "eval"}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", nargs="+", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.articles if not p.exists()]
    if missing:
        parser.error(f"no such path: {', '.join(missing)}")
    sources, copies = read_sources(args.articles)
    # a copy of a shorter article, cut by 40%, falls under the floor where articles take
    # no part in copy detection by design: such sources would measure the floor, not this
    long_enough = [s for s in sources if len(words(s.text)) >= 2 * MIN_WORDS]
    items = build_set(long_enough, seed=args.seed)
    kinds = Counter(i.kind for i in items)
    print(
        f"sources: {len(long_enough)} ({copies} left out as copies of another source, "
        f"{len(sources) - len(long_enough)} as shorter than {2 * MIN_WORDS} words)"
    )
    print(f"set: {len(items)} items, " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(
        "generator: " + "; ".join(f"{k} = {v}" for k, v in {**SETTINGS, "seed": args.seed}.items())
    )
    by_url = {i.url: i for i in items}
    with tempfile.TemporaryDirectory() as tmp, start_redis() as url:
        settings = Settings(redis_url=url)
        _write_jsonl(Path(tmp), items)
        entries, first, second = replay_through_pipeline(settings, Path(tmp), len(items))
        labels, clusters, topics = _labels_of(entries, by_url)
        precision, recall, false_merges = score(labels, clusters, topics)
        kinds_out = Counter(e.get("duplicate_kind") or "original" for e in entries)
        print(
            f"stream: {len(entries)} entries, "
            + ", ".join(f"{k} {v}" for k, v in sorted(kinds_out.items()))
        )
        step, bytes_per = measure_step(settings, items)
    base_clusters, base_us = baseline(items)
    base_labels = [by_url[a.url or ""].label for b in _prepare(items) for a in b]
    base_topics = [by_url[a.url or ""].topic for b in _prepare(items) for a in b]
    b_precision, b_recall, b_false = score(base_labels, base_clusters, base_topics)
    print(
        f"pipeline: precision {precision:.4f}, recall {recall:.4f}, false merges "
        f"{false_merges:.3f}%; baseline: precision {b_precision:.4f}, recall {b_recall:.4f}, "
        f"false merges {b_false:.3f}%"
    )
    print(f"settings: threshold {settings.neardup_threshold}, window {settings.neardup_days} days")
    print(
        f"dedup: precision {precision:.2f}, recall {recall:.2f}, false merges {false_merges:.2f}%; "
        f"baseline precision {b_precision:.2f}, recall {b_recall:.2f}; "
        f"{step:.0f} µs/article vs baseline {base_us:.0f} µs; {bytes_per:.0f} bytes/article; "
        f"second replay {second / first:.2f}"
    )


if __name__ == "__main__":
    main()
