"""Fuzz the feed parse path with mutated feeds: no exception may escape, no feed may take
more than 2 s, no parsing process may grow past 1 GiB.

    python bench/fuzz_feeds.py --dir tests/resources/feeds \\
        --dir /work/shared/benchdata/feedparser_tests --count 100000 --seed 1

Every fixture under the ``--dir`` folders (read in place, never copied) is a seed for
mutations (``bench/_mutations.py``: byte flips, truncation, splices, deep nesting, huge
attributes, entity tricks, wrong encodings, repeated entries). Each mutant goes through
``parse_feed``, the function the fetcher calls on a fetched body, with its Content-Type;
``PermanentFetchError`` is its documented refusal, anything else is an escaped exception.
Mutant ``i`` depends only on ``--seed`` and ``i`` (a ``random.Random`` seeded with both),
so a run is reproducible whatever the worker count, and ``--only i`` replays one feed.
The digest printed covers every mutant's bytes and outcome: equal seeds, equal digests.

Workers (``--workers``, default 2) parse in their own processes; the peak reported is the
largest peak RSS (``ru_maxrss``) over them. A feed's time is the CPU time its worker spent
on it (``time.process_time``): on a shared machine the wall-clock time also counts other
programs' turns (it is printed too, with the load average, but not held to the limit).
Progress goes to stderr; the slowest feeds (with mutation and source file), the feeds
that raised a worker's peak RSS most, and any escaped exception go to stdout, and the
last line is exactly ``fuzz: N feeds, E escaped, worst T ms, peak M MB``. Exit status 1
when an exception escaped, a limit was exceeded, or an external entity leaked into an item.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import multiprocessing
import os
import random
import resource
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._mutations import Source, mutate
from bench.feedparser_corpus import served_headers
from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.feed import ParsedFeed, parse_feed
from pipeline.fetch.http import FetchLimits

__all__ = ["FuzzReport", "load_corpus", "main", "run_fuzz"]

FEED_URL = "http://127.0.0.1/fuzz/feed.xml"
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so the outcome is a function of the bytes
SUFFIXES = {".xml", ".json", ".rss", ".atom", ".rdf"}
CHUNK = 25
WORST_SHOWN = 10
FAILURES_SHOWN = 20
# What /etc/passwd starts with: seen in an item, an external entity was expanded.
_LEAK_MARKERS = ("root:x:0:0", "root:*:0:0")


class _Timeout(BaseException):
    """Raised by the alarm in a feed that runs past the hard timeout (BaseException, so
    the parse path's own ``except Exception`` cannot swallow it)."""


@dataclass(order=True)
class Case:
    """One parsed mutant, as reported: how long it took and what it was."""

    ms: float  # CPU time of the parsing process: the feed's own cost
    index: int
    source: str = field(compare=False)
    mutation: str = field(compare=False)
    size: int = field(compare=False)
    outcome: str = field(compare=False)
    detail: str = field(default="", compare=False)
    grew_kb: int = field(default=0, compare=False)  # how much this feed raised the peak RSS
    wall_ms: float = field(default=0.0, compare=False)  # other programs' turns included


@dataclass
class FuzzReport:
    """Counts, the slowest cases, the failures and the digest of a run (or of a chunk)."""

    feeds: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    slowest: list[Case] = field(default_factory=list)
    hungriest: list[Case] = field(default_factory=list)
    failures: list[Case] = field(default_factory=list)
    digest: int = 0
    peak_kb: int = 0

    @property
    def escaped(self) -> int:
        return self.outcomes["escaped"]

    worst_wall_ms: float = 0.0

    @property
    def worst_ms(self) -> float:
        return max((c.ms for c in self.slowest), default=0.0)

    def add(self, other: FuzzReport) -> None:
        self.feeds += other.feeds
        self.outcomes.update(other.outcomes)
        self.slowest = heapq.nlargest(WORST_SHOWN, self.slowest + other.slowest)
        self.hungriest = _hungriest(self.hungriest + other.hungriest)
        self.failures = sorted(self.failures + other.failures, key=lambda c: c.index)
        self.failures = self.failures[:FAILURES_SHOWN]
        self.digest ^= other.digest
        self.peak_kb = max(self.peak_kb, other.peak_kb)
        self.worst_wall_ms = max(self.worst_wall_ms, other.worst_wall_ms)


def _hungriest(cases: list[Case]) -> list[Case]:
    grew = [c for c in cases if c.grew_kb > 0]
    return heapq.nlargest(WORST_SHOWN, grew, key=lambda c: c.grew_kb)


def load_corpus(dirs: Sequence[Path]) -> list[Source]:
    """Every feed fixture under ``dirs``, in a stable order, with its Content-Type (the
    ``Header: Content-type:`` line of feedparser's test files, when there is one)."""
    corpus = []
    for root in dirs:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
                continue
            body = path.read_bytes()
            headers = {k.lower(): v for k, v in served_headers(body)}
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            corpus.append(Source(name, body, headers.get("content-type")))
    return corpus


# ------------------------------------------------------------------------ the workers

_corpus: list[Source] = []
_max_bytes = 0
_hard_timeout = 0.0


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Timeout


def _init_worker(corpus: list[Source], max_bytes: int, hard_timeout: float) -> None:
    global _corpus, _max_bytes, _hard_timeout
    _corpus, _max_bytes, _hard_timeout = corpus, max_bytes, hard_timeout
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _leaked(parsed: ParsedFeed) -> bool:
    for item in parsed.items:
        for value in (item.title, item.summary, item.text, item.source_name):
            if value and any(marker in value for marker in _LEAK_MARKERS):
                return True
    return False


def _parse_one(seed: int, index: int) -> tuple[Case, int]:
    rng = random.Random(f"{seed}:{index}")
    source, mutant = mutate(rng, _corpus, _max_bytes)
    outcome, detail, items = "refused", "", -1
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    signal.setitimer(signal.ITIMER_REAL, _hard_timeout)
    parsed: ParsedFeed | None = None
    try:
        parsed = parse_feed(
            mutant.body, feed_url=FEED_URL, content_type=mutant.content_type, fetched=FETCHED
        )
    except PermanentFetchError as exc:
        detail = exc.reason[:80]
    except _Timeout:
        outcome, detail = "timeout", f"stopped after {_hard_timeout:g} s"
    except Exception:
        outcome, detail = "escaped", traceback.format_exc(limit=-3).strip()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    cpu_ms = (time.process_time() - cpu_started) * 1000
    wall_ms = (time.perf_counter() - started) * 1000
    if parsed is not None:  # checked after the clock stops: 1,000 items of 4 MB take seconds
        outcome, items = ("leaked" if _leaked(parsed) else "parsed"), len(parsed.items)
    body_hash = hashlib.blake2b(mutant.body, digest_size=16).digest()
    mark = f"{index}|{mutant.mutation}|{outcome}|{items}|{detail if outcome != 'escaped' else ''}"
    digest = int.from_bytes(hashlib.blake2b(mark.encode() + body_hash, digest_size=16).digest())
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    case = Case(
        cpu_ms, index, source.name, mutant.mutation, len(mutant.body), outcome, detail, grew_kb
    )
    case.wall_ms = wall_ms
    return case, digest


def _run_chunk(task: tuple[int, int, int]) -> FuzzReport:
    seed, start, stop = task
    report = FuzzReport()
    for index in range(start, stop):
        case, digest = _parse_one(seed, index)
        report.feeds += 1
        report.outcomes[case.outcome] += 1
        report.digest ^= digest
        report.slowest = heapq.nlargest(WORST_SHOWN, [*report.slowest, case])
        report.worst_wall_ms = max(report.worst_wall_ms, case.wall_ms)
        report.hungriest = _hungriest([*report.hungriest, case])
        if case.outcome not in ("parsed", "refused"):
            report.failures.append(case)
    report.peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return report


# ------------------------------------------------------------------------- the parent


def _tasks(seed: int, indices: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    if len(indices) == 1:
        yield seed, indices[0], indices[0] + 1
        return
    for start in range(0, len(indices), CHUNK):
        yield seed, start, min(start + CHUNK, len(indices))


def run_fuzz(
    corpus: list[Source],
    *,
    seed: int,
    indices: Sequence[int],
    workers: int,
    hard_timeout: float,
    progress_every: float = 5.0,
) -> FuzzReport:
    """Parse the mutants at ``indices`` in ``workers`` processes; the merged report."""
    max_bytes = FetchLimits().max_bytes
    report = FuzzReport()
    started = last = time.monotonic()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, _init_worker, (corpus, max_bytes, hard_timeout)) as pool:
        for chunk in pool.imap_unordered(_run_chunk, _tasks(seed, indices)):
            report.add(chunk)
            now = time.monotonic()
            if now - last >= progress_every or report.feeds == len(indices):
                last = now
                rate = report.feeds / max(now - started, 1e-9)
                print(
                    f"fuzz: {report.feeds}/{len(indices)} feeds ({rate:.0f}/s), "
                    f"{report.escaped} escaped, worst {report.worst_ms:.0f} ms, "
                    f"peak {report.peak_kb // 1024} MB",
                    file=sys.stderr,
                    flush=True,
                )
    return report


def _print_report(report: FuzzReport, elapsed: float) -> None:
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(report.outcomes.items()))
    print(f"outcomes: {outcomes}")
    print(f"rate: {report.feeds / max(elapsed, 1e-9):.1f} feeds/s over {elapsed:.0f} s")
    print(f"digest: {report.digest:032x}")
    print(
        f"worst wall-clock: {report.worst_wall_ms:.0f} ms "
        f"(load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    print("slowest feeds (CPU ms, wall ms, index, bytes, source, mutation, outcome):")
    for case in report.slowest:
        print(
            f"  {case.ms:8.0f} {case.wall_ms:8.0f}  #{case.index:<7d} {case.size:>9,d}  "
            f"{case.source}  {case.mutation}  {case.outcome}"
        )
    print("feeds that raised a worker's peak RSS most (MB, index, bytes, source, mutation):")
    for case in report.hungriest:
        print(
            f"  {case.grew_kb / 1024:8.0f}  #{case.index:<7d} {case.size:>9,d}  {case.source}  "
            f"{case.mutation}  {case.outcome}"
        )
    for case in report.failures:
        print(f"FAILED #{case.index} {case.source} {case.mutation}: {case.outcome}")
        print("  " + case.detail.replace("\n", "\n  "))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, action="append", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", type=int, help="parse only the mutant with this index")
    parser.add_argument("--max-ms", type=float, default=2000.0, help="limit per feed")
    parser.add_argument("--max-mb", type=float, default=1024.0, help="peak RSS limit")
    parser.add_argument("--hard-timeout", type=float, default=30.0, help="stop a feed after")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.dir)
    if not corpus:
        parser.error(f"no feed fixtures ({', '.join(sorted(SUFFIXES))}) under {args.dir}")
    indices = [args.only] if args.only is not None else range(args.count)
    print(f"corpus: {len(corpus)} fixtures; seed {args.seed}", file=sys.stderr)
    started = time.monotonic()
    report = run_fuzz(
        corpus,
        seed=args.seed,
        indices=indices,
        workers=max(1, args.workers),
        hard_timeout=args.hard_timeout,
    )
    _print_report(report, time.monotonic() - started)
    peak_mb = report.peak_kb / 1024
    breaches = report.outcomes["leaked"] + report.outcomes["timeout"]
    print(
        f"fuzz: {report.feeds} feeds, {report.escaped} escaped, "
        f"worst {report.worst_ms:.0f} ms, peak {peak_mb:.0f} MB"
    )
    over = report.worst_ms > args.max_ms or peak_mb > args.max_mb
    return 1 if report.escaped or breaches or over else 0


if __name__ == "__main__":
    raise SystemExit(main())
