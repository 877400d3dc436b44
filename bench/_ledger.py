"""What a fault test writes and what it finds: N distinct articles as .jsonl files, and a
tally of the stream against them (lost, duplicated, dead letters, work left over)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from bench._articles import english_vocabulary, generate_text
from pipeline.queueing import make_queue
from pipeline.settings import Settings

__all__ = ["Tally", "replay", "tally", "wait_for", "write_articles"]


def write_articles(folder: Path, count: int, *, seed: int = 7, per_file: int = 500) -> set[str]:
    """``count`` articles with distinct ids and texts in .jsonl files; returns the ids."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids: set[str] = set()
    for start in range(0, count, per_file):
        with open(folder / f"part-{start // per_file:05d}.jsonl", "w") as out:
            for n in range(start, min(count, start + per_file)):
                # English, so the workers enrich it: jobs last long enough to be killed
                text = f"Report {n}. " + generate_text(rng, english_vocabulary())
                item = {"id": f"chaos-{n}", "title": f"Report {n}", "text": text}
                out.write(json.dumps(item) + "\n")
                ids.add(item["id"])
    return ids


def replay(env: dict[str, str], folder: Path, timeout: float = 600) -> int:
    """``pipeline replay FOLDER`` in its own process; returns its exit status."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--log-level", "ERROR", "replay", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode


@dataclass
class Tally:
    """The stream against the expected ids, and the work still pending."""

    expected: int
    entries: int = 0
    distinct: int = 0
    lost: int = 0
    duplicated: int = 0
    dead: int = 0
    leftovers: dict[str, int] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        """Every article in, nothing pending anywhere."""
        return self.lost == 0 and not any(self.leftovers.values())

    def line(self) -> str:
        left = ", ".join(f"{k} {v}" for k, v in self.leftovers.items() if v) or "nothing"
        return (
            f"{self.distinct}/{self.expected} distinct ids, {self.entries} entries, "
            f"lost {self.lost}, duplicated {self.duplicated}, dead letters {self.dead}, "
            f"left over: {left}"
        )


def stream_ids(client: redis.Redis, stream: str) -> Counter[str]:
    """How many entries each article id has in the stream."""
    counts: Counter[str] = Counter()
    last = "-"
    while batch := client.xrange(stream, min=last, count=5000):
        for _entry_id, fields in batch:
            counts[fields[b"id"].decode()] += 1
        last = "(" + batch[-1][0].decode()
    return counts


def tally(client: redis.Redis, settings: Settings, expected: set[str]) -> Tally:
    """Count the stream and every place work can wait (queue, RQ registries, payloads)."""
    counts = stream_ids(client, settings.articles_stream)
    queue = make_queue(client, settings)
    kw = {"queue": queue}
    payloads = sum(1 for _ in client.scan_iter(settings.key("batch", "*"), count=1000))
    return Tally(
        expected=len(expected),
        entries=sum(counts.values()),
        distinct=len(counts),
        lost=len(expected - counts.keys()),
        duplicated=sum(n - 1 for n in counts.values()),
        dead=client.xlen(settings.dead_stream),
        leftovers={
            "queued": queue.count,
            "started": StartedJobRegistry(**kw).get_job_count(cleanup=False),
            "scheduled": ScheduledJobRegistry(**kw).get_job_count(cleanup=False),  # type: ignore[no-untyped-call]
            "deferred": DeferredJobRegistry(**kw).get_job_count(cleanup=False),
            "failed": FailedJobRegistry(**kw).get_job_count(cleanup=False),
            "intermediate": client.llen(queue.intermediate_queue_key),
            "payloads": payloads,
        },
    )


def wait_for(
    check: Callable[[], Tally], stall: float, *, every: float = 1.0, say: Callable[[str], None]
) -> Tally:
    """Poll ``check`` until the tally is settled, or until nothing has moved (entries,
    pending work) for ``stall`` seconds: a slow machine is given its time, a stuck run is not."""
    last_change = time.monotonic()
    last_said = 0.0
    previous: tuple[int, ...] | None = None
    while True:
        try:
            result = check()
        except redis.exceptions.RedisError as exc:
            say(f"  (Redis not answering: {exc})")
            time.sleep(every)
            continue
        state = (result.entries, *result.leftovers.values())
        if state != previous:
            previous, last_change = state, time.monotonic()
        if result.settled or time.monotonic() - last_change > stall:
            return result
        if time.monotonic() - last_said > 15:
            say(f"  ... {result.line()}")
            last_said = time.monotonic()
        time.sleep(every)
