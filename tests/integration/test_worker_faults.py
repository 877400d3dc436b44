"""Real faults, real processes: SIGKILLed workers, a SIGKILLed redis-server restarted from
its AOF, a proxy that resets connections. Smaller versions of ``bench/chaos.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bench._ledger import replay, tally, wait_for, write_articles
from bench._proxy import ChaosProxy
from bench._redisnode import RedisNode
from bench._workers import WorkerProcs
from pipeline.settings import Settings
from tests.conftest import RedisServer

pytestmark = pytest.mark.integration

# liveness scaled down so recovery takes seconds (production: 10 s, 45 s, 15 s)
FAST = {
    "PIPELINE_ENRICH": "false",
    "PIPELINE_WORKER_HEARTBEAT": "1",
    "PIPELINE_REDIS_TIMEOUT": "2",
    "PIPELINE_WORKER_ABANDONED_AFTER": "5",
    "PIPELINE_WORKER_MAINTENANCE": "2",
}


def _env(url: str, **more: str) -> dict[str, str]:
    return {**os.environ, **FAST, "PIPELINE_REDIS_URL": url, **more}


@pytest.fixture
def node(redis_server: RedisServer, tmp_path: Path) -> Iterator[RedisNode]:
    """A redis-server of the kind under test, with AOF on, for this test alone."""
    server = RedisNode(tmp_path / "redis", binary=redis_server.binary, aof=True).start()
    yield server
    server.stop()


def test_sigkilled_workers_jobs_are_rerun_by_rq(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Two workers, each SIGKILLed while it runs a job and restarted: RQ's own
    abandoned-job handling re-runs the stranded jobs; every article lands exactly once
    and nothing is left in any queue or registry."""
    settings = Settings(redis_url=redis_server.url)
    env = _env(redis_server.url, PIPELINE_BATCH_SIZE="25")
    ids = write_articles(tmp_path / "in", 1500)
    assert replay(env, tmp_path / "in") == 0
    workers = WorkerProcs(env, 2, tmp_path / "logs")
    stranded: list[str] = []
    try:
        deadline = time.monotonic() + 60
        for index in (0, 1):
            while True:
                assert time.monotonic() < deadline, "no worker was ever seen running a job"
                job_id = workers.busy_job(index, redis_client, settings)
                if job_id:
                    workers.kill(index)
                    started = redis_client.zrange(f"rq:wip:{settings.queue_name}", 0, -1)
                    if any(m.decode().startswith(job_id) for m in started):
                        stranded.append(job_id)
                        workers.restart(index)
                        break
                    workers.restart(index)  # the job ended before the signal landed
                time.sleep(0.01)
        killed_at = time.monotonic()
        result = wait_for(lambda: tally(redis_client, settings, ids), 60, say=print)
        recovered_in = time.monotonic() - killed_at
        assert all(workers.alive())
    finally:
        workers.stop()
    assert len(stranded) == 2
    assert result.settled, result.line()
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)
    assert recovered_in < 45  # abandoned after 5 s, cleaned up every 2 s


def test_redis_sigkilled_mid_run_loses_no_acknowledged_write(
    node: RedisNode, tmp_path: Path
) -> None:
    """redis-server (AOF everysec) SIGKILLed while workers write, restarted from its
    AOF: every entry read before the kill is still there, the workers reconnect on their
    own, and a second replay completes the run exactly once."""
    settings = Settings(redis_url=node.url)
    env = _env(node.url, PIPELINE_BATCH_SIZE="20")
    ids = write_articles(tmp_path / "in", 1500)
    assert replay(env, tmp_path / "in") == 0
    client = node.client()
    workers = WorkerProcs(env, 2, tmp_path / "logs")
    try:
        deadline = time.monotonic() + 60
        while client.xlen(settings.articles_stream) < 300:
            assert time.monotonic() < deadline, "the workers made no progress"
            time.sleep(0.01)
        acknowledged = {e for e, _ in client.xrange(settings.articles_stream)}
        node.kill()
        time.sleep(2)  # the workers see Redis gone
        node.restart()
        client = node.client()
        survived = {e for e, _ in client.xrange(settings.articles_stream)}
        assert acknowledged <= survived
        assert replay(env, tmp_path / "in") == 0
        result = wait_for(lambda: tally(client, settings, ids), 60, say=print)
        assert all(workers.alive())
    finally:
        workers.stop()
    assert result.settled, result.line()
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)


def test_cut_aof_after_a_crash_is_healed_by_replaying(node: RedisNode, tmp_path: Path) -> None:
    """The machine-crash case: the AOF loses its last second, redis-check-aof --fix
    repairs it, and replaying the same folder heals the stream: N ids, none twice."""
    settings = Settings(redis_url=node.url)
    env = _env(node.url, PIPELINE_BATCH_SIZE="20")
    ids = write_articles(tmp_path / "in", 1000)
    assert replay(env, tmp_path / "in") == 0
    client = node.client()
    workers = WorkerProcs(env, 2, tmp_path / "logs")
    try:
        deadline = time.monotonic() + 60
        while client.xlen(settings.articles_stream) < 300:
            assert time.monotonic() < deadline, "the workers made no progress"
            time.sleep(0.01)
        size_a_second_ago = node.aof_tail().stat().st_size
        time.sleep(1)
        node.kill()
        assert node.cut_aof(size_a_second_ago + 7) > 0  # part of a write reached the disk
        node.fix_aof()
        node.restart()
        client = node.client()
        assert replay(env, tmp_path / "in") == 0
        result = wait_for(lambda: tally(client, settings, ids), 60, say=print)
    finally:
        workers.stop()
    assert result.settled, result.line()
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)


def test_connection_resets_and_late_replies_lose_and_double_nothing(
    node: RedisNode, tmp_path: Path
) -> None:
    """Workers talk to Redis through a proxy that resets connections and holds replies
    back past the client timeout: they reconnect, never exit, and every article lands
    exactly once."""
    settings = Settings(redis_url=node.url)
    proxy = ChaosProxy(node.port, reset_rate=0.02, delay_rate=0.01, delay=3.0, seed=3)
    env = _env(proxy.url, PIPELINE_BATCH_SIZE="10")
    ids = write_articles(tmp_path / "in", 600)
    assert replay(_env(node.url, PIPELINE_BATCH_SIZE="10"), tmp_path / "in") == 0
    workers = WorkerProcs(env, 2, tmp_path / "logs")
    client = node.client()
    try:
        result = wait_for(lambda: tally(client, settings, ids), 90, say=print)
        assert all(workers.alive())
    finally:
        workers.stop()
        proxy.close()
    assert proxy.resets > 0 and proxy.delays > 0
    assert result.settled, result.line()
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)


def test_out_of_memory_refuses_writes_loudly_then_every_article_lands_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """At maxmemory (noeviction) the replay fails with exit 5, `pipeline health` exits 5
    saying "Redis refuses writes: OOM" while PING still answers, the workers wait; once
    maxmemory is raised, replaying again lands every article exactly once."""
    node = RedisNode(tmp_path / "redis", binary=redis_server.binary).start()
    settings = Settings(redis_url=node.url)
    env = _env(node.url, PIPELINE_BATCH_SIZE="20")
    ids = write_articles(tmp_path / "in", 800)  # about 3.5 MB of text
    client = node.client()
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) + 1_500_000)
    assert replay(env, tmp_path / "in") == 5
    # the rejected request's buffer is freed with its connection: hold Redis at its data
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 50_000)
    workers = WorkerProcs(env, 2, tmp_path / "logs")
    try:
        health = subprocess.run(
            [sys.executable, "-m", "pipeline", "health"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert health.returncode == 5
        assert "Redis refuses writes: OOM" in health.stderr
        assert client.ping()
        time.sleep(5)  # the workers hit the wall too, and wait
        assert all(workers.alive())
        client.config_set("maxmemory", 0)
        assert replay(env, tmp_path / "in") == 0
        result = wait_for(lambda: tally(client, settings, ids), 90, say=print)
        assert all(workers.alive())
    finally:
        workers.stop()
        node.stop()
    assert result.settled, result.line()
    assert (result.lost, result.duplicated, result.dead) == (0, 0, 0)
