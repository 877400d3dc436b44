"""What scripts/compose-test.sh asks of the running stack, from the host: generated input,
and the pipeline's state read straight from its Redis (PIPELINE_REDIS_URL).

Reads never run RQ's registry clean-up (``count`` and ``get_job_ids`` do by default): that
would recover an abandoned job sooner than the deployment itself does.

    python scripts/compose_probe.py generate DIR --count 1000 --first 0
    python scripts/compose_probe.py feed FILE --base-url http://127.0.0.1:8000 --items 5 [--short]
    python scripts/compose_probe.py snapshot > before.json
    python scripts/compose_probe.py wait --since before.json --items 1000 --new 1000
    python scripts/compose_probe.py check-once
    python scripts/compose_probe.py scrape --first 19100 --span 10
    python scripts/compose_probe.py wait-busy 3 --timeout 60
    python scripts/compose_probe.py busy-workers PID...
    python scripts/compose_probe.py job JOB_ID
    python scripts/compose_probe.py flush
    python scripts/compose_probe.py drop-dead /monitoring-1.jsonl --expect 1
    python scripts/compose_probe.py prom-targets http://127.0.0.1:9090 --count 5
    python scripts/compose_probe.py prom-dashboard http://127.0.0.1:9090 \
        --dashboard monitoring/grafana/dashboards/news-pipeline.json \
        --rules monitoring/prometheus/alerts.yml
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import markupsafe
import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._articles import generate_items, generate_text
from pipeline.ops.stats import OUTCOMES, read_counters
from pipeline.queueing import make_queue
from pipeline.settings import Settings

SETTINGS = Settings()


def _redis() -> redis.Redis:
    return redis.Redis.from_url(SETTINGS.redis_url, socket_connect_timeout=5)


def generate(args: argparse.Namespace) -> None:
    """Write ``count`` generated articles (distinct URLs and texts) as one JSONL file."""
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"articles-{args.first}.jsonl", "w", encoding="utf-8") as out:
        # English filler: the workers enrich it (made-up words are skipped as not English)
        for i, item in enumerate(generate_items(args.count, seed=args.first, english=True)):
            item["url"] = f"https://news.example.org/ci/story-{args.first + i}.html"
            out.write(json.dumps(item) + "\n")


def feed(args: argparse.Namespace) -> None:
    """Write an RSS 2.0 feed of ``items`` generated stories linked under ``base_url``."""
    rng = random.Random(args.first)
    now = time.time()
    entries = []
    for i in range(args.first, args.first + args.items):
        link = f"{args.base_url}/stories/{i}.html"
        published = format_datetime(datetime.fromtimestamp(now - i * 60, tz=UTC))
        # --short: a headline and one sentence, as most feeds give: the page is fetched
        text = f"Story {i} in brief." if args.short else generate_text(rng)
        entries.append(
            f"<item><title>Story {i}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid><pubDate>{published}</pubDate>"
            f"<description>{escape(text)}</description></item>"
        )
    Path(args.file).write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>compose-test feed</title><link>{escape(args.base_url)}/</link>"
        f"<description>generated</description>{''.join(entries)}</channel></rss>",
        encoding="utf-8",
    )


def take_snapshot(client: redis.Redis) -> dict[str, Any]:
    """Streams, write counters, RQ queue and registries, pending batch items, workers."""
    queue = make_queue(client, SETTINGS)
    registries = {
        "started": StartedJobRegistry(queue=queue),
        "scheduled": ScheduledJobRegistry(queue=queue),  # type: ignore[no-untyped-call]
        "failed": FailedJobRegistry(queue=queue),
    }
    pending_items = 0
    for key in client.scan_iter(match=SETTINGS.key("batch", "*"), count=1000):
        raw = client.get(key)
        pending_items += len(json.loads(raw)) if raw else 0
    last = client.xrevrange(SETTINGS.articles_stream, count=1)
    workers = [
        {
            "name": w.name,
            "state": w.get_state(),
            "job": w.get_current_job_id(),
            "addr": w.ip_address,
        }
        for w in Worker.all(queue=queue)
    ]
    return {
        "at": time.time(),
        "articles": client.xlen(SETTINGS.articles_stream),
        "dead": client.xlen(SETTINGS.dead_stream),
        "counters": read_counters(client, SETTINGS),
        "queued": queue.count,
        **{name: client.zcard(registry.key) for name, registry in registries.items()},
        "pending_items": pending_items,
        "seen": sum(1 for _ in client.scan_iter(match=SETTINGS.key("seen", "*"), count=1000)),
        "last_write": int(last[0][0].decode().split("-")[0]) / 1000 if last else None,
        "workers": workers,
    }


def snapshot(_args: argparse.Namespace) -> None:
    print(json.dumps(take_snapshot(_redis())))


def _delta(now: dict[str, Any], before: dict[str, Any], outcome: str) -> int:
    return int(now["counters"].get(outcome, 0)) - int(before["counters"].get(outcome, 0))


def wait(args: argparse.Namespace) -> None:
    """Wait until exactly ``items`` more items were accounted for by the atomic write
    (``new`` of them new, when given) and the queue is drained; fail at once on an extra
    item, a dead letter or a failed job."""
    before = json.loads(Path(args.since).read_text())
    client = _redis()
    deadline = time.monotonic() + args.timeout
    last_report = time.monotonic()
    while True:
        now = take_snapshot(client)
        items = sum(_delta(now, before, outcome) for outcome in OUTCOMES)
        new, dead = _delta(now, before, "new"), _delta(now, before, "dead")
        drained = now["queued"] == now["started"] == now["scheduled"] == 0
        expected_new = args.new if args.new is not None else new
        if items > args.items or new > expected_new or dead or now["failed"] > before["failed"]:
            sys.exit(
                f"wait: {items} items ({new} new, {dead} dead) where {args.items} "
                f"({args.new} new) were expected; failed jobs {now['failed']}"
            )
        if items == args.items and new == expected_new and drained:
            print(json.dumps({"new": new, "last_write": now["last_write"], "snapshot": now}))
            return
        if time.monotonic() > deadline:
            sys.exit(
                f"wait: after {args.timeout:g}s only {items} of {args.items} items ({new} new); "
                f"queued {now['queued']}, running {now['started']}, retrying {now['scheduled']}"
            )
        if time.monotonic() - last_report > 30:
            print(
                f"  ... {items}/{args.items} items, queued {now['queued']}, "
                f"running {now['started']}, retrying {now['scheduled']}",
                file=sys.stderr,
            )
            last_report = time.monotonic()
        time.sleep(0.5)


def check_once(_args: argparse.Namespace) -> None:
    """Every article version is in the stream once, revisions count up from 1, the stream
    holds exactly what the write counted as new, duplicate or revision, and nothing is dead."""
    client = _redis()
    versions: Counter[tuple[str, int]] = Counter()
    start = "-"
    while True:
        chunk = client.xrange(SETTINGS.articles_stream, min=start, count=1000)
        for _entry_id, fields in chunk:
            article = json.loads(fields[b"article"])
            versions[(article["id"], int(article["revision"]))] += 1
        if len(chunk) < 1000:
            break
        last = chunk[-1][0].decode()
        ms, seq = last.split("-")
        start = f"{ms}-{int(seq) + 1}"
    doubled = [version for version, n in versions.items() if n > 1]
    revisions: dict[str, set[int]] = {}
    for article_id, revision in versions:
        revisions.setdefault(article_id, set()).add(revision)
    gaps = [a for a, r in revisions.items() if r != set(range(1, max(r) + 1))]
    counters = read_counters(client, SETTINGS)
    written = sum(counters.get(k, 0) for k in ("new", "duplicate", "revision"))
    problems = []
    if doubled:
        problems.append(f"{len(doubled)} article versions written twice, e.g. {doubled[:3]}")
    if gaps:
        problems.append(f"{len(gaps)} articles with missing revisions, e.g. {gaps[:3]}")
    dead = client.xlen(SETTINGS.dead_stream)
    if dead:
        problems.append(f"{dead} dead letters")
    if written != sum(versions.values()):
        problems.append(f"stream holds {sum(versions.values())} entries, counters say {written}")
    if problems:
        sys.exit("check-once: " + "; ".join(problems))
    print(
        f"check-once: {sum(versions.values())} entries, {len(revisions)} articles, "
        "each version once, 0 dead letters"
    )


def scrape(args: argparse.Namespace) -> None:
    """Scrape /metrics on each port of the range; print what answered, by port."""
    answered = {}
    for port in [*range(args.first, args.first + args.span), *args.also]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as r:
                text = r.read().decode()
        except OSError:
            continue
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        answered[port] = {
            "redis_up": samples.get(("pipeline_redis_up", ())),
            "new": samples.get(("pipeline_articles_total", (("outcome", "new"),))),
            "queued": samples.get(("pipeline_queue_jobs", (("state", "queued"),))),
            # the pipeline-wide figures come from the one process holding the metrics lease
            "lease_held": samples.get(("pipeline_metrics_lease_held", ())),
        }
    print(json.dumps(answered))


def wait_busy(args: argparse.Namespace) -> None:
    """Wait until ``count`` workers are busy with a job."""
    client = _redis()
    deadline = time.monotonic() + args.timeout
    while True:
        busy = [w for w in take_snapshot(client)["workers"] if w["state"] == "busy" and w["job"]]
        if len(busy) >= args.count:
            print(json.dumps(busy))
            return
        if time.monotonic() > deadline:
            sys.exit(f"wait-busy: only {len(busy)} of {args.count} workers busy")
        time.sleep(0.2)


def _socket_ports(pid: int) -> set[int]:
    """Local TCP ports of the sockets process ``pid`` holds (read from /proc, as root)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def busy_workers(args: argparse.Namespace) -> None:
    """Which of the processes ``pids`` runs which busy RQ worker and job: RQ records each
    worker's Redis client address, and the client port belongs to one process."""
    client = _redis()
    owners = {port: pid for pid in args.pids for port in _socket_ports(pid)}
    found = []
    for worker in take_snapshot(client)["workers"]:
        port = int(str(worker["addr"]).rsplit(":", 1)[-1] or 0)
        if worker["state"] == "busy" and worker["job"] and port in owners:
            found.append({"pid": owners[port], "worker": worker["name"], "job": worker["job"]})
    print(json.dumps(found))


def job(args: argparse.Namespace) -> None:
    """A job's status, and whether RQ still counts it as started."""
    client = _redis()
    queue = make_queue(client, SETTINGS)
    status = Job.fetch(args.job_id, connection=client, serializer=queue.serializer).get_status()
    # entries are "<job id>:<execution id>"; no clean-up (see the module's docstring)
    started = args.job_id in StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)
    print(json.dumps({"status": str(status.value if status else None), "started": started}))


def flush(_args: argparse.Namespace) -> None:
    """Delete every key (as the operator, who may not FLUSHALL)."""
    client = _redis()
    batch: list[bytes] = []
    for key in client.scan_iter(count=1000):
        batch.append(key)
        if len(batch) == 1000:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)


def page(args: argparse.Namespace) -> None:
    """Exit 1 unless the status page at ``url`` answers 200 and, with --shows-latest,
    names the newest article of the stream (HTML-escaped, as the page writes it)."""
    with urllib.request.urlopen(args.url, timeout=10) as response:
        status, body = response.status, response.read().decode("utf-8")
    if status != 200:
        sys.exit(f"status page: HTTP {status}")
    if args.shows_latest:
        newest = _redis().xrevrange(SETTINGS.articles_stream, count=1)
        if not newest:
            sys.exit("status page: the stream is empty")
        title = json.loads(newest[0][1][b"article"]).get("title") or "(untitled)"
        if str(markupsafe.escape(title)) not in body:  # as the page's templates escape it
            sys.exit(f"status page: {title!r} is not on it")


def drop_dead(args: argparse.Namespace) -> None:
    """Delete the dead letters whose source ends with ``source_suffix`` (a phase's own
    deliberate bad input), exactly ``expect`` of them: later checks still see any other."""
    client = _redis()
    deadline = time.monotonic() + args.timeout
    while True:  # the replay watcher may not have read the file yet
        entries = client.xrange(SETTINGS.dead_stream)
        ours = [eid for eid, f in entries if f.get(b"source", b"").decode().endswith(args.suffix)]
        if len(ours) >= args.expect or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if len(ours) != args.expect:
        sys.exit(f"{len(ours)} dead letters from *{args.suffix}, expected {args.expect}")
    if ours:
        client.xdel(SETTINGS.dead_stream, *ours)


def _prometheus(url: str, path: str, **params: str) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{query}", timeout=10) as response:
        body = json.loads(response.read())
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus {path}: {body}")
    return body["data"]


def _until(check: Any, timeout: float, what: str) -> Any:
    """Call ``check`` until it returns (ok, detail) with ok true; exit 1 with the last
    detail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ok, detail = check()
        except (OSError, RuntimeError, ValueError) as exc:
            ok, detail = False, str(exc)
        if ok:
            return detail
        if time.monotonic() > deadline:
            sys.exit(f"{what} after {timeout:.0f} s: {detail}")
        time.sleep(1)


def prom_targets(args: argparse.Namespace) -> None:
    """Wait until Prometheus has discovered exactly ``count`` targets, every one up; print
    them by discovered name."""

    def check() -> tuple[bool, Any]:
        active = _prometheus(args.url, "targets", state="active")["activeTargets"]
        up = [t for t in active if t["health"] == "up"]
        names = Counter(t["discoveredLabels"].get("__meta_dns_name", "?") for t in up)
        detail = {"up": len(up), "active": len(active), "by_name": dict(sorted(names.items()))}
        return len(active) == len(up) == args.count, detail

    print(json.dumps(_until(check, args.timeout, f"not {args.count} targets up")))


def prom_dashboard(args: argparse.Namespace) -> None:
    """Wait until every query of the Grafana dashboard has an answer from Prometheus, and
    every alert rule of the rule file is loaded and evaluates cleanly."""
    dashboard = json.loads(Path(args.dashboard).read_text())
    queries = [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    groups = yaml.safe_load(Path(args.rules).read_text())["groups"]
    rule_count = sum(len(group["rules"]) for group in groups)

    def check() -> tuple[bool, Any]:
        empty = [
            f"{title}: {expr}"
            for title, expr in queries
            if not _prometheus(args.url, "query", query=expr)["result"]
        ]
        groups = _prometheus(args.url, "rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        unhealthy = [r["name"] for r in rules if r.get("health") != "ok"]
        ok = not empty and len(rules) == rule_count and not unhealthy
        return ok, {"without data": empty, "rules": len(rules), "unhealthy": unhealthy}

    _until(check, args.timeout, "dashboard queries or alert rules not all answered")
    print(f"{len(queries)} dashboard queries answered; {rule_count} alert rules loaded, healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("page")
    p.add_argument("url")
    p.add_argument("--shows-latest", action="store_true")
    p.set_defaults(run=page)
    p = commands.add_parser("generate")
    p.add_argument("dir")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--first", type=int, default=0)
    p.set_defaults(run=generate)
    p = commands.add_parser("feed")
    p.add_argument("file")
    p.add_argument("--base-url", required=True)
    p.add_argument("--items", type=int, default=5)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--short", action="store_true", help="headline and one sentence")
    p.set_defaults(run=feed)
    commands.add_parser("snapshot").set_defaults(run=snapshot)
    p = commands.add_parser("wait")
    p.add_argument("--since", required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--new", type=int)
    p.add_argument("--timeout", type=float, default=300)
    p.set_defaults(run=wait)
    commands.add_parser("check-once").set_defaults(run=check_once)
    p = commands.add_parser("scrape")
    p.add_argument("--first", type=int, required=True)
    p.add_argument("--span", type=int, default=1)
    p.add_argument("--also", type=int, action="append", default=[], help="another port")
    p.set_defaults(run=scrape)
    p = commands.add_parser("wait-busy")
    p.add_argument("count", type=int)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=wait_busy)
    p = commands.add_parser("busy-workers")
    p.add_argument("pids", type=int, nargs="+")
    p.set_defaults(run=busy_workers)
    p = commands.add_parser("job")
    p.add_argument("job_id")
    p.set_defaults(run=job)
    commands.add_parser("flush").set_defaults(run=flush)
    p = commands.add_parser("drop-dead")
    p.add_argument("suffix")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=drop_dead)
    p = commands.add_parser("prom-targets")
    p.add_argument("url")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(run=prom_targets)
    p = commands.add_parser("prom-dashboard")
    p.add_argument("url")
    p.add_argument("--dashboard", required=True)
    p.add_argument("--rules", required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(run=prom_dashboard)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
