"""The rq-dashboard release the compose profile pins reads the pipeline's rq 3 jobs, which
are JSON-serialised: with its JSON serializer switched on, as the compose file does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.fetch.files.replay import replay_paths
from pipeline.queueing import make_queue
from pipeline.settings import Settings

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[2] / "seeds"


@pytest.fixture
def dashboard(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """rq-dashboard's Flask app configured from the environment as in docker-compose.yml."""
    from rq.serializers import DefaultSerializer
    from rq_dashboard import web
    from rq_dashboard.app import create_app

    monkeypatch.setenv("RQ_DASHBOARD_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("RQ_DASHBOARD_JSON_SERIALIZER", "true")
    monkeypatch.setenv("RQ_DASHBOARD_URL_PREFIX", "/")
    monkeypatch.setenv("RQ_DASHBOARD_SHOW_FULL_ARGS", "true")  # the call, read from the job
    try:
        yield create_app().test_client()
    finally:
        web.config.serializer = DefaultSerializer  # module state: put it back


def test_dashboard_lists_the_queue_and_reads_a_job(
    dashboard: Any, settings: Settings, redis_client: redis.Redis
) -> None:
    """After a replay, the dashboard lists the ingest queue with its job and opens the job:
    its function, its argument (the batch's key) and its description."""
    replay_paths(redis_client, settings, [SEEDS])
    job_id = make_queue(redis_client, settings).get_job_ids()[0]

    queues = json.loads(dashboard.get("/0/data/queues.json").data)["queues"]
    ingest = next(q for q in queues if q["name"] == settings.queue_name)
    assert ingest["count"] == 1

    response = dashboard.get(f"/0/data/job/{job_id}.json")
    assert response.status_code == 200
    job = json.loads(response.data)
    assert job["status"] == "queued"
    assert job["origin"] == settings.queue_name
    key = settings.key("batch", job_id)
    assert job["description"] == f"pipeline.workers.jobs.process_batch('{key}')"


def test_without_the_json_serializer_the_job_cannot_be_read(
    dashboard: Any, settings: Settings, redis_client: redis.Redis
) -> None:
    """Why the compose file sets RQ_DASHBOARD_JSON_SERIALIZER: with rq's default (pickle)
    the dashboard cannot read a job's call."""
    from rq.serializers import DefaultSerializer
    from rq_dashboard import web

    replay_paths(redis_client, settings, [SEEDS])
    job_id = make_queue(redis_client, settings).get_job_ids()[0]
    web.config.serializer = DefaultSerializer
    try:
        response = dashboard.get(f"/0/data/job/{job_id}.json")
    except Exception as exc:  # Flask may propagate it in tests
        assert "pickle" in repr(exc).lower() or "Deserializ" in type(exc).__name__
        return
    assert response.status_code == 500
