"""Never loses or doubles an article, under real faults: real ``pipeline worker``
processes, a real redis-server, real signals.

1. worker kills: N articles into 2 workers; each worker SIGKILLed (with its process
   group) 3 times at random moments while RQ has it running a job, and restarted;
2. Redis kill: redis-server (AOF, everysec) SIGKILLed mid-run and restarted from its AOF
   (no acknowledged write may be lost); then a machine crash: the AOF loses its last
   second, ``redis-check-aof --fix``, restart, and the same replay run again heals it;
3. dropped connections: workers reach Redis through a proxy that resets connections and
   holds replies back past the client timeout;
4. out of memory: maxmemory (noeviction) reached; ``pipeline health`` must exit 5; then
   maxmemory is raised and the replay run again.

Each scenario ends with the stream checked against the ids written. Last line:
``chaos: N articles, K worker kills, R redis restarts, P connection resets; lost L, duplicated D``

    python bench/chaos.py [--articles 10000] [--no-enrich] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import redis
from rq.job import Job
from rq.serializers import JSONSerializer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._ledger import Tally, replay, tally, wait_for, write_articles
from bench._proxy import ChaosProxy
from bench._redisnode import RedisNode
from bench._workers import WorkerProcs
from pipeline.settings import Settings

# a scenario gives up when nothing has moved for this long (recovery needs about a minute)
_STALL = 300.0


@dataclass
class Totals:
    articles: int = 0
    kills: int = 0
    restarts: int = 0
    resets: int = 0
    lost: int = 0
    duplicated: int = 0

    def add(self, result: Tally) -> None:
        self.articles += result.expected
        self.lost += result.lost + (0 if result.settled else sum(result.leftovers.values()))
        self.duplicated += result.duplicated


def say(text: str) -> None:
    print(text, flush=True)


def _env(url: str, enrich: bool, batch: int, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "PIPELINE_REDIS_URL": url,
        "PIPELINE_ENRICH": "true" if enrich else "false",
        "PIPELINE_BATCH_SIZE": str(batch),
        **more,
    }


def _report(name: str, result: Tally, started: float) -> None:
    say(f"{name}: {result.line()} ({time.monotonic() - started:.0f}s)")


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"chaos: gave up waiting for {what}")
        time.sleep(0.05)


def worker_kills(work: Path, count: int, enrich: bool, rng: random.Random, totals: Totals) -> None:
    """Scenario 1: each of 2 workers SIGKILLed 3 times while it runs a job."""
    started = time.monotonic()
    node = RedisNode(work / "redis-kills").start()
    settings = Settings(redis_url=node.url)
    env = _env(node.url, enrich, 100 if enrich else 10)
    ids = write_articles(work / "in-kills", count, seed=rng.randrange(1 << 30))
    client = node.client()
    if replay(env, work / "in-kills") != 0:
        raise SystemExit("chaos: replay failed")
    workers = WorkerProcs(env, 2, work / "logs-kills")
    try:
        # kill moments spread over the run: each worker 3 times, in random order
        killed: list[tuple[str, float]] = []
        plan = [0, 0, 0, 1, 1, 1]
        rng.shuffle(plan)
        for index in plan:
            done = client.xlen(settings.articles_stream)
            target = min(count - 1, done + rng.randint(count // 40, count // 12))
            _wait_until(
                lambda t=target: client.xlen(settings.articles_stream) >= t, 900, "progress"
            )
            deadline = time.monotonic() + 300
            while (job_id := workers.busy_job(index, client, settings)) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"chaos: worker {index} never ran a job")
                time.sleep(0.02)
            workers.kill(index)  # checked just before: RQ has it running job_id
            killed.append((job_id, time.time()))
            say(f"  killed worker {index} running {job_id} at {done} entries")
            workers.restart(index)
        result = wait_for(lambda: tally(client, settings, ids), _STALL, say=say)
        if not all(workers.alive()):
            say("  a worker exited on its own")
            result.lost += 1
        say(f"  killed jobs, after their kill: {_recovery(client, killed)}")
    finally:
        workers.stop()
        node.stop()
    totals.kills += workers.kills
    totals.add(result)
    _report("worker kills", result, started)


def _recovery(client: redis.Redis, killed: list[tuple[str, float]]) -> str:
    """How long after its kill each killed job was put back on the queue by RQ's
    abandoned-job clean-up, and how long until another run had finished it."""

    def spread(delays: list[float]) -> str:
        if not delays:
            return "(no record)"
        median = sorted(delays)[len(delays) // 2]
        return f"{min(delays):.0f}-{max(delays):.0f} s (median {median:.0f} s)"

    requeued, finished = [], []
    for job_id, at in killed:
        job = Job.fetch(job_id, connection=client, serializer=JSONSerializer)
        if job.enqueued_at is not None:
            requeued.append(job.enqueued_at.replace(tzinfo=UTC).timestamp() - at)
        if job.ended_at is not None:
            finished.append(job.ended_at.replace(tzinfo=UTC).timestamp() - at)
    return f"re-queued {spread(requeued)}, finished {spread(finished)}"


def redis_kills(work: Path, count: int, enrich: bool, rng: random.Random, totals: Totals) -> None:
    """Scenario 2: SIGKILL redis-server mid-run; restart from the AOF; then cut the AOF's
    last second, repair it as an operator would, and heal by replaying again."""
    started = time.monotonic()
    node = RedisNode(work / "redis-aof", aof=True).start()
    settings = Settings(redis_url=node.url)
    env = _env(node.url, enrich, 100 if enrich else 20)
    folder = work / "in-aof"
    ids = write_articles(folder, count, seed=rng.randrange(1 << 30))
    client = node.client()
    if replay(env, folder) != 0:
        raise SystemExit("chaos: replay failed")
    workers = WorkerProcs(env, 2, work / "logs-aof")
    lost_acknowledged = 0
    try:
        stream = settings.articles_stream
        _wait_until(lambda: client.xlen(stream) >= count // 3, 900, "a third written")
        acknowledged = {e for e, _ in client.xrange(stream)}
        node.kill()
        time.sleep(2)
        node.restart()
        client = node.client()
        lost_acknowledged = len(acknowledged - {e for e, _ in client.xrange(stream)})
        say(f"  redis SIGKILLed at {len(acknowledged)} entries; lost of them: {lost_acknowledged}")
        _wait_until(lambda: client.xlen(stream) >= 2 * count // 3, 900, "two thirds written")
        size_a_second_ago = node.aof_tail().stat().st_size
        time.sleep(1)
        before = client.xlen(stream)
        node.kill()
        # what reached the disk: up to a second ago, and part of the next write
        cut = node.cut_aof(size_a_second_ago + rng.randint(1, 200))
        repaired = node.fix_aof().strip().splitlines()
        fixed = [line for line in repaired if "shrink" in line] or repaired[-1:]
        node.restart()
        client = node.client()
        say(
            f"  machine crash: AOF cut by {cut} bytes ({before - client.xlen(stream)} entries "
            f"gone); redis-check-aof --fix: {fixed[0] if fixed else '?'}"
        )
        if replay(env, folder) != 0:
            raise SystemExit("chaos: replay after the crash failed")
        result = wait_for(lambda: tally(client, settings, ids), _STALL, say=say)
        if not all(workers.alive()):
            say("  a worker exited on its own")
            result.lost += 1
    finally:
        workers.stop()
        node.stop()
    result.lost += lost_acknowledged
    totals.restarts += node.restarts
    totals.add(result)
    _report("redis kills", result, started)


def dropped_connections(work: Path, count: int, rng: random.Random, totals: Totals) -> None:
    """Scenario 3: a proxy resets 1% of requests' connections and delays some replies
    past the workers' Redis timeout (2 s here)."""
    started = time.monotonic()
    node = RedisNode(work / "redis-proxy").start()
    settings = Settings(redis_url=node.url)
    proxy = ChaosProxy(
        node.port, reset_rate=0.01, delay_rate=0.002, delay=3.0, seed=rng.randrange(1 << 30)
    )
    env = _env(proxy.url, False, 10, PIPELINE_REDIS_TIMEOUT="2")
    ids = write_articles(work / "in-proxy", count, seed=rng.randrange(1 << 30))
    if replay(_env(node.url, False, 10), work / "in-proxy") != 0:
        raise SystemExit("chaos: replay failed")
    workers = WorkerProcs(env, 2, work / "logs-proxy")
    client = node.client()
    try:
        result = wait_for(lambda: tally(client, settings, ids), _STALL, say=say)
        if not all(workers.alive()):
            say("  a worker exited on its own")
            result.lost += 1
    finally:
        workers.stop()
        proxy.close()
        node.stop()
    say(f"  proxy: {proxy.connections} connections, {proxy.resets} resets, {proxy.delays} late")
    totals.resets += proxy.resets
    totals.add(result)
    _report("dropped connections", result, started)


def out_of_memory(work: Path, count: int, rng: random.Random, totals: Totals) -> None:
    """Scenario 4: Redis full (maxmemory, noeviction): writes refused loudly, health
    exits 5, workers wait; maxmemory raised; the replay run again."""
    started = time.monotonic()
    node = RedisNode(work / "redis-oom").start()
    settings = Settings(redis_url=node.url)
    env = _env(node.url, False, 20)
    folder = work / "in-oom"
    ids = write_articles(folder, count, seed=rng.randrange(1 << 30))
    client = node.client()
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) + count * 2000)
    status = replay(env, folder)
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) - 50_000)
    workers = WorkerProcs(env, 2, work / "logs-oom")
    try:
        health = subprocess.run(
            [sys.executable, "-m", "pipeline", "health"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        say(
            f"  replay exit {status}; health exit {health.returncode}: {health.stderr.strip()[:90]}"
        )
        if (
            status != 5
            or health.returncode != 5
            or "Redis refuses writes: OOM" not in health.stderr
        ):
            raise SystemExit("chaos: out of memory was not reported as exit 5")
        time.sleep(10)
        client.config_set("maxmemory", 0)
        if replay(env, folder) != 0:
            raise SystemExit("chaos: replay after raising maxmemory failed")
        result = wait_for(lambda: tally(client, settings, ids), _STALL, say=say)
        if not all(workers.alive()):
            say("  a worker exited on its own")
            result.lost += 1
    finally:
        workers.stop()
        node.stop()
    totals.add(result)
    _report("out of memory", result, started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--articles", type=int, default=10_000, help="articles in the worker-kill run"
    )
    parser.add_argument("--others", type=int, default=3_000, help="articles in each other scenario")
    parser.add_argument("--enrich", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep logs and Redis files here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="chaos-"))
    totals = Totals()
    began = time.monotonic()
    try:
        worker_kills(work, args.articles, args.enrich, rng, totals)
        redis_kills(work, args.others, False, rng, totals)
        dropped_connections(work, args.others, rng, totals)
        out_of_memory(work, args.others, rng, totals)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    say(f"total time {time.monotonic() - began:.0f}s")
    say(
        f"chaos: {totals.articles} articles, {totals.kills} worker kills, "
        f"{totals.restarts} redis restarts, {totals.resets} connection resets; "
        f"lost {totals.lost}, duplicated {totals.duplicated}"
    )


if __name__ == "__main__":
    main()
