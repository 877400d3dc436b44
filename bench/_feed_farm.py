"""A farm of live feeds on 127.0.0.1 for bench/feeds_soak.py: each publishes on its own
schedule in real time and lists its newest N items; the farm counts what it served.

Run as a child process (``python bench/_feed_farm.py CONFIG.json``): it prints its port and
its time origin, then serves until killed. ``GET /_stats`` answers the counts as JSON.

For every feed it knows, at each 200 answer, whether the listing overlapped what it had
served before; a listing whose oldest item is newer than anything served before is a
*no-overlap* listing (what the pipeline should flag as a gap), and a *real gap* when items
between the two were never served at all (they are lost for good).
"""

from __future__ import annotations

import json
import math
import select
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

# A static feed's backlog, and a burst feed's items before its burst, are an hour apart.
QUIET_EVERY = 3600.0


@dataclass(frozen=True)
class FeedPlan:
    """How one feed behaves: its publishing rate, listing size and failure mode."""

    index: int
    cls: str
    every: float | None  # seconds between items; None: never publishes
    listed: int
    dated: bool = True
    offset: float = 0.0  # its first live item comes this long after the farm starts
    burst_at: float | None = None  # quiet (hourly) until then, then one every ``every``
    mode: str = "ok"  # ok | flaky (every 3rd: 503) | throttled (every 2nd: 429) | dead | hang
    validators: bool = True


@dataclass
class FeedCounts:
    """What the farm served one feed."""

    requests: int = 0
    conditional: int = 0
    not_modified: int = 0
    ok: int = 0
    errors: int = 0
    first_oldest: int | None = None  # the oldest item of the first listing served
    served_max: int | None = None  # the newest item ever served
    no_overlap: int = 0
    real_gaps: int = 0
    missed: int = 0  # items never served, between listings


@dataclass
class Farm:
    """The feeds, their clocks and their counts."""

    plans: list[FeedPlan]
    t0: float = field(default_factory=time.time)
    counts: list[FeedCounts] = field(default_factory=list)
    hanging: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.counts = [FeedCounts() for _ in self.plans]

    def _start(self, plan: FeedPlan) -> float:
        return self.t0 + (plan.burst_at if plan.burst_at is not None else plan.offset)

    def published(self, plan: FeedPlan, now: float) -> int:
        """Items the feed has published by ``now``, its backlog included."""
        if plan.every is None or now < self._start(plan):
            live = 0
        else:
            live = math.floor((now - self._start(plan)) / plan.every) + 1
        return plan.listed + live

    def date(self, plan: FeedPlan, k: int) -> float:
        """When item ``k`` was published (the first ``listed`` are the backlog)."""
        if k < plan.listed:
            backlog_every = plan.every if plan.every and plan.burst_at is None else QUIET_EVERY
            return self.t0 - (plan.listed - k) * backlog_every
        assert plan.every is not None
        return self._start(plan) + (k - plan.listed) * plan.every

    def listing(self, plan: FeedPlan, now: float) -> tuple[int, int, bytes, str, str]:
        """(oldest, newest, body, etag, last-modified) of the listing at ``now``."""
        count = self.published(plan, now)
        lo = max(0, count - plan.listed)
        entries = []
        for k in range(count - 1, lo - 1, -1):
            date = f"<pubDate>{formatdate(self.date(plan, k), usegmt=True)}</pubDate>"
            entries.append(
                f"<item><title>Feed {plan.index} item {k}</title>"
                f"<link>https://farm{plan.index % 20}.example/{plan.index}/{k}</link>"
                f"<guid isPermaLink='false'>{plan.index}-{k}</guid>"
                f"{date if plan.dated else ''}"
                f"<description>{escape(f'Item {k} of feed {plan.index} ({plan.cls}).')}"
                "</description></item>"
            )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Farm feed {plan.index}</title><link>https://farm.example/</link>"
            + "".join(entries)
            + "</channel></rss>"
        ).encode()
        modified = formatdate(self.date(plan, count - 1), usegmt=True)
        return lo, count - 1, body, f'"{plan.index}-{count}"', modified

    def record_listing(self, index: int, lo: int, hi: int) -> None:
        """Count a 200 answer listing items ``lo``..``hi``."""
        c = self.counts[index]
        if c.served_max is None:
            c.first_oldest = lo
        elif lo > c.served_max:
            c.no_overlap += 1
            if lo > c.served_max + 1:
                c.real_gaps += 1
                c.missed += lo - c.served_max - 1
        c.served_max = hi if c.served_max is None else max(c.served_max, hi)

    def stats(self) -> dict[str, Any]:
        """Every count, as JSON."""
        with self.lock:
            now = time.time()
            return {
                "t0": self.t0,
                "hanging": self.hanging,
                "feeds": [
                    {**asdict(c), "published_by_now": self.published(p, now)}
                    for p, c in zip(self.plans, self.counts, strict=True)
                ],
            }


def _handler(farm: Farm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/_stats":
                self._send(200, json.dumps(farm.stats()).encode(), {})
                return
            try:
                plan = farm.plans[int(self.path.rsplit("/", 1)[-1])]
            except (ValueError, IndexError):
                self._send(404, b"no such feed", {})
                return
            conditional = bool(
                self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
            )
            with farm.lock:
                counts = farm.counts[plan.index]
                counts.requests += 1
                counts.conditional += conditional
                nth = counts.requests
            if plan.mode == "hang":
                self._hang()
                return
            failure = self._failure(plan, nth)
            if failure is not None:
                with farm.lock:
                    counts.errors += 1
                self._send(*failure)
                return
            lo, hi, body, etag, modified = farm.listing(plan, time.time())
            headers = {"ETag": etag, "Last-Modified": modified} if plan.validators else {}
            if plan.validators and (
                self.headers.get("If-None-Match") == etag
                or (
                    not self.headers.get("If-None-Match")
                    and self.headers.get("If-Modified-Since") == modified
                )
            ):
                with farm.lock:
                    counts.not_modified += 1
                self._send(304, b"", headers)
                return
            with farm.lock:
                counts.ok += 1
                farm.record_listing(plan.index, lo, hi)
            self._send(200, body, headers)

        def _failure(self, plan: FeedPlan, nth: int) -> tuple[int, bytes, dict[str, str]] | None:
            if plan.mode == "dead":
                return 500, b"broken", {}
            if plan.mode == "flaky" and nth % 3 == 0:
                return 503, b"busy", {}
            if plan.mode == "throttled" and nth % 2 == 0:
                return 429, b"slow down", {"Retry-After": "7"}
            return None

        def _hang(self) -> None:
            """Never answer; return once the client hangs up (so the farm knows)."""
            with farm.lock:
                farm.hanging += 1
            try:
                while True:
                    readable, _, _ = select.select([self.connection], [], [], 0.2)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):  # closed?
                        return
            except OSError:
                return
            finally:
                with farm.lock:
                    farm.hanging -= 1
                self.close_connection = True

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client hangs up (a scheduler stopping, a fetch timing out)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


def main(config_path: str) -> None:
    """Serve the feeds described in CONFIG (a JSON list of FeedPlan fields) until killed."""
    with open(config_path, encoding="utf-8") as handle:
        plans = [FeedPlan(**raw) for raw in json.load(handle)]
    farm = Farm(plans)
    server = _QuietServer(("127.0.0.1", 0), _handler(farm))
    server.daemon_threads = True
    print(server.server_address[1], farm.t0, flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main(sys.argv[1])
