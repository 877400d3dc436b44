"""A controllable feed server on 127.0.0.1 for the feed fetching tests."""

from __future__ import annotations

import hashlib
import random
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from pipeline.models import RawItem
from pipeline.settings import Settings

T0 = 1_764_000_000.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


class NoJitter(random.Random):
    """Jitter off, so delays can be compared exactly."""

    def uniform(self, a: float, b: float) -> float:
        return 0.0


class Recorder:
    """An enqueue seam that remembers what went on the queue."""

    def __init__(self) -> None:
        self.items: list[RawItem] = []

    def __call__(self, redis: Any, settings: Settings, items: Sequence[RawItem]) -> int:
        self.items.extend(items)
        return 1


def make_rss(
    items: list[tuple[str, str]],
    *,
    title: str = "Test feed",
    ttl_minutes: int | None = None,
    guid: bool = True,
    dates: Sequence[float] | None = None,
) -> bytes:
    """An RSS 2.0 document with one <item> per (key, text); every item dated alike unless
    ``dates`` (UNIX seconds, one per item) are given."""
    ttl = f"<ttl>{ttl_minutes}</ttl>" if ttl_minutes else ""
    entries = []
    for n, (key, text) in enumerate(items):
        guid_xml = f"<guid isPermaLink='false'>{escape(key)}</guid>" if guid else ""
        date = formatdate(dates[n], usegmt=True) if dates else "Mon, 01 Dec 2025 10:00:00 GMT"
        entries.append(
            f"<item><title>{escape(key)}</title><link>https://news.example/{escape(key)}</link>"
            f"{guid_xml}<description>{escape(text)}</description>"
            f"<pubDate>{date}</pubDate></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://news.example/</link>{ttl}"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client hung up before its answer (a fetch that timed out)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    etag: bool = True  # answer with an ETag and honour If-None-Match
    last_modified: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @property
    def etag_value(self) -> str:
        """The ETag the server sends for this body (quoted, as on the wire)."""
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    answered: int = 0


class FeedServer:
    """Serves ``routes`` and records every request and the peak concurrency."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to each body

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server.lock:
                    server.requests.append(seen)
                    server.active += 1
                    server.peak = max(server.peak, server.active)
                    route = server.routes.get(self.path)
                try:
                    if route and route.delay:
                        time.sleep(route.delay)
                    seen.answered = self._answer(route, seen)
                finally:
                    with server.lock:
                        server.active -= 1

            def _answer(self, route: Route | None, seen: Seen) -> int:
                if route is None:
                    self._send(404, b"not found", {})
                    return 404
                etag = route.etag_value
                modified = formatdate(1_700_000_000, usegmt=True)
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = etag
                if route.last_modified:
                    headers["Last-Modified"] = modified
                if route.status == 200:
                    if route.etag and seen.headers.get("if-none-match") == etag:
                        self._send(304, b"", headers)
                        return 304
                    if (
                        not route.etag
                        and route.last_modified
                        and seen.headers.get("if-modified-since") == modified
                    ):
                        self._send(304, b"", headers)
                        return 304
                self._send(route.status, route.body, headers)
                return route.status

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        """The requests received for ``path``."""
        with self.lock:
            return [r for r in self.requests if r.path == path]


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer, shut down afterwards."""
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
