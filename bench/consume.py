"""Consumer throughput: entries/s read, validated and acknowledged by one ``Consumer``
with a no-op handler, against the raw ceiling measured in the same run (XREADGROUP +
XACK of the same entries, no validation), and the PostgreSQL sink's entries/s.

    python bench/consume.py [--n 20000] [--batch 100] [--no-sink]

The articles are generated (bench/_articles.py, ~600 words), normalised by the real
stages, given the entities and dates their text names (as NER would, without its cost)
and written by the atomic write to a throw-away redis-server. The sink writes to a
database it creates and drops on the server PIPELINE_SINK_DSN names (default
postgresql://127.0.0.1:5432/test). Last line, always:

    consume: X entries/s, ceiling Y entries/s, sink Z entries/s
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._articles import generate_items
from pipeline.models import DateMention, EnrichedArticle, Entity, RawItem
from pipeline.ops.localredis import start_redis
from pipeline.settings import Settings
from pipeline.streams import Consumer, parse_article
from pipeline.streams.writer import BatchWriter
from pipeline.workers.batch import process_items

_NAME = re.compile(r"\b([A-Z][a-z]+ [A-Z][a-z]+)\b(?= of)")
_WHEN = re.compile(r"\b(on Monday|on Friday|last week|on March 3|in 2019)\b")


def _with_entities(article: EnrichedArticle) -> EnrichedArticle:
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in _NAME.finditer(article.text):
        spans.setdefault(m.group(1), []).append(m.span(1))
    entities = [
        Entity(name=n, label="PERSON", aliases=[n.split()[1]], mentions=s) for n, s in spans.items()
    ]
    dates = [
        DateMention(
            text=m.group(1), start=m.start(1), end=m.end(1), type="DATE", value="2025-03-03"
        )
        for m in _WHEN.finditer(article.text)
    ]
    return article.model_copy(update={"entities": entities, "dates": dates})


def fill(settings: Settings, n: int) -> float:
    """Write n articles through the atomic write; returns their mean word count."""
    client = redis.Redis.from_url(settings.redis_url)
    writer = BatchWriter(client, settings)
    items = [RawItem.model_validate({**i, "kind": "jsonl"}).model_dump(mode="json")
             for i in generate_items(n)]  # fmt: skip
    words = 0
    for lo in range(0, n, 500):
        processed = process_items(items[lo : lo + 500], enricher=None).articles
        articles = [_with_entities(a) for a in processed]
        words += sum(a.word_count for a in articles)
        writer.write(articles)
    return words / n


def measure_consumer(settings: Settings, n: int, batch: int, group: str) -> float:
    """Entries/s through Consumer.run: read, validate into EnrichedArticle, acknowledge."""
    client = redis.Redis.from_url(settings.redis_url)
    consumer = Consumer(client, settings.articles_stream, group)
    start = time.perf_counter()
    summary = consumer.run(lambda article: None, count=batch, limit=n, handle_signals=False)
    elapsed = time.perf_counter() - start
    assert summary.handled == n, summary
    return n / elapsed


def measure_ceiling(settings: Settings, n: int, batch: int, group: str) -> float:
    """Entries/s for XREADGROUP + XACK of the same entries, nothing else."""
    client = redis.Redis.from_url(settings.redis_url)
    stream = settings.articles_stream
    client.xgroup_create(stream, group, id="0")
    done = 0
    start = time.perf_counter()
    while done < n:
        response = client.xreadgroup(group, "raw", {stream: ">"}, count=batch)
        ids = [eid for _key, items in response for eid, _fields in items]
        client.xack(stream, group, *ids)
        done += len(ids)
    return done / (time.perf_counter() - start)


def measure_decoding(settings: Settings, n: int) -> tuple[float, float]:
    """Entries/s for json.loads alone, and for the reading side's validation alone, over
    the first n articles: what no consumer of JSON entries can do without."""
    client = redis.Redis.from_url(settings.redis_url)
    bodies = [f[b"article"] for _id, f in client.xrange(settings.articles_stream, count=n)]
    start = time.perf_counter()
    for body in bodies:
        json.loads(body)
    parse = len(bodies) / (time.perf_counter() - start)
    start = time.perf_counter()
    for body in bodies:
        parse_article(body)
    return parse, len(bodies) / (time.perf_counter() - start)


def measure_sink(settings: Settings, n: int, batch: int) -> float | None:
    """Entries/s of the PostgreSQL sink into a database of its own; None without a server."""
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        from examples.pg_sink.sink import run_sink, sink_dsn
    except ImportError:
        print("sink: psycopg not installed (pip install -e '.[sink]')", file=sys.stderr)
        return None
    try:
        admin = psycopg.connect(sink_dsn(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"sink: no PostgreSQL at {sink_dsn()} ({exc})", file=sys.stderr)
        return None
    name = f"bench_sink_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        params: dict[str, Any] = {**conninfo_to_dict(sink_dsn()), "dbname": name}
        with psycopg.connect(make_conninfo(**params), autocommit=True) as conn:
            client = redis.Redis.from_url(settings.redis_url)
            start = time.perf_counter()
            summary = run_sink(client, conn, settings, group="bench-sink", limit=n)
            elapsed = time.perf_counter() - start
            assert summary.handled == n, summary
            rows = conn.execute("SELECT count(*) FROM articles").fetchone()
            assert rows is not None and rows[0] == n, rows
            return n / elapsed
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-sink", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds; each figure is the best"
    )
    args = parser.parse_args()
    with start_redis() as url:
        settings = Settings(redis_url=url, stream_maxlen=0)
        mean_words = fill(settings, args.n)
        version = redis.Redis.from_url(url).info("server")["redis_version"]
        print(
            f"entries: {args.n} (mean {mean_words:.0f} words), batch {args.batch}, Redis {version}"
        )
        # the machine is shared: alternate the measurements and keep each one's best
        # round, the one least disturbed by other processes
        rounds = []
        for r in range(args.rounds):
            rounds.append(
                (
                    measure_ceiling(settings, args.n, args.batch, f"raw-{r}"),
                    measure_consumer(settings, args.n, args.batch, f"consumer-{r}"),
                    *measure_decoding(settings, args.n),
                )
            )
            c, x, j, v = rounds[-1]
            print(f"round {r + 1}: ceiling {c:.0f}, consume {x:.0f}, json.loads {j:.0f}, "
                  f"validation {v:.0f} entries/s")  # fmt: skip
        ceiling, consume, parse, validate = (max(column) for column in zip(*rounds, strict=True))
        print(
            f"without Redis, same entries: json.loads {parse:.0f}/s, "
            f"validation into EnrichedArticle {validate:.0f}/s"
        )
        print(
            f"ratio consume/ceiling: {consume / ceiling:.2f} (acceptance: >= 0.5); "
            f"json.loads alone/ceiling: {parse / ceiling:.2f}; "
            f"consume/validation alone: {consume / validate:.2f}"
        )
        sink = None if args.no_sink else measure_sink(settings, args.n, args.batch)
    sink_text = f"{sink:.0f}" if sink is not None else "n/a"
    rates = f"consume: {consume:.0f} entries/s, ceiling {ceiling:.0f} entries/s"
    print(f"{rates}, sink {sink_text} entries/s")


if __name__ == "__main__":
    main()
