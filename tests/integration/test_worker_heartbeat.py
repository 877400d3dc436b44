"""The worker's heartbeat (sent as one pipeline, not RQ's three round trips) still keeps
the worker and its executions alive for the time asked, on a real redis-server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import redis

from pipeline.settings import Settings
from pipeline.workers.liveness import ForkingLiveWorker, LiveWorker
from pipeline.workers.start import _make_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> Iterator[LiveWorker | ForkingLiveWorker]:
    """A registered worker with no heartbeat on record yet."""
    live = _make_worker(make_settings(), ["ingest"], False, threading.Event())
    live.register_birth()
    redis_client.hdel(live.key, "last_heartbeat")
    try:
        yield live
    finally:
        live.register_death()
        redis_client.delete(live.executions_key)


def test_a_heartbeat_renews_the_worker_and_its_executions(
    worker: LiveWorker, redis_client: redis.Redis
) -> None:
    redis_client.sadd(worker.executions_key, "an-execution")
    worker.heartbeat(timeout=300)
    assert redis_client.hget(worker.key, "last_heartbeat")
    assert 295 <= redis_client.ttl(worker.key) <= 300
    assert 295 <= redis_client.ttl(worker.executions_key) <= 300
    worker.heartbeat()  # RQ's default: the worker TTL + 60 s
    assert redis_client.ttl(worker.key) == pytest.approx(worker.worker_ttl + 60, abs=5)


def test_a_heartbeat_given_a_pipeline_waits_for_it(
    worker: LiveWorker, redis_client: redis.Redis
) -> None:
    """RQ folds some heartbeats into its own transactions: nothing is sent before them."""
    with redis_client.pipeline() as pipe:
        worker.heartbeat(timeout=200, pipeline=pipe)
        assert redis_client.hget(worker.key, "last_heartbeat") is None
        pipe.execute()
    assert redis_client.hget(worker.key, "last_heartbeat")
    assert 195 <= redis_client.ttl(worker.key) <= 200
