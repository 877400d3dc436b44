"""Downstream reading with consumer groups: at-least-once, with reclaiming."""

from __future__ import annotations

import json

import pytest
import redis

from pipeline.cli import main
from pipeline.models import EnrichedArticle, utc_now
from pipeline.settings import Settings
from pipeline.streams import Consumer
from pipeline.streams.writer import BatchWriter

pytestmark = pytest.mark.integration


def _write(client: redis.Redis, settings: Settings, n: int) -> None:
    BatchWriter(client, settings).write(
        [
            EnrichedArticle(
                id=f"id{i}",
                source="t",
                kind="jsonl",
                text=f"text {i}",
                fingerprint=f"fp{i}",
                fetched=utc_now(),
            )
            for i in range(n)
        ]
    )


def test_entries_left_by_a_dead_consumer_are_reclaimed(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """A consumer that read but never acknowledged: another one takes its entries over."""
    _write(redis_client, settings, 5)
    crashed = Consumer(redis_client, settings.articles_stream, "indexer", "crashed")
    assert len(crashed.read(count=10)) == 5  # read, never acked
    survivor = Consumer(
        redis_client, settings.articles_stream, "indexer", "survivor", claim_idle_ms=0
    )
    reclaimed = survivor.read(count=10)
    assert sorted(e.article().id for e in reclaimed) == [f"id{i}" for i in range(5)]
    assert survivor.ack([e.entry_id for e in reclaimed]) == 5
    assert redis_client.xpending(settings.articles_stream, "indexer")["pending"] == 0


def test_two_groups_each_see_every_entry(settings: Settings, redis_client: redis.Redis) -> None:
    """Separate services (groups) each get the whole stream; new entries arrive later."""
    _write(redis_client, settings, 3)
    a = Consumer(redis_client, settings.articles_stream, "search", "a")
    b = Consumer(redis_client, settings.articles_stream, "alerts", "b")
    assert len(a.read()) == 3 and len(b.read()) == 3
    assert a.read(block_ms=10) == []


def test_consume_command_prints_and_acknowledges(
    settings: Settings,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`pipeline consume` prints each entry as a JSON line and acknowledges it."""
    _write(redis_client, settings, 3)
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    assert main(["--log-level", "WARNING", "consume", "--group", "printer", "--count", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(line)["article"]["id"] for line in lines] == ["id0", "id1", "id2"]
    assert redis_client.xpending(settings.articles_stream, "printer")["pending"] == 0
