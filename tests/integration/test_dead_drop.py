"""`pipeline dead drop`: an operator dismisses dead letters that can never be right, on a
real redis-server; the rest stay, and the same bad input read again is not re-reported."""

from __future__ import annotations

import pytest
import redis
import structlog

from pipeline.cli import main
from pipeline.models import DeadLetter
from pipeline.ops.dismiss import drop_dead_letters
from pipeline.ops.stats import read_counters
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter

pytestmark = pytest.mark.integration


def _letter(stage: str, source: str, text: str) -> DeadLetter:
    return DeadLetter(stage=stage, reason=f"bad {text}", error="E", source=source, input=text)


def _written(client: redis.Redis, settings: Settings, *letters: DeadLetter) -> list[str]:
    result = BatchWriter(client, settings).write([], letters)
    return [outcome.entry for outcome in result.dead if outcome.entry]


def _left(client: redis.Redis, settings: Settings) -> list[str]:
    return [eid.decode() for eid, _ in client.xrange(settings.dead_stream)]


def _drop(settings: Settings, *args: str) -> int:
    base = ["--redis-url", settings.redis_url, "--log-level", "WARNING"]
    return main([*base, "dead", "drop", *args])


def test_drop_by_id_and_by_stage_leaves_the_others(
    settings: Settings, redis_client: redis.Redis
) -> None:
    junk, other, page = _written(
        redis_client,
        settings,
        _letter("read", "/in/a.jsonl", "{not json"),
        _letter("read", "/in/b.jsonl", "<html>"),
        _letter("page", "https://example.org/feed", '{"url": "x"}'),
    )
    assert _drop(settings, junk) == 0
    assert _left(redis_client, settings) == [other, page]
    assert _drop(settings, "--stage", "page") == 0
    assert _left(redis_client, settings) == [other]
    assert _drop(settings, "--all") == 0
    assert _left(redis_client, settings) == []
    # history is kept: the write counted three dead letters, and still does
    assert read_counters(redis_client, settings).get("dead") == 3


def test_a_dropped_letter_is_logged_and_not_reported_again(
    settings: Settings, redis_client: redis.Redis
) -> None:
    letter = _letter("read", "/in/a.jsonl", "{not json")
    (entry,) = _written(redis_client, settings, letter)
    with structlog.testing.capture_logs() as logs:
        dropped_entries = drop_dead_letters(redis_client, settings, entry_ids=[entry])
    assert [e.entry_id for e in dropped_entries] == [entry]
    dropped = [e for e in logs if e["event"] == "dead_letter_dropped"]
    assert [(e["entry"], e["source"], e["reason"]) for e in dropped] == [
        (entry, "/in/a.jsonl", "bad {not json")
    ]
    # the folder replayed: the same failure is deduplicated, not listed again
    assert _written(redis_client, settings, letter) == []
    assert _left(redis_client, settings) == []


def test_drop_needs_ids_or_a_selection(settings: Settings, redis_client: redis.Redis) -> None:
    (entry,) = _written(redis_client, settings, _letter("read", "/in/a.jsonl", "x"))
    assert _drop(settings) == 2
    assert _drop(settings, "not-an-id") == 2
    assert _left(redis_client, settings) == [entry]
