"""The worker liveness settings: a live worker's job must never look abandoned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.settings import Settings
from pipeline.workers.liveness import worker_options


def test_abandonment_must_outlast_two_heartbeats_and_a_redis_timeout() -> None:
    """A setting that would re-run the jobs of live workers is refused at start-up."""
    with pytest.raises(ValidationError, match="ABANDONED_AFTER"):
        Settings(worker_heartbeat=10, redis_timeout=10, worker_abandoned_after=29)
    Settings(worker_heartbeat=10, redis_timeout=10, worker_abandoned_after=30)


def test_idle_workers_wake_up_for_maintenance() -> None:
    """RQ blocks an idle worker for worker_ttl - 15 s: that is the maintenance interval."""
    options = worker_options(Settings())
    assert options["worker_ttl"] - 15 == options["maintenance_interval"] == 15
    assert options["job_monitoring_interval"] == 10
