"""HTTPS through the guard: the vetted IP is dialled, the certificate is checked for the name."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import trustme

from pipeline.errors import PermanentFetchError
from pipeline.fetch.http import FetchLimits
from tests.integration.http_clients import HttpClients

pytestmark = pytest.mark.integration

FEED = b'<rss version="2.0"><channel><title>Over TLS</title></channel></rss>'


def certificate(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A throw-away CA (trustme) and a certificate it issued for ``name``:
    (CA certificate, server certificate chain, server key)."""
    ca = trustme.CA()
    issued = ca.issue_cert(name)
    ca_file, chain, key = directory / "ca.pem", directory / f"{name}.pem", directory / f"{name}.key"
    ca.cert_pem.write_to_path(str(ca_file))
    issued.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    return ca_file, chain, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """An HTTPS server on 127.0.0.1 for feed.test; yields port, its CA certificate, SNI names
    seen."""
    ca_file, cert, key = certificate(tmp_path, "feed.test")
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, format: str, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.append(str(name)) and None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield int(httpd.server_address[1]), ca_file, seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Make the fetcher's TLS context trust the certificates appended to the list."""
    trusted: list[Path] = []
    real = httpx.create_ssl_context

    def create_ssl_context(*args: object, **kwargs: object) -> ssl.SSLContext:
        context = real()
        for cert in trusted:
            context.load_verify_locations(cert)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", create_ssl_context)
    yield trusted


def test_https_to_vetted_ip_keeps_name_for_sni_and_certificate(
    http: HttpClients, tls_server: tuple[int, Path, list[str]], trust: list[Path]
) -> None:
    """The connection goes to 127.0.0.1, yet TLS is negotiated and verified for feed.test."""
    port, cert, seen = tls_server
    trust.append(cert)
    limits = FetchLimits(timeout=3, allow_private=True)
    with http.client(limits, resolver=lambda host, p: ["127.0.0.1"]) as client:
        response = http.fetch_feed(client, f"https://feed.test:{port}/feed", limits=limits)
    assert response.body == FEED
    assert seen == ["feed.test"]


def test_certificate_for_another_name_is_rejected(
    http: HttpClients, tls_server: tuple[int, Path, list[str]], trust: list[Path]
) -> None:
    """A certificate that does not name the host fails the fetch, and says why."""
    port, cert, _ = tls_server
    trust.append(cert)
    limits = FetchLimits(timeout=3, allow_private=True)
    with (
        http.client(limits, resolver=lambda host, p: ["127.0.0.1"]) as client,
        pytest.raises(PermanentFetchError, match="TLS certificate not accepted"),
    ):
        http.fetch_feed(client, f"https://other.test:{port}/feed", limits=limits)
