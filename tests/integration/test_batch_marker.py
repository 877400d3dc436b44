"""A batch job tells "written by an earlier run" from "items lost", on a real redis-server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus
from structlog.testing import capture_logs

from pipeline.cli import main
from pipeline.fetch.files.replay import replay_paths
from pipeline.queueing import FAILURE_TTL, make_queue, payload_key
from pipeline.settings import Settings
from pipeline.streams.writer import MARKER_MIN_TTL, written_marker_key
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration


def _replay_two(redis_client: redis.Redis, settings: Settings, folder: Path) -> str:
    (folder / "a.txt").write_text("Title A\n\nBody A.")
    (folder / "b.txt").write_text("Title B\n\nBody B.")
    replay_paths(redis_client, settings, [folder])
    (job_id,) = make_queue(redis_client, settings).job_ids
    return str(job_id)


def test_queued_items_never_expire_and_the_write_leaves_a_marker(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path: Path
) -> None:
    """While its job waits the payload has no expiry; the write replaces it by a marker
    that outlives a failed job's stay in RQ's failed registry."""
    settings = make_settings(enrich=False)
    job_id = _replay_two(redis_client, settings, tmp_path)
    key = payload_key(settings, job_id)
    assert redis_client.ttl(key) == -1  # no expiry while the job can still run
    run_worker(settings, redis_client, burst=True)
    assert not redis_client.exists(key)
    marker_ttl = redis_client.ttl(written_marker_key(key))
    assert marker_ttl > FAILURE_TTL and marker_ttl >= MARKER_MIN_TTL - 5
    assert redis_client.xlen(settings.articles_stream) == 2


def test_a_job_run_again_after_its_write_finds_the_marker(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A job that runs again after its batch landed (its worker died after the write)
    succeeds without writing anything and without an alarm."""
    settings = make_settings(enrich=False)
    job_id = _replay_two(redis_client, settings, tmp_path)
    run_worker(settings, redis_client, burst=True)
    queue = make_queue(redis_client, settings)
    queue.enqueue_job(Job.fetch(job_id, connection=redis_client, serializer=queue.serializer))
    with capture_logs() as logs:
        run_worker(settings, redis_client, burst=True)
    assert any(e["event"] == "batch_already_written" for e in logs)
    job = Job.fetch(job_id, connection=redis_client, serializer=queue.serializer)
    assert job.get_status() == JobStatus.FINISHED
    assert redis_client.xlen(settings.articles_stream) == 2
    assert not redis_client.hget(settings.key("stats"), "batches_missing")


def test_items_lost_before_the_job_ran_raise_the_alarm(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Items gone without a marker (expired, deleted) are an error log naming the batch's
    source, a counter in `pipeline stats`, and a failed job that is not retried."""
    settings = make_settings(enrich=False)
    job_id = _replay_two(redis_client, settings, tmp_path)
    redis_client.delete(payload_key(settings, job_id))
    with capture_logs() as logs:
        run_worker(settings, redis_client, burst=True)
    (alarm,) = [e for e in logs if e["event"] == "batch_missing"]
    assert alarm["log_level"] == "error" and alarm["job_id"] == job_id
    assert str(tmp_path) in alarm["batch"]  # says what to replay
    queue = make_queue(redis_client, settings)
    job = Job.fetch(job_id, connection=redis_client, serializer=queue.serializer)
    assert job.get_status() == JobStatus.FAILED  # at once: a retry cannot bring items back
    assert "BatchMissing" in (job.latest_result().exc_string or "")  # type: ignore[union-attr]
    assert redis_client.xlen(settings.articles_stream) == 0

    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    capsys.readouterr()
    assert main(["--log-level", "WARNING", "stats", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"batches lost (ALARM)": 1' in out
    assert '"failed": 1' in out
