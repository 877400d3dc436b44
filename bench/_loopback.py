"""Static HTTP servers on several loopback addresses (127.0.0.2, 127.0.0.3, ...), one per
simulated host, for the page benchmarks. Only loopback: nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Site", "loopback_sites"]


class Site:
    """One host: an address, a port, and the documents it serves by path."""

    def __init__(self, address: str) -> None:
        self.documents: dict[str, tuple[bytes, str]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                found = site.documents.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                body, kind = found
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{address}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, path: str, body: bytes, kind: str = "text/html; charset=utf-8") -> str:
        """Serve ``body`` at ``path``; returns its URL."""
        self.documents[path] = (body, kind)
        return self.base + path


@contextmanager
def loopback_sites(count: int) -> Iterator[list[Site]]:
    """``count`` running sites on 127.0.0.2 onwards."""
    sites = [Site(f"127.0.0.{2 + i}") for i in range(count)]
    for site in sites:
        site.thread.start()
    try:
        yield sites
    finally:
        for site in sites:
            site.httpd.shutdown()
            site.httpd.server_close()
