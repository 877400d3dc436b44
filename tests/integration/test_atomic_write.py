"""The atomic batch write against a real redis-server (PATH's, and Redis 6.2 in the second
run of scripts/check.sh)."""

from __future__ import annotations

import json

import pytest
import redis

from pipeline.models import DeadLetter, EnrichedArticle, utc_now
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from tests.conftest import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server_settings(redis_server: RedisServer) -> Settings:
    """Settings for the session's redis-server: the one on PATH, or the oldest supported
    (Redis 6.2, bundled) when PIPELINE_TEST_REDIS=bundled (scripts/check.sh runs both)."""
    redis_server.client().flushall()
    return Settings(redis_url=redis_server.url)


def _article(id: str, text: str, fp: str | None = None) -> EnrichedArticle:
    return EnrichedArticle(
        id=id,
        source=f"test:{id}",
        kind="jsonl",
        text=text,
        fingerprint=fp or f"fp-{text}",
        fetched=utc_now(),
    )


def _entries(client: redis.Redis, stream: str) -> list[dict[str, object]]:
    return [json.loads(f[b"article"]) for _, f in client.xrange(stream)]


def test_same_article_twice_is_written_once(server_settings: Settings) -> None:
    """A retried batch writes nothing new and counts repeats."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    batch = [_article("a", "alpha"), _article("b", "beta")]
    first = writer.write(batch)
    again = writer.write(batch)
    assert [o.status for o in first.articles] == ["new", "new"]
    assert [o.status for o in again.articles] == ["repeat", "repeat"]
    assert [o.entry for o in again.articles] == [o.entry for o in first.articles]
    assert client.xlen(server_settings.articles_stream) == 2
    assert client.hget(server_settings.key("stats"), "repeat") == b"2"


def test_identical_text_under_another_id_is_a_duplicate(server_settings: Settings) -> None:
    """A copy under another id is written with duplicate_of and the cluster of the first."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    writer.write([_article("first", "same words", fp="F")])
    writer.write([_article("copy", "same words", fp="F")])
    first, copy = _entries(client, server_settings.articles_stream)
    assert first["duplicate_of"] is None and first["cluster"] == "first"
    assert copy["duplicate_of"] == "first" and copy["cluster"] == "first"


def test_changed_text_under_same_id_is_a_revision(server_settings: Settings) -> None:
    """Same id, new text: revision 2 pointing at the entry it replaces."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    v1 = writer.write([_article("a", "first version")]).articles[0]
    v2 = writer.write([_article("a", "second version")]).articles[0]
    assert v2.status == "revision"
    latest = _entries(client, server_settings.articles_stream)[-1]
    assert latest["revision"] == 2
    assert latest["previous_entry"] == v1.entry
    # and the second version repeated is not written a third time
    assert writer.write([_article("a", "second version")]).articles[0].status == "repeat"
    assert client.xlen(server_settings.articles_stream) == 2


def test_entry_fields_follow_the_output_contract(server_settings: Settings) -> None:
    """Each entry has id, v and article; the article parses back to the model."""
    client = redis.Redis.from_url(server_settings.redis_url)
    BatchWriter(client, server_settings).write([_article("a", "alpha")])
    ((_, fields),) = client.xrange(server_settings.articles_stream)
    assert set(fields) == {b"id", b"v", b"article"}
    assert fields[b"id"] == b"a" and fields[b"v"] == b"1"
    article = EnrichedArticle.model_validate_json(fields[b"article"])
    assert article.id == "a" and article.revision == 1 and article.cluster == "a"


def test_dead_letters_are_written_once_with_all_fields(server_settings: Settings) -> None:
    """A failure reported again by a retried job is one dead letter, with every field."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    letter = DeadLetter(
        stage="read",
        reason="empty file",
        error="InvalidInput",
        source="x.txt",
        input='{"path": "x.txt"}',
    )
    writer.write([_article("ok", "fine")], [letter])
    writer.write([], [letter])
    ((_, fields),) = client.xrange(server_settings.dead_stream)
    assert {b"stage", b"reason", b"error", b"source", b"at", b"input"} <= set(fields)
    assert fields[b"stage"] == b"read" and fields[b"reason"] == b"empty file"
    assert client.xlen(server_settings.articles_stream) == 1


def test_stream_is_trimmed_to_maxlen(server_settings: Settings) -> None:
    """The stream never grows past its cap (approximately, as XADD MAXLEN ~ trims)."""
    settings = server_settings.model_copy(update={"stream_maxlen": 100})
    client = redis.Redis.from_url(settings.redis_url)
    writer = BatchWriter(client, settings)
    for start in range(0, 1000, 100):
        writer.write([_article(f"id{i}", f"text {i}") for i in range(start, start + 100)])
    assert client.xlen(settings.articles_stream) < 300
