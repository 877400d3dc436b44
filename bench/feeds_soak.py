"""Feed coverage soak: a live feed farm on 127.0.0.1 under `pipeline schedule` and a worker.

    python bench/feeds_soak.py [--minutes 5] [--min-interval 5] [--start-interval 60]
                               [--max-interval 120] [--fetch-timeout 60]

The farm (bench/_feed_farm.py, a separate process) serves 218 feeds that publish in real
time and list their newest N items: 37 every 10 s and 57 every 60 s (listing 50, dated),
95 that never change, 10 every 2 s listing 20 without dates, 4 every second listing 20,
3 "firehoses" at 4 items a second listing 10 (faster than the minimum interval allows),
3 that are static until 90 s in and then publish every second, 3 that answer 503 to every
third request, 2 that answer 429 with Retry-After: 7 to every other one, 3 that always
answer 500 and one that never answers. A throw-away redis-server, `pipeline schedule` with
the given bounds, and `pipeline worker` (enrichment off) run for the given minutes. Then
SIGTERM goes to the scheduler while the hanging feed's fetch is in flight, the worker
drains the queue, and the script counts, per feed class: items published (from each
feed's first listing to the newest item it served) against items in the stream, doubles,
polls, conditional requests and 304s, gaps the farm saw (listings sharing nothing with what
it served before; *real* when items in between were never served) against gaps the
pipeline recorded, and the scheduler's CPU time and peak memory. The last line is
``coverage: P% of published items landed; G gaps detected; C% of polls conditional; S s CPU``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.fetch.feeds.health import coverage_counters, list_health
from pipeline.ops.localredis import start_redis
from pipeline.ops.stats import queue_depths
from pipeline.settings import Settings

FARM = Path(__file__).with_name("_feed_farm.py")
PREFIX = "soak:"

# (class, feeds, seconds between items, items listed, dated, extra plan fields)
CLASSES: list[tuple[str, int, float | None, int, bool, dict[str, Any]]] = [
    ("10s", 37, 10.0, 50, True, {}),
    ("60s", 57, 60.0, 50, True, {}),
    ("static", 95, None, 50, True, {}),
    ("2s undated", 10, 2.0, 20, False, {}),
    ("1s", 4, 1.0, 20, True, {}),
    ("firehose", 3, 0.25, 10, True, {}),
    ("burst at 90s", 3, 1.0, 20, True, {"burst_at": 90.0}),
    ("flaky 503", 3, 10.0, 50, True, {"mode": "flaky"}),
    ("429 Retry-After", 2, 10.0, 50, True, {"mode": "throttled"}),
    ("dead 500", 3, None, 50, True, {"mode": "dead"}),
    ("hanging", 1, None, 50, True, {"mode": "hang"}),
]
# Feeds whose onset nobody can foresee: excluded from the 100 % acceptance (see README).
UNFORESEEABLE = {"burst at 90s"}


def _plans() -> list[dict[str, Any]]:
    plans = []
    for cls, count, every, listed, dated, extra in CLASSES:
        for i in range(count):
            index = len(plans)
            plans.append(
                {
                    "index": index,
                    "cls": cls,
                    "every": every,
                    "listed": listed,
                    "dated": dated,
                    # spread the feeds' clocks so they do not publish in step
                    "offset": (every or 0) * ((i * 0.618) % 1.0),
                    "validators": not (cls == "static" and i % 10 == 0),
                    **extra,
                }
            )
    return plans


def _farm_stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as answer:
        stats: dict[str, Any] = json.load(answer)
    return stats


def _stream_items(redis: Redis, stream: str) -> Counter[str]:
    """How many entries the stream holds per item guid."""
    seen: Counter[str] = Counter()
    last = "-"
    while True:
        entries = redis.xrange(stream, min=last, max="+", count=1000)
        if last != "-":
            entries = entries[1:]
        if not entries:
            return seen
        for _entry_id, fields in entries:
            article = json.loads(fields[b"article"])
            seen[article.get("guid") or article["id"]] += 1
        last = entries[-1][0].decode()


def _reap(pid: int) -> tuple[int, float, float]:
    """Wait for ``pid``; its exit status, CPU seconds (user + system), peak memory in MB."""
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return os.waitstatus_to_exitcode(status), cpu, usage.ru_maxrss / 1024


def _cpu_so_far(pid: int) -> float:
    """CPU seconds (user + system) a running process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args], env=env, stdout=out, stderr=out
        )


def _report(
    plans: list[dict[str, Any]],
    farm: dict[str, Any],
    landed: Counter[str],
    gaps_by_url: dict[str, int],
    missed_by_url: dict[str, int],
    url_of: dict[int, str],
    min_interval: float,
) -> tuple[int, int, int, int, bool]:
    """Print the per-class table; return (published, landed, gaps, conditional %, ok)."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for plan, counts in zip(plans, farm["feeds"], strict=True):
        row = rows[plan["cls"]]
        row["feeds"] += 1
        for key in ("requests", "conditional", "not_modified", "errors", "no_overlap"):
            row[key] += counts[key]
        row["real gaps"] += counts["real_gaps"]
        row["missed"] += counts["missed"]
        row["detected"] += gaps_by_url.get(url_of[plan["index"]], 0)
        row["estimated"] += missed_by_url.get(url_of[plan["index"]], 0)
        if counts["served_max"] is None:
            continue
        served = range(counts["first_oldest"], 1 + counts["served_max"])
        keys = [f"{plan['index']}-{k}" for k in served]
        row["published"] += len(keys)
        row["landed"] += sum(1 for key in keys if landed[key])
        row["doubled"] += sum(1 for key in keys if landed[key] > 1)
        # a feed whose own gaps do not match what the farm saw
        row["gap mismatches"] += gaps_by_url.get(url_of[plan["index"]], 0) != counts["no_overlap"]
    header = (
        f"{'class':<16}{'feeds':>6}{'items/s':>9}{'listed':>7}{'coverable':>10}{'published':>10}"
        f"{'landed':>9}{'%':>8}{'doubled':>8}{'polls':>7}{'cond.':>7}{'304':>6}{'errors':>7}"
        f"{'real gaps':>10}{'no-overlap':>11}{'detected':>9}{'missed':>8}{'est.':>7}"
    )
    print(header)
    ok = True
    totals: Counter[str] = Counter()
    for cls, _count, every, listed, _dated, _extra in CLASSES:
        row = rows[cls]
        rate = 1 / every if every else 0.0
        coverable = rate * min_interval < listed
        share = 100 * row["landed"] / row["published"] if row["published"] else 100.0
        print(
            f"{cls:<16}{row['feeds']:>6}{rate:>9.2f}{listed:>7}"
            f"{('yes' if coverable else 'no'):>10}{row['published']:>10}{row['landed']:>9}"
            f"{share:>7.2f}%{row['doubled']:>8}{row['requests']:>7}{row['conditional']:>7}"
            f"{row['not_modified']:>6}{row['errors']:>7}{row['real gaps']:>10}"
            f"{row['no_overlap']:>11}{row['detected']:>9}{row['missed']:>8}{row['estimated']:>7}"
        )
        totals.update(row)
        must_cover = coverable and cls not in UNFORESEEABLE
        if (must_cover and row["landed"] < row["published"]) or row["doubled"]:
            ok = False
        if row["gap mismatches"] or row["detected"] < row["real gaps"]:
            ok = False
    conditional = round(100 * totals["conditional"] / max(1, totals["requests"]))
    print(
        f"real gaps {totals['real gaps']} (items never served: {totals['missed']}),"
        f" listings sharing nothing with the one before {totals['no_overlap']},"
        f" gaps the pipeline recorded {totals['detected']}"
        f" (items probably missed, estimated: {totals['estimated']});"
        f" feeds whose recorded gaps differ from the farm's: {totals['gap mismatches']}"
    )
    return totals["published"], totals["landed"], totals["detected"], conditional, ok


def main() -> int:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--min-interval", type=float, default=5.0)
    parser.add_argument("--start-interval", type=float, default=60.0)
    parser.add_argument("--max-interval", type=float, default=120.0)
    parser.add_argument("--fetch-timeout", type=float, default=60.0)
    parser.add_argument("--per-host", type=int, default=8, help="every feed is on one host here")
    args = parser.parse_args()
    plans = _plans()
    workdir = Path(tempfile.mkdtemp(prefix="feeds-soak-"))
    config = workdir / "farm.json"
    config.write_text(json.dumps(plans))
    farm_proc = subprocess.Popen(
        [sys.executable, str(FARM), str(config)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert farm_proc.stdout is not None
        port = int(farm_proc.stdout.readline().split()[0])
        url_of = {p["index"]: f"http://127.0.0.1:{port}/feed/{p['index']}" for p in plans}
        feeds = workdir / "feeds.txt"
        feeds.write_text("".join(url + "\n" for url in url_of.values()))
        with start_redis() as redis_url:
            return _run(args, plans, port, url_of, feeds, workdir, redis_url)
    finally:
        farm_proc.terminate()
        farm_proc.wait(10)


def _run(
    args: argparse.Namespace,
    plans: list[dict[str, Any]],
    port: int,
    url_of: dict[int, str],
    feeds: Path,
    workdir: Path,
    redis_url: str,
) -> int:
    settings = Settings(redis_url=redis_url, prefix=PREFIX)
    redis = Redis.from_url(redis_url)
    env = {
        **os.environ,
        "PIPELINE_REDIS_URL": redis_url,
        "PIPELINE_PREFIX": PREFIX,
        "PIPELINE_ENRICH": "false",
        "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
        "PIPELINE_FETCH_TIMEOUT": str(args.fetch_timeout),
        "PIPELINE_FEED_MIN_INTERVAL": str(args.min_interval),
        "PIPELINE_FEED_START_INTERVAL": str(args.start_interval),
        "PIPELINE_FEED_MAX_INTERVAL": str(args.max_interval),
    }
    print(
        f"{len(plans)} feeds on 127.0.0.1:{port}; redis {redis_url}; intervals"
        f" {args.min_interval:g}-{args.max_interval:g} s, new feeds {args.start_interval:g} s;"
        f" fetch timeout {args.fetch_timeout:g} s; {args.minutes:g} min; logs in {workdir}"
    )
    worker = _spawn(["--log-level", "WARNING", "worker"], env, workdir / "worker.log")
    scheduler = _spawn(
        ["--log-json", "schedule", "--feeds", str(feeds), "--per-host", str(args.per_host)],
        env,
        workdir / "scheduler.log",
    )
    try:
        started = time.monotonic()
        end = started + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(30.0, max(0.0, end - time.monotonic())))
            farm = _farm_stats(port)
            polls = sum(f["requests"] for f in farm["feeds"])
            gaps = coverage_counters(redis, settings)["gaps"]
            print(
                f"  {time.monotonic() - started:4.0f} s: {polls} polls,"
                f" {redis.xlen(settings.articles_stream)} items in the stream, {gaps} gaps,"
                f" scheduler CPU {_cpu_so_far(scheduler.pid):.1f} s",
                flush=True,
            )
        waited = time.monotonic()
        while _farm_stats(port)["hanging"] == 0 and time.monotonic() - waited < 300:
            time.sleep(0.2)  # stop while the hanging feed's fetch is in flight
        in_flight = _farm_stats(port)["hanging"]
        scheduler.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        status, cpu, peak = _reap(scheduler.pid)
        stop_seconds = time.monotonic() - signalled
        scheduler.returncode = status  # reaped by wait4 above
        print(
            f"SIGTERM with {in_flight} hung fetch in flight: the scheduler stopped in"
            f" {stop_seconds:.1f} s (exit status {status}); scheduler CPU {cpu:.1f} s,"
            f" peak memory {peak:.0f} MB"
        )
        drain = time.monotonic()
        while time.monotonic() - drain < 300:
            depths = queue_depths(redis, settings)
            if depths["queued"] == 0 and depths["running"] == 0:
                break
            time.sleep(0.5)
    finally:
        _stop(scheduler)
        _stop(worker)
    farm = _farm_stats(port)
    landed = _stream_items(redis, settings.articles_stream)
    healths = {h.url: h for h in list_health(redis, settings)}
    gaps_by_url = {url: h.gaps for url, h in healths.items()}
    missed_by_url = {url: h.missed_total for url, h in healths.items()}
    published, landed_n, detected, conditional, ok = _report(
        plans, farm, landed, gaps_by_url, missed_by_url, url_of, args.min_interval
    )
    dead = redis.xlen(settings.dead_stream)
    print(f"dead letters: {dead}; acceptance (100% of coverable, every gap, 0 doubled): {ok}")
    share = 100 * landed_n / max(1, published)
    print(
        f"coverage: {share:.1f}% of published items landed; {detected} gaps detected;"
        f" {conditional}% of polls conditional; {cpu:.1f} s CPU"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
