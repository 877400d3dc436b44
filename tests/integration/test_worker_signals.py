"""SIGTERM stops a worker cleanly in every state it can be in: still loading its models,
waiting for Redis, or between RQ's start-up and its first job. Docker and systemd send
SIGTERM and kill at the end of a grace period, so a worker that misses the signal is
SIGKILLed (exit 137 under compose) instead of exiting 0."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from bench._ledger import replay, write_articles
from pipeline.queueing import make_queue
from pipeline.settings import Settings
from pipeline.workers.liveness import SCHEDULER_STOP_SECONDS
from pipeline.workers.start import _make_worker
from tests.conftest import RedisServer, free_port

pytestmark = pytest.mark.integration


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--log-json", "worker", "--no-pages"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_line(log: Path, event: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while f'"{event}"' not in log.read_text(errors="replace"):
        assert proc.poll() is None, f"the worker exited early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {event} within {timeout} s:\n{log.read_text()}"
        time.sleep(0.02)


def _stop(proc: subprocess.Popen[bytes], log: Path, within: float) -> tuple[int, float]:
    """SIGTERM the worker alone (as Docker signals PID 1); its exit status and how long it took."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(within)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        pytest.fail(f"the worker ignored SIGTERM for {within} s:\n{log.read_text()}")
    return status, time.monotonic() - sent


def test_sigterm_while_the_models_load_exits_0_and_takes_no_job(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Enrichment on, so start-up spends seconds importing spaCy and loading its model:
    a SIGTERM then ends the worker with status 0 once loading is done, and the queued
    batch stays queued for the next worker (not started, not lost)."""
    env = {**os.environ, "PIPELINE_REDIS_URL": redis_server.url, "PIPELINE_ENRICH": "true"}
    write_articles(tmp_path / "in", 20)
    assert replay(env, tmp_path / "in") == 0
    queue = make_queue(redis_client, Settings(redis_url=redis_server.url))
    assert queue.count == 1

    log = tmp_path / "worker.log"
    proc = _start_worker(env, log)
    _wait_for_line(log, "worker_starting", proc, timeout=30)
    status, took = _stop(proc, log, within=60)

    output = log.read_text()
    assert status == 0, output
    assert '"worker_stopped_before_start"' in output, output
    assert queue.count == 1, "the batch should still wait in the queue"
    assert queue.started_job_registry.count == 0
    assert took < 60


def test_sigterm_while_waiting_for_redis_exits_0_at_once(tmp_path: Path) -> None:
    """No Redis at the URL: the worker waits with back-off; SIGTERM ends the wait."""
    env = {
        **os.environ,
        "PIPELINE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "PIPELINE_ENRICH": "false",
    }
    log = tmp_path / "worker.log"
    proc = _start_worker(env, log)
    _wait_for_line(log, "worker_restarting", proc, timeout=30)
    status, took = _stop(proc, log, within=10)
    assert status == 0, log.read_text()
    assert took < 5


def test_a_signal_before_rqs_loop_starts_stops_it_before_its_first_job(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A SIGTERM that lands while RQ is registering the worker and starting its scheduler
    (the process's own handler is still in place) stops the loop before it takes a job,
    and RQ tears down: the worker is unregistered and its scheduler child has exited."""
    settings = Settings(redis_url=redis_server.url, enrich=False)
    env = {**os.environ, "PIPELINE_REDIS_URL": redis_server.url}
    write_articles(tmp_path / "in", 20)
    assert replay(env, tmp_path / "in") == 0
    queue = make_queue(redis_client, settings)

    stop = threading.Event()
    worker = _make_worker(settings, [settings.queue_name], False, stop)
    stop.set()  # as the handler does when the signal comes before RQ's own is installed
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    try:
        did_work = worker.work(with_scheduler=True, logging_level="WARNING")
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])

    assert not did_work
    assert worker.stopped_by_signal
    assert time.monotonic() - started < 10, "it waited for a job instead of stopping"
    assert queue.count == 1
    assert redis_client.scard("rq:workers") == 0, "RQ did not tear the worker down"
    scheduler = worker.scheduler
    if scheduler is not None and scheduler._process is not None:
        assert not scheduler._process.is_alive()


def _deaf_to_sigterm(ready: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(120)


def test_a_scheduler_child_deaf_to_sigterm_cannot_hang_the_worker(
    redis_server: RedisServer,
) -> None:
    """RQ stops its scheduler child with SIGTERM and waits for it without a limit; a child
    forked as the worker's own SIGTERM arrives can miss it (it still runs the worker's
    handlers), and the worker then hung until Docker killed it. The wait is bounded: a
    child that ignores SIGTERM is killed and the worker goes on stopping."""
    settings = Settings(redis_url=redis_server.url, enrich=False)
    worker = _make_worker(settings, [settings.queue_name], False, threading.Event())
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    child = context.Process(target=_deaf_to_sigterm, args=(ready,))
    child.start()
    assert ready.wait(10), "the child did not start"
    worker.scheduler = SimpleNamespace(_process=child)  # as RQ's scheduler holds its process
    started = time.monotonic()
    try:
        worker.stop_scheduler()
        took = time.monotonic() - started
    finally:
        if child.is_alive():
            child.kill()
            child.join(5)
    assert not child.is_alive()
    assert child.exitcode == -signal.SIGKILL
    assert SCHEDULER_STOP_SECONDS <= took < SCHEDULER_STOP_SECONDS + 5
