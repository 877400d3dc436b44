"""The PostgreSQL sink example on a real PostgreSQL and a real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from examples.pg_sink.sink import run_sink
from examples.pg_sink.store import (
    copies_of,
    create_tables,
    entity_articles,
    store_article,
    store_articles,
)
from pipeline.models import EnrichedArticle, Entity, utc_now
from pipeline.settings import Settings
from pipeline.streams import Consumer
from pipeline.streams.writer import BatchWriter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).parents[3]


def _article(id: str, text: str, published: str, *names: str) -> EnrichedArticle:
    return EnrichedArticle(
        id=id,
        source="test",
        kind="jsonl",
        text=text,
        title=f"about {', '.join(names)}",
        fingerprint=f"fp-{text}",
        published=datetime.fromisoformat(published),
        fetched=utc_now(),
        entities=[
            Entity(name=n, label="PERSON", aliases=[n.split()[-1]], mentions=[(0, len(n))])
            for n in names
        ],
    )


def _fill(client: redis.Redis, settings: Settings) -> None:
    """An original with a copy, a revised article, and one outside the date range."""
    writer = BatchWriter(client, settings)
    maria, kenji = "Maria Okafor", "Kenji Tanaka"
    day1, day5 = "2025-03-01T10:00:00+00:00", "2025-03-05T09:00:00+00:00"
    writer.write([_article("a", "Maria Okafor spoke.", day1, maria)])
    writer.write([_article("a-copy", "Maria Okafor spoke.", day1, maria)])
    writer.write([_article("b", "Okafor and Kenji Tanaka met.", day5, maria, kenji)])
    writer.write([_article("b", "Okafor and Kenji Tanaka met again.", day5, maria, kenji)])
    writer.write([_article("c", "Maria Okafor in April.", "2025-04-02T09:00:00+00:00", maria)])


def _count(pg: psycopg.Connection[Any], table: str) -> int:
    row = pg.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_every_entry_delivered_twice_leaves_one_row_per_article_revision(
    settings: Settings, redis_client: redis.Redis, pg: psycopg.Connection[Any]
) -> None:
    """A member stores everything and dies before acknowledging; the next stores it again."""
    _fill(redis_client, settings)
    create_tables(pg)
    crashed = Consumer(redis_client, settings.articles_stream, "pg-sink", "crashed")
    for entry in crashed.read(count=100):
        store_article(pg, entry.article())  # stored, never acknowledged
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    summary = run_sink(redis_client, pg, settings, stop=stop, claim_idle_ms=0, name="survivor")
    assert summary.handled == 5  # every entry delivered (and stored) a second time
    rows = pg.execute("SELECT id, revision FROM articles ORDER BY id, revision").fetchall()
    assert rows == [("a", 1), ("a-copy", 1), ("b", 1), ("b", 2), ("c", 1)]
    assert _count(pg, "entities") == 1 + 1 + 2 + 2 + 1
    assert redis_client.xpending(settings.articles_stream, "pg-sink")["pending"] == 0
    assert copies_of(pg, "a") == ["a-copy"]
    [copy] = pg.execute("SELECT duplicate_of, cluster FROM articles WHERE id = 'a-copy'")
    assert copy == ("a", "a")


def test_an_entitys_articles_in_a_date_range(
    settings: Settings, redis_client: redis.Redis, pg: psycopg.Connection[Any]
) -> None:
    """Originals mentioning the name or an alias, latest revision, copies counted."""
    _fill(redis_client, settings)
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    run_sink(redis_client, pg, settings, stop=stop)
    march = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    hits = entity_articles(pg, "maria okafor", *march)
    assert [(h.id, h.revision, h.copies) for h in hits] == [("a", 1, 1), ("b", 2, 0)]
    assert [h.id for h in entity_articles(pg, "Tanaka", *march)] == ["b"]  # an alias
    april = (datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC))
    assert [h.id for h in entity_articles(pg, "Maria Okafor", *april)] == ["c"]


def test_the_readme_command_stores_the_stream_and_answers_the_query(
    settings: Settings, redis_client: redis.Redis, pg_dsn: str
) -> None:
    """python -m examples.pg_sink --until-idle 1, then ... query NAME --from --to."""
    _fill(redis_client, settings)
    env = {**os.environ, "PIPELINE_REDIS_URL": settings.redis_url, "PIPELINE_SINK_DSN": pg_dsn}
    run = [sys.executable, "-m", "examples.pg_sink"]
    sink = subprocess.run(
        [*run, "--until-idle", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert sink.returncode == 0, sink.stderr
    assert "stored 5 articles" in sink.stderr
    query = subprocess.run(
        [*run, "query", "Maria Okafor", "--from", "2025-03-01", "--to", "2025-04-01"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines() == [
        "2025-03-01  a  r1  about Maria Okafor (+1 copies)",
        "2025-03-05  b  r2  about Maria Okafor, Kenji Tanaka",
    ]


def test_a_batch_holding_the_same_version_twice_stores_it_once(
    pg: psycopg.Connection[Any],
) -> None:
    """A redelivered entry can land in the same batch as its first delivery."""
    create_tables(pg)
    article = _article("a", "Maria Okafor spoke.", "2025-03-01T10:00:00+00:00", "Maria Okafor")
    store_articles(pg, [article, article])
    store_articles(pg, [article])
    assert _count(pg, "articles") == 1 and _count(pg, "entities") == 1
