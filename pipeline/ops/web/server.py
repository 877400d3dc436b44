"""The status page's HTTP server: the standard library's threading server (a read-only page
with two routes needs no framework), a Content-Security-Policy that allows nothing from
outside the machine and only the page's own inline style and script, and no cache."""

from __future__ import annotations

import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from redis import Redis
from redis.exceptions import RedisError

from pipeline.ops.web.render import render_content, render_page
from pipeline.ops.web.snapshot import read_status
from pipeline.settings import Settings

__all__ = ["StatusServer", "make_server", "serve_in_thread"]

log = structlog.get_logger()

_CSP = (
    "default-src 'none'; img-src data:; connect-src 'self'; style-src 'nonce-{nonce}'; "
    "script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class StatusServer(ThreadingHTTPServer):
    """Serves the page of one pipeline (its Redis and prefix)."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], redis: Redis, settings: Settings, refresh: int
    ) -> None:
        super().__init__(address, _Handler)
        self.redis = redis
        self.settings = settings
        self.refresh = refresh

    @property
    def url(self) -> str:
        """Where the page is served."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: StatusServer
    server_version = "news-pipeline-status"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._send(HTTPStatus.OK, "ok\n", "text/plain", body=body)
            return
        if url.path != "/":
            self._send(
                HTTPStatus.NOT_FOUND, "not found: the page is at /\n", "text/plain", body=body
            )
            return
        nonce = secrets.token_urlsafe(16)
        try:
            status = read_status(self.server.redis, self.server.settings)
        except RedisError as exc:
            log.warning("status_page_redis_unavailable", error=str(exc))
            text = f"Redis does not answer ({type(exc).__name__}); the page retries on reload.\n"
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, text, "text/plain", body=body)
            return
        if parse_qs(url.query).get("part") == ["content"]:
            html = render_content(status)
        else:
            html = render_page(status, nonce=nonce, refresh_seconds=self.server.refresh)
        self._send(HTTPStatus.OK, html, "text/html", body=body, nonce=nonce)

    def _send(
        self, code: HTTPStatus, text: str, kind: str, *, body: bool, nonce: str = "none"
    ) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", _CSP.format(nonce=nonce))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # http.server logs every request to stderr; one debug event is enough
        log.debug("status_page_request", request=self.requestline, detail=format % args)


def make_server(
    redis: Redis, settings: Settings, host: str = "127.0.0.1", port: int = 8080, refresh: int = 10
) -> StatusServer:
    """A server bound to host:port (port 0: any free port); call ``serve_forever``."""
    return StatusServer((host, port), redis, settings, refresh)


def serve_in_thread(server: StatusServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (tests, embedding)."""
    thread = threading.Thread(target=server.serve_forever, name="status-page", daemon=True)
    thread.start()
    return thread
