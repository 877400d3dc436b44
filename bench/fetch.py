"""Feed fetching throughput: N feeds of M items served on 127.0.0.1, polled twice.

    python bench/fetch.py [--feeds 500] [--items 50] [--workers 8] [--per-host 4]

The feeds are served by a separate process (so its CPU is not counted) with ETag and
Last-Modified support; every tenth feed sends no validators, so on the second pass it
answers 200 with the same bytes and exercises the unchanged-body check instead of 304.
A throw-away redis-server is started on a free port. The first pass finds every item new
(parse, seen-item filter, RQ enqueue, health); the second finds nothing new. The last
line is ``fetch: X feeds/s first pass, Y feeds/s second pass``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import structlog
from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.fetch.feeds.feedlist import FeedSpec
from pipeline.fetch.feeds.fetcher import FeedOutcome, fetch_all, open_context
from pipeline.ops.localredis import start_redis
from pipeline.queueing import make_queue
from pipeline.settings import Settings

_WORDS = [
    "minister",
    "council",
    "harbour",
    "election",
    "budget",
    "storm",
    "court",
    "market",
    "river",
    "bridge",
    "school",
    "hospital",
    "festival",
    "treaty",
    "railway",
    "museum",
    "airport",
    "village",
    "factory",
    "summit",
]


def _text(seed: int, words: int) -> str:
    return " ".join(_WORDS[(seed * 7 + i * 13) % len(_WORDS)] for i in range(words))


def make_feed(index: int, items: int) -> bytes:
    """An RSS 2.0 feed with ``items`` items of realistic size (HTML description and content)."""
    entries = []
    for j in range(items):
        seed = index * 1000 + j
        title = escape(f"{_text(seed, 8).capitalize()} ({index}-{j})")
        summary = escape(f"<p>{_text(seed + 1, 60)}.</p>")
        content = escape("".join(f"<p>{_text(seed + k, 50)}.</p>" for k in range(5)))
        entries.append(
            f"<item><title>{title}</title>"
            f"<link>https://publisher{index % 20}.example/news/{index}/{j}</link>"
            f"<guid isPermaLink='false'>bench-{index}-{j}</guid>"
            f"<pubDate>{formatdate(1_764_000_000 - j * 600, usegmt=True)}</pubDate>"
            f"<author>desk@publisher.example (News Desk)</author><category>World</category>"
            f"<description>{summary}</description>"
            f"<content:encoded>{content}</content:encoded></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<channel><title>Bench feed {index}</title><link>https://publisher.example/</link>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def serve(feeds: int, items: int) -> None:
    """Serve the bench feeds on 127.0.0.1 (child process); print the port, run until killed."""
    bodies = [make_feed(i, items) for i in range(feeds)]
    etags = ['"' + hashlib.sha1(b).hexdigest()[:16] + '"' for b in bodies]
    modified = formatdate(1_764_000_000, usegmt=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            try:
                index = int(self.path.rsplit("/", 1)[-1].removesuffix(".xml"))
                body = bodies[index]
            except (ValueError, IndexError):
                self.send_error(404)
                return
            validators = index % 10 != 0
            if validators and (
                self.headers.get("If-None-Match") == etags[index]
                or self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                self.send_header("ETag", etags[index])
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if validators:
                self.send_header("ETag", etags[index])
                self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _run_pass(
    settings: Settings, redis: Redis, specs: list[FeedSpec], workers: int
) -> tuple[list[FeedOutcome], float, float]:
    with open_context(settings, redis) as ctx:
        wall, cpu = time.perf_counter(), time.process_time()
        outcomes = fetch_all(ctx, specs, workers=workers)
        return outcomes, time.perf_counter() - wall, time.process_time() - cpu


def _report(name: str, outcomes: list[FeedOutcome], wall: float, cpu: float, items: int) -> float:
    counts = Counter(o.outcome for o in outcomes)
    enqueued = sum(o.enqueued for o in outcomes)
    rate = len(outcomes) / wall
    print(
        f"{name}: {len(outcomes)} feeds in {wall:.2f} s = {rate:.1f} feeds/s;"
        f" {enqueued} items enqueued ({enqueued / wall:.0f} items/s),"
        f" {len(outcomes) * items / wall:.0f} items covered/s;"
        f" CPU {cpu / len(outcomes) * 1000:.2f} ms/feed; outcomes {dict(sorted(counts.items()))}"
    )
    errors = [o for o in outcomes if o.outcome == "error"]
    for outcome in errors[:3]:
        print(f"  error: {outcome.url}: {outcome.error}")
    return rate


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=500, help="feeds to serve (>= 500)")
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument("--workers", type=int, default=8, help="fetch threads")
    parser.add_argument("--per-host", type=int, default=4, help="fetches at once per host")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.items)
        return 0
    if args.feeds < 500:
        print(f"note: {args.feeds} feeds is below the reference size of 500")
    # JSON logs at INFO, as in production, but to /dev/null: their cost is counted
    devnull = open(os.devnull, "w")  # noqa: SIM115
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(file=devnull),
    )
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(args.feeds), "--items",
         str(args.items)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        specs = [FeedSpec(f"http://127.0.0.1:{port}/feed/{i}.xml") for i in range(args.feeds)]
        with start_redis() as url:
            settings = Settings(
                redis_url=url,
                prefix="bench:",
                fetch_allow_private=True,
                fetch_per_host=args.per_host,
            )
            redis = Redis.from_url(url)
            print(
                f"{args.feeds} feeds x {args.items} items on 127.0.0.1:{port},"
                f" {args.workers} threads, {args.per_host} per host; redis {url}"
            )
            first, wall1, cpu1 = _run_pass(settings, redis, specs, args.workers)
            rate1 = _report("first pass (all new)", first, wall1, cpu1, args.items)
            print(f"  RQ jobs queued: {make_queue(redis, settings).count}")
            second, wall2, cpu2 = _run_pass(settings, redis, specs, args.workers)
            rate2 = _report("second pass (304 or unchanged)", second, wall2, cpu2, args.items)
            print(f"second pass / first pass: {rate2 / rate1:.1f}x (target >= 5x)")
    finally:
        server.terminate()
        server.wait(5)
    print(f"fetch: {rate1:.0f} feeds/s first pass, {rate2:.0f} feeds/s second pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
