"""fetch_feed against hostile local servers: every fetch ends fast, bounded and explained,
with the synchronous client and with the asynchronous one (the ``http`` fixture)."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from pipeline.errors import PermanentFetchError, TransientFetchError
from pipeline.fetch.feeds.parse.feed import parse_feed
from pipeline.fetch.http import FetchLimits, parse_retry_after
from pipeline.settings import Settings
from tests.integration.http_clients import HttpClients
from tests.integration.http_server import LocalServer, local_server, send

pytestmark = pytest.mark.integration

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local</title>'
    b"<item><title>One</title><link>https://local.example/1</link></item></channel></rss>"
)
LIMITS = FetchLimits(timeout=2.0, max_bytes=1024 * 1024, allow_private=True)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


@pytest.fixture
def client(http: HttpClients) -> Iterator[Any]:
    with http.client(LIMITS) as built:
        yield built


def test_plain_fetch_returns_body_and_validators(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A 200 gives the bytes, the lower-cased headers, the ETag and Last-Modified."""

    @server.route("/feed")
    def _(req: BaseHTTPRequestHandler) -> None:
        send(req, FEED, headers={"ETag": '"abc"', "Last-Modified": "Mon, 01 Dec 2025 10:00:00 GMT"})

    response = http.fetch_feed(client, server.base + "/feed", limits=LIMITS)
    assert response.status == 200
    assert response.body == FEED
    assert response.etag == '"abc"'
    assert response.last_modified == "Mon, 01 Dec 2025 10:00:00 GMT"
    assert response.headers["content-length"] == str(len(FEED))
    assert response.final_url == response.url == server.base + "/feed"


def test_conditional_get_round_trip(http: HttpClients, server: LocalServer, client: Any) -> None:
    """ETag and Last-Modified go back exactly as received, and a 304 has no body."""
    etag, modified = 'W/"v1-abc"', "Tue, 10 Jun 2003 04:00:00 GMT"

    @server.route("/cond")
    def _(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
        else:
            send(req, FEED, headers={"ETag": etag, "Last-Modified": modified})

    first = http.fetch_feed(client, server.base + "/cond", limits=LIMITS)
    second = http.fetch_feed(
        client,
        server.base + "/cond",
        limits=LIMITS,
        etag=first.etag,
        last_modified=first.last_modified,
    )
    assert second.status == 304
    assert second.body is None
    sent = server.requests[-1][1]
    assert sent["if-none-match"] == etag
    assert sent["if-modified-since"] == modified


def test_user_agent_names_contact_and_env_proxy_is_ignored(
    http: HttpClients, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The User-Agent carries the contact setting; HTTP_PROXY in the environment is not used."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    limits = FetchLimits.from_settings(
        Settings(fetch_contact="mailto:ops@example.org", fetch_allow_private=True)
    )

    @server.route("/feed")
    def _(req: BaseHTTPRequestHandler) -> None:
        send(req, FEED)

    with http.client(limits) as client:
        http.fetch_feed(client, server.base + "/feed", limits=limits)
    agent = server.requests[-1][1]["user-agent"]
    assert agent.startswith("news-pipeline/")
    assert agent.endswith("(+mailto:ops@example.org)")


def test_slow_drip_hits_the_total_deadline(http: HttpClients, server: LocalServer) -> None:
    """One byte every 50 ms never trips a per-read timeout; the total deadline still ends it."""

    @server.route("/drip")
    def _(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Length", "100000")
        req.end_headers()
        while not server.stopping.is_set():
            req.wfile.write(b" ")
            req.wfile.flush()
            time.sleep(0.05)

    limits = FetchLimits(timeout=0.6, allow_private=True)
    with http.client(limits) as client:
        started = time.monotonic()
        with pytest.raises(TransientFetchError) as caught:
            http.fetch_feed(client, server.base + "/drip", limits=limits)
        elapsed = time.monotonic() - started
    assert 0.5 < elapsed < 1.2
    assert "within 0.6 s" in caught.value.reason


def test_slow_headers_hit_the_total_deadline(http: HttpClients, server: LocalServer) -> None:
    """A server that drips its status line and headers is cut off at the deadline too."""

    @server.route("/slow-headers")
    def _(req: BaseHTTPRequestHandler) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
            if server.stopping.is_set():
                return
            req.wfile.write(bytes([byte]))
            req.wfile.flush()
            time.sleep(0.05)

    limits = FetchLimits(timeout=0.5, allow_private=True)
    with http.client(limits) as client:
        started = time.monotonic()
        with pytest.raises(TransientFetchError):
            http.fetch_feed(client, server.base + "/slow-headers", limits=limits)
    assert time.monotonic() - started < 1.0


def test_endless_body_is_cut_at_max_bytes(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A chunked body that never ends stops just past max_bytes, as a permanent error."""
    sent = []

    @server.route("/endless")
    def _(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        chunk = b"<item>" + b"x" * 65_000 + b"</item>"
        while not server.stopping.is_set():
            req.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent.append(len(chunk))

    started = time.monotonic()
    with pytest.raises(PermanentFetchError) as caught:
        http.fetch_feed(client, server.base + "/endless", limits=LIMITS)
    assert time.monotonic() - started < 1.0
    assert "over the 1048576-byte limit" in caught.value.reason
    assert caught.value.url == server.base + "/endless"


def test_declared_oversize_body_is_refused_before_reading(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A Content-Length over the limit is refused without downloading the body."""

    @server.route("/huge")
    def _(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Length", str(5 * 1024**3))
        req.end_headers()
        req.wfile.write(b"<rss>")

    with pytest.raises(PermanentFetchError, match="5368709120 bytes is over"):
        http.fetch_feed(client, server.base + "/huge", limits=LIMITS)


def gzip_bomb() -> tuple[bytes, int]:
    """About 1 MB of gzip that inflates to 1 GiB of zeros (built from full-flush blocks)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor starts afresh: every further block compresses alike.
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * 1023, 1024 * len(block)


def test_gzip_bomb_is_aborted_early_with_little_memory(
    http: HttpClients, server: LocalServer
) -> None:
    """1 MB of gzip claiming 1 GiB stops at max_bytes decoded, using a few MB at most."""
    bomb, inflated = gzip_bomb()
    assert len(bomb) < 1.1 * 1024 * 1024 and inflated == 1024**3

    @server.route("/bomb")
    def _(req: BaseHTTPRequestHandler) -> None:
        send(req, bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"})

    limits = FetchLimits(timeout=5, max_bytes=4 * 1024 * 1024, allow_private=True)
    with http.client(limits) as client:
        tracemalloc.start()
        started = time.monotonic()
        with pytest.raises(PermanentFetchError) as caught:
            http.fetch_feed(client, server.base + "/bomb", limits=limits)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert "counted after decompression" in caught.value.reason
    assert elapsed < 2.0
    assert peak < 16 * 1024 * 1024  # the limit plus a chunk or two, never the 1 GiB


@pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw"])
def test_compressed_feed_is_decoded(
    http: HttpClients, server: LocalServer, client: Any, encoding: str
) -> None:
    """gzip and both flavours of deflate decode to the original bytes."""
    if encoding == "gzip":
        body, header = gzip.compress(FEED), "gzip"
    elif encoding == "deflate-zlib":
        body, header = zlib.compress(FEED), "deflate"
    else:
        raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, header = raw.compress(FEED) + raw.flush(), "deflate"

    @server.route("/z")
    def _(req: BaseHTTPRequestHandler) -> None:
        send(req, body, headers={"Content-Encoding": header})

    assert http.fetch_feed(client, server.base + "/z", limits=LIMITS).body == FEED


def test_redirect_loop_is_refused(http: HttpClients, server: LocalServer, client: Any) -> None:
    """A -> B -> A is reported as a loop, after two requests."""
    for here, there in (("/a", "/b"), ("/b", "/a")):

        def hop(req: BaseHTTPRequestHandler, there: str = there) -> None:
            send(req, b"", status=302, headers={"Location": there})

        server.route(here)(hop)

    with pytest.raises(PermanentFetchError, match="redirect loop") as caught:
        http.fetch_feed(client, server.base + "/a", limits=LIMITS)
    assert caught.value.status == 302
    assert server.paths() == ["/a", "/b"]


def _redirect_chain(server: LocalServer, length: int) -> None:
    for i in range(length):

        def hop(req: BaseHTTPRequestHandler, i: int = i) -> None:
            send(req, b"", status=301 if i % 2 else 307, headers={"Location": f"/r{i + 1}"})

        server.route(f"/r{i}")(hop)
    server.route(f"/r{length}")(lambda req: send(req, FEED))


def test_five_redirects_are_followed(http: HttpClients, server: LocalServer, client: Any) -> None:
    """Five hops arrive, and the response names the final URL."""
    _redirect_chain(server, 10)
    response = http.fetch_feed(client, server.base + "/r5", limits=LIMITS)
    assert response.body == FEED
    assert response.url == server.base + "/r5"
    assert response.final_url == server.base + "/r10"


def test_six_redirects_are_too_many(http: HttpClients, server: LocalServer, client: Any) -> None:
    """The sixth redirect is not followed."""
    _redirect_chain(server, 10)
    with pytest.raises(PermanentFetchError, match="more than 5 redirects"):
        http.fetch_feed(client, server.base + "/r4", limits=LIMITS)
    assert "/r10" not in server.paths()


def test_redirect_to_another_scheme_is_refused(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """Only http and https are followed."""
    server.route("/to-file")(
        lambda req: send(req, b"", status=302, headers={"Location": "file:///etc/passwd"})
    )
    with pytest.raises(PermanentFetchError, match="only http and https"):
        http.fetch_feed(client, server.base + "/to-file", limits=LIMITS)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://x/"])
def test_non_http_scheme_is_refused(http: HttpClients, client: Any, url: str) -> None:
    """A feed URL that is not http(s) is a permanent error before any connection."""
    with pytest.raises(PermanentFetchError, match="only http and https"):
        http.fetch_feed(client, url, limits=LIMITS)


def test_429_carries_retry_after_seconds(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """429 is transient and says how long the server asked us to wait."""
    server.route("/busy")(
        lambda req: send(req, b"slow down", status=429, headers={"Retry-After": "120"})
    )
    with pytest.raises(TransientFetchError) as caught:
        http.fetch_feed(client, server.base + "/busy", limits=LIMITS)
    assert caught.value.status == 429
    assert caught.value.retry_after == 120
    assert "429" in caught.value.reason


def test_503_retry_after_http_date(http: HttpClients, server: LocalServer, client: Any) -> None:
    """A Retry-After given as an HTTP date becomes seconds from now."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    server.route("/down")(lambda req: send(req, b"", status=503, headers={"Retry-After": when}))
    with pytest.raises(TransientFetchError) as caught:
        http.fetch_feed(client, server.base + "/down", limits=LIMITS)
    assert caught.value.status == 503
    assert caught.value.retry_after is not None
    assert 85 <= caught.value.retry_after <= 91


@pytest.mark.parametrize(
    ("status", "transient"),
    [(500, True), (502, True), (408, True), (404, False), (410, False), (403, False)],
)
def test_status_codes_split_transient_and_permanent(
    http: HttpClients, server: LocalServer, client: Any, status: int, transient: bool
) -> None:
    """5xx and 408 will be retried; other 4xx will not fix themselves."""
    server.route("/s")(lambda req: send(req, b"error page", status=status))
    with pytest.raises(TransientFetchError if transient else PermanentFetchError) as caught:
        http.fetch_feed(client, server.base + "/s", limits=LIMITS)
    assert caught.value.status == status
    assert caught.value.retry_after is None


def test_server_closing_mid_body_is_transient(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A body cut short of its Content-Length is a transient error, not a truncated feed."""

    @server.route("/cut")
    def _(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Length", "5000")
        req.end_headers()
        req.wfile.write(FEED[:100])
        req.wfile.flush()
        req.close_connection = True

    with pytest.raises(TransientFetchError) as caught:
        http.fetch_feed(client, server.base + "/cut", limits=LIMITS)
    assert "connection" in caught.value.reason


def test_nothing_listening_is_transient(http: HttpClients, client: Any) -> None:
    """A refused connection is worth retrying later."""
    with local_server() as gone:
        url = gone.base + "/feed"
    with pytest.raises(TransientFetchError, match="network error"):
        http.fetch_feed(client, url, limits=LIMITS)


def test_feed_that_changes_encoding_between_fetches(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """UTF-8, then ISO-8859-1 by header, then by XML declaration: the same text each time."""
    title = "Café déjà vu"
    doc = '<rss version="2.0"><channel><title>' + title + "</title></channel></rss>"
    variants = [
        (
            '<?xml version="1.0" encoding="utf-8"?>' + doc,
            "utf-8",
            "application/rss+xml; charset=utf-8",
        ),
        ('<?xml version="1.0"?>' + doc, "iso-8859-1", "text/xml; charset=ISO-8859-1"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>' + doc, "iso-8859-1", "application/xml"),
    ]
    served = iter(variants)

    @server.route("/enc")
    def _(req: BaseHTTPRequestHandler) -> None:
        text, charset, content_type = next(served)
        send(req, text.encode(charset), headers={"Content-Type": content_type})

    hashes = set()
    for _ in variants:
        response = http.fetch_feed(client, server.base + "/enc", limits=LIMITS)
        assert response.body is not None
        parsed = parse_feed(
            response.body, feed_url=response.url, content_type=response.headers["content-type"]
        )
        assert parsed.title == title
        assert parsed.warning is None
        hashes.add(parsed.content_hash)
    assert len(hashes) == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("3600", 3600.0), ("soon", None), ("", None), (None, None), ("-5", None)],
)
def test_parse_retry_after_values(value: str | None, expected: float | None) -> None:
    """Delta-seconds are read as given; nonsense gives None."""
    assert parse_retry_after(value) == expected


def test_parse_retry_after_past_date_is_zero() -> None:
    """A date in the past means: now."""
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0


def test_concatenated_gzip_members_are_all_decoded(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A gzip body made of several members (as some servers stream it) decodes whole."""
    half = len(FEED) // 2
    body = gzip.compress(FEED[:half]) + gzip.compress(FEED[half:])
    server.route("/multi")(lambda req: send(req, body, headers={"Content-Encoding": "gzip"}))
    assert http.fetch_feed(client, server.base + "/multi", limits=LIMITS).body == FEED


def test_corrupt_or_unknown_encoding_is_permanent(
    http: HttpClients, server: LocalServer, client: Any
) -> None:
    """A body that is not the gzip it claims, or an encoding we never asked for, is refused."""
    server.route("/bad-gzip")(
        lambda req: send(req, b"not gzip at all", headers={"Content-Encoding": "gzip"})
    )
    server.route("/br")(lambda req: send(req, b"\x1b\x00", headers={"Content-Encoding": "br"}))
    with pytest.raises(PermanentFetchError, match="could not be decompressed"):
        http.fetch_feed(client, server.base + "/bad-gzip", limits=LIMITS)
    with pytest.raises(PermanentFetchError, match="unsupported Content-Encoding 'br'"):
        http.fetch_feed(client, server.base + "/br", limits=LIMITS)
    assert server.requests[-1][1]["accept-encoding"] == "gzip, deflate"
