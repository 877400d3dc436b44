"""The rq-dashboard release the compose profile pins reads the pipeline's rq 3 jobs, which
are JSON-serialised: run as the compose file runs it (its own command, --json)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from pipeline.fetch.files.replay import replay_paths
from pipeline.ops.localredis import free_port
from pipeline.queueing import make_queue
from pipeline.settings import Settings
from tests.integration.metrics_scrape import stop, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "seeds"


def _compose_command() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return list(compose["services"]["rq-dashboard"]["command"])


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:  # not listening yet
        return 0, None


@pytest.fixture
def dashboard(settings: Settings) -> Iterator[Callable[[str], tuple[int, Any]]]:
    """The compose service's command, pointed at the test Redis on a free loopback port."""
    port = free_port()
    command = _compose_command()
    command[command.index("--redis-url") + 1] = settings.redis_url
    command[command.index("--bind") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / command[0]), *command[1:]],  # the venv's script
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(base + "/0/data/queues.json")[0] == 200, "rq-dashboard", 60, process)
        yield lambda path: _get(base + path)
    finally:
        stop(process)


def test_dashboard_lists_the_queue_and_reads_a_job(
    dashboard: Callable[[str], tuple[int, Any]], settings: Settings, redis_client: redis.Redis
) -> None:
    """After a replay, the dashboard lists the ingest queue with its job and reads the job's
    call (function and argument, deserialised from JSON)."""
    replay_paths(redis_client, settings, [SEEDS])
    job_id = make_queue(redis_client, settings).get_job_ids()[0]

    status, data = dashboard("/0/data/queues.json")
    ingest = next(q for q in data["queues"] if q["name"] == settings.queue_name)
    assert ingest["count"] == 1

    status, job = dashboard(f"/0/data/job/{job_id}.json")
    assert status == 200
    assert job["status"] == "queued"
    assert job["origin"] == settings.queue_name
    key = settings.key("batch", job_id)
    assert job["description"] == f"pipeline.workers.jobs.process_batch('{key}')"


def test_compose_runs_it_read_only_with_the_json_serializer() -> None:
    """--json: rq's default (pickle) cannot read the pipeline's jobs; --disable-delete: an
    operator looks, the pipeline's own commands act."""
    command = _compose_command()
    assert command[0] == "rq-dashboard"
    assert {"--json", "--show-full-args", "--disable-delete"} <= set(command)
