"""Where a worker's time goes beyond the stage functions, per job and per article.

    python bench/worker_phases.py [--n 10000] [--batch-sizes 100,200]

For each batch size: a fresh redis-server, N generated articles replayed onto the queue,
then one in-process SimpleWorker (``pipeline worker --burst``'s code path, enrichment off)
drains it with a timer around each part of a job. Wall time (one thread: it is the CPU
time, plus the waits for Redis's replies). Parts:

- stages: validate, normalise, sign (``process_items``; the bench's reference elsewhere)
- encode + send: the write's arguments (the articles' JSON) packed and sent
- reply wait: reading each write's reply (the last part's is not overlapped)
- payload: the batch's items read from Redis and decoded
- telemetry: the per-job histogram and counter record
- RQ around the job: ``execute_job`` minus the job function (execution bookkeeping,
  finishing the job, the heartbeat thread)
- RQ between jobs: from one job's end to the next one's start (heartbeats, the
  suspension check, the dequeue, fetching the job)
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import rq.job
from redis.connection import Connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._articles import generate_items
from pipeline.fetch.files.replay import replay_paths
from pipeline.logs import configure_logging
from pipeline.ops.localredis import start_redis
from pipeline.settings import Settings
from pipeline.streams import writer
from pipeline.workers import jobs
from pipeline.workers.liveness import LiveWorker
from pipeline.workers.start import run_worker

PARTS = [
    ("stages", jobs, "process_items"),
    ("encode + send", writer.BatchWriter, "send"),
    ("reply wait", writer.PendingWrite, "result"),
    ("payload", jobs, "load_payload"),
    ("telemetry", jobs, "write_records"),
]


class Timers:
    """Seconds spent in each wrapped function; the job spans (start, end) in order."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.jobs: list[tuple[float, float]] = []
        self.trips_at: list[tuple[int, int]] = []  # round trips so far at a job's start, end
        self.job_function = 0.0
        self.round_trips = 0
        self._saved: list[tuple[Any, str, Any]] = []

    def wrap(self, label: str, owner: Any, name: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        self._saved.append((owner, name, original))
        setattr(owner, name, timed)

    def wrap_jobs(self) -> None:
        execute: Callable[..., Any] = LiveWorker.execute_job
        perform: Callable[..., Any] = rq.job.Job.perform

        def execute_job(worker: Any, *args: Any, **kwargs: Any) -> Any:
            start, trips = time.perf_counter(), self.round_trips
            try:
                return execute(worker, *args, **kwargs)
            finally:
                self.jobs.append((start, time.perf_counter()))
                self.trips_at.append((trips, self.round_trips))

        def job_perform(job: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return perform(job, *args, **kwargs)
            finally:
                self.job_function += time.perf_counter() - start

        self._saved += [(LiveWorker, "execute_job", execute), (rq.job.Job, "perform", perform)]
        LiveWorker.execute_job = execute_job  # type: ignore[method-assign]
        rq.job.Job.perform = job_perform  # type: ignore[method-assign]

    def count_round_trips(self) -> None:
        """Commands (or pipelines) sent to Redis: one round trip each."""
        send: Callable[..., Any] = Connection.send_packed_command

        def counted(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self.round_trips += 1
            return send(connection, *args, **kwargs)

        self._saved.append((Connection, "send_packed_command", send))
        Connection.send_packed_command = counted  # type: ignore[method-assign]

    def restore(self) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []


def measure(items: list[dict[str, Any]], batch_size: int, folder: Path) -> Timers:
    with start_redis() as url:
        settings = Settings(redis_url=url, enrich=False, pages=False, batch_size=batch_size)
        client = redis.Redis.from_url(url)
        replay_paths(client, settings, [folder])
        timers = Timers()
        for label, owner, name in PARTS:
            timers.wrap(label, owner, name)
        timers.wrap_jobs()
        timers.count_round_trips()
        try:
            run_worker(settings, client, burst=True, stop=threading.Event(), pages=False)
        finally:
            timers.restore()
        landed = client.xlen(settings.articles_stream)
        if landed != len(items):
            sys.exit(f"{landed} of {len(items)} articles landed")
    return timers


def report(timers: Timers, batch_size: int, n: int) -> None:
    spans = timers.jobs
    jobs_run = len(spans)
    in_jobs = sum(end - start for start, end in spans)
    rows = dict(timers.seconds)
    rows["RQ around the job"] = in_jobs - timers.job_function
    rows["RQ between jobs"] = (spans[-1][1] - spans[0][0]) - in_jobs
    inside = timers.job_function - sum(timers.seconds.values())
    rows["rest of the job function"] = inside
    total = spans[-1][1] - spans[0][0]
    trips = timers.trips_at[-1][1] - timers.trips_at[0][0]  # first job's start to last's end
    print(f"batch {batch_size}: {jobs_run} jobs, {n} articles, {total:.2f} s first job to last")
    for label, seconds in rows.items():
        print(
            f"  {label:26s} {seconds / jobs_run * 1e3:7.2f} ms a job "
            f"{seconds / n * 1e6:6.0f} µs an article {seconds / total:6.1%}"
        )
    beyond = total - rows["stages"]
    print(
        f"phases: batch {batch_size}: stages {rows['stages'] / n * 1e6:.0f} µs/article, "
        f"the rest {beyond / n * 1e6:.0f} µs/article ({beyond / total:.0%} of the worker's "
        f"time; {beyond / jobs_run * 1e3:.1f} ms a job; "
        f"{trips / jobs_run:.0f} Redis round trips a job)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="articles per batch size")
    parser.add_argument("--batch-sizes", default="100,200", help="comma-separated")
    args = parser.parse_args()
    configure_logging("WARNING")
    items = list(generate_items(args.n))
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "articles.jsonl", "w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item) + "\n")
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            report(measure(items, batch_size, Path(tmp)), batch_size, len(items))


if __name__ == "__main__":
    main()
