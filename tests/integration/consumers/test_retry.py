"""`pipeline dead retry` hands a consume-stage dead letter back to its group only."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import redis

from pipeline.cli import main
from pipeline.models import EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams import Consumer, RunSummary

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _drain(consumer: Consumer, handler: Callable[[EnrichedArticle], None]) -> RunSummary:
    """Run until nothing more arrives for a moment."""
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    try:
        return consumer.run(handler, block_ms=100, stop=stop, handle_signals=False)
    finally:
        timer.cancel()


def test_retry_hands_the_entry_back_to_its_group_only(
    settings: Settings,
    redis_client: redis.Redis,
    write: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enqueued again for the failing group; the other group never sees it twice."""
    write(5)
    stream = settings.articles_stream
    indexer = Consumer(redis_client, stream, "indexer", "i", max_deliveries=1, claim_idle_ms=0)
    alerts = Consumer(redis_client, stream, "alerts", "a")
    seen_by_alerts: list[str] = []
    seen_by_indexer: list[str] = []

    def broken(article: EnrichedArticle) -> None:
        if article.id == "id2":
            raise ValueError("mapping rejects this article")
        seen_by_indexer.append(article.id)

    assert _drain(alerts, lambda a: seen_by_alerts.append(a.id)).handled == 5
    assert _drain(indexer, broken).dead_lettered == 1
    [(_, letter)] = redis_client.xrange(settings.dead_stream)
    original_source = letter[b"source"].decode()

    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    assert main(["--log-level", "WARNING", "dead", "retry", "--stage", "consume"]) == 0
    assert redis_client.xlen(settings.dead_stream) == 0

    # still broken: it comes back as a dead letter naming the same original entry
    assert _drain(indexer, broken).dead_lettered == 1
    [(_, again)] = redis_client.xrange(settings.dead_stream)
    assert again[b"source"].decode() == original_source and again[b"group"] == b"indexer"
    assert main(["--log-level", "WARNING", "dead", "retry", "--stage", "consume"]) == 0

    # fixed: handled once, by that group alone
    assert _drain(indexer, lambda a: seen_by_indexer.append(a.id)).handled == 1
    assert sorted(seen_by_indexer) == ["id0", "id1", "id2", "id3", "id4"]
    assert _drain(alerts, lambda a: seen_by_alerts.append(a.id)).taken == 0
    assert sorted(seen_by_alerts) == ["id0", "id1", "id2", "id3", "id4"]
    assert redis_client.xlen(settings.dead_stream) == 0
    assert redis_client.xlen(f"{stream}:retry:indexer") == 0
    for group in ("indexer", "alerts"):
        assert redis_client.xpending(stream, group)["pending"] == 0
