"""The address guard: private destinations are refused where the connection is made.

Every test here patches the real socket connect (of the synchronous and of the asynchronous
network backend) so that it refuses any address outside 127.0.0.0/8: even with a broken
guard, no traffic leaves loopback. Each test runs against both clients (``http``).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler

import httpcore
import pytest

from pipeline.errors import PermanentFetchError, TransientFetchError
from pipeline.fetch.http import FetchLimits
from pipeline.fetch.http.guard import AddressRefused, describe_forbidden, is_forbidden_address
from tests.integration.http_clients import HttpClients
from tests.integration.http_server import LocalServer, local_server, send

pytestmark = pytest.mark.integration

FEED = b'<rss version="2.0"><channel><title>Guarded</title></channel></rss>'
PUBLIC = "93.184.216.34"  # stands for "some public address"; never dialled (see dials)


class StubResolver:
    """Answers from a table, and counts the look-ups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise OSError(f"stub resolver has no entry for {host}")
        return list(answer)


@pytest.fixture
def dials(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the fetcher tried to dial; only loopback ones are really connected."""
    dialled: list[str] = []
    real_connect = httpcore.SyncBackend.connect_tcp

    def connect_tcp(
        self: httpcore.SyncBackend,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        dialled.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"test harness refuses to dial {host}")
        return real_connect(self, host, port, timeout, local_address, socket_options)

    real_async_connect = httpcore.AnyIOBackend.connect_tcp

    async def async_connect_tcp(
        self: httpcore.AnyIOBackend,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        dialled.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"test harness refuses to dial {host}")
        return await real_async_connect(self, host, port, timeout, local_address, socket_options)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", async_connect_tcp)
    return dialled


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        running.route("/feed")(lambda req: send(req, FEED))
        yield running


def redirect_to(server: LocalServer, path: str, location: str) -> None:
    def hop(req: BaseHTTPRequestHandler) -> None:
        send(req, b"", status=302, headers={"Location": location})

    server.route(path)(hop)


def test_loopback_is_refused_by_default(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """Without allow_private, 127.0.0.1 is refused before any connection is made."""
    limits = FetchLimits(timeout=2)
    with http.client(limits) as client, pytest.raises(AddressRefused) as caught:
        http.fetch_feed(client, server.base + "/feed", limits=limits)
    assert "loopback" in caught.value.reason
    assert "PIPELINE_FETCH_ALLOW_PRIVATE" in caught.value.reason
    assert isinstance(caught.value, PermanentFetchError)
    assert dials == []
    assert server.requests == []


def test_allow_private_lets_loopback_through(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """allow_private=True (PIPELINE_FETCH_ALLOW_PRIVATE) is how tests and intranets fetch."""
    limits = FetchLimits(timeout=2, allow_private=True)
    with http.client(limits) as client:
        assert http.fetch_feed(client, server.base + "/feed", limits=limits).body == FEED
    assert dials == ["127.0.0.1"]


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/feed", "http://localhost:{port}/feed"])
def test_redirect_to_other_loopback_is_refused_even_when_origin_is_allowed(
    http: HttpClients, server: LocalServer, dials: list[str], target: str
) -> None:
    """Only the allow-listed host:port is opened up, not the whole loopback range."""
    limits = FetchLimits(timeout=2, allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    resolver = StubResolver({"localhost": ["127.0.0.1", "::1"]})
    redirect_to(server, "/jump", target.format(port=server.port))
    with http.client(limits, resolver=resolver) as client:
        assert http.fetch_feed(client, server.base + "/feed", limits=limits).body == FEED
        with pytest.raises(AddressRefused, match="loopback"):
            http.fetch_feed(client, server.base + "/jump", limits=limits)
    assert server.paths() == ["/feed", "/jump"]
    assert set(dials) == {"127.0.0.1"}  # 127.0.0.2 was never dialled


@pytest.mark.parametrize(
    ("name", "address", "kind"),
    [
        ("metadata.test", "169.254.169.254", "link-local"),
        ("intranet.test", "10.0.0.1", "private"),
        ("office.test", "192.168.1.20", "private"),
        ("carrier.test", "100.64.0.1", "shared (CGNAT)"),
        ("mapped.test", "::ffff:10.0.0.1", "IPv6-embedded private"),
        ("v6local.test", "fe80::1", "link-local"),
        ("ula.test", "fd00::1", "private"),
        ("zero.test", "0.0.0.0", "unspecified"),
    ],
)
def test_name_resolving_to_forbidden_address_is_refused_without_connecting(
    http: HttpClients, dials: list[str], name: str, address: str, kind: str
) -> None:
    """The resolved address is checked: no connection is even attempted."""
    resolver = StubResolver({name: [address]})
    limits = FetchLimits(timeout=2)
    with http.client(limits, resolver=resolver) as client, pytest.raises(AddressRefused) as caught:
        http.fetch_feed(client, f"http://{name}/latest/meta-data/", limits=limits)
    assert f"{name} ({address}): a {kind} address" in caught.value.reason
    assert caught.value.url == f"http://{name}/latest/meta-data/"
    assert dials == []


def test_redirect_to_metadata_address_is_refused(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """An allowed feed cannot bounce the fetcher to a link-local service."""
    resolver = StubResolver({"metadata.test": ["169.254.169.254"]})
    limits = FetchLimits(timeout=2, allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    redirect_to(server, "/jump", "http://metadata.test/latest/meta-data/iam")
    with http.client(limits, resolver=resolver) as client, pytest.raises(AddressRefused):
        http.fetch_feed(client, server.base + "/jump", limits=limits)
    redirect_to(server, "/jump-ip", "http://169.254.169.254/latest/")
    with http.client(limits, resolver=resolver) as client, pytest.raises(AddressRefused):
        http.fetch_feed(client, server.base + "/jump-ip", limits=limits)
    assert set(dials) == {"127.0.0.1"}


def test_dns_rebinding_gets_one_answer_and_it_is_the_one_dialled(
    http: HttpClients, dials: list[str]
) -> None:
    """A name that answers public first and loopback next is resolved once per connection,
    and the connection goes to the address that was checked."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    limits = FetchLimits(timeout=2)
    with http.client(limits, resolver=rebinding) as client, pytest.raises(TransientFetchError):
        http.fetch_feed(client, "http://rebind.test/feed", limits=limits)
    assert calls == ["rebind.test"]
    assert dials == [PUBLIC]  # the harness refused it: no traffic left the machine


def test_mixed_answers_dial_only_the_permitted_address(http: HttpClients, dials: list[str]) -> None:
    """Of a public and a private answer, only the public one is dialled."""
    resolver = StubResolver({"mixed.test": ["10.1.2.3", PUBLIC]})
    limits = FetchLimits(timeout=2)
    with http.client(limits, resolver=resolver) as client, pytest.raises(TransientFetchError):
        http.fetch_feed(client, "http://mixed.test/feed", limits=limits)
    assert dials == [PUBLIC]


def test_name_is_kept_in_host_header_while_vetted_ip_is_dialled(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """The connection goes to the resolved IP; the request still names the host."""
    resolver = StubResolver({"feed.test": ["127.0.0.1"]})
    limits = FetchLimits(timeout=2, allow_private=True)
    with http.client(limits, resolver=resolver) as client:
        response = http.fetch_feed(client, f"http://feed.test:{server.port}/feed", limits=limits)
    assert response.body == FEED
    assert server.requests[-1][1]["host"] == f"feed.test:{server.port}"
    assert dials == ["127.0.0.1"]


def test_unresolvable_name_is_transient(http: HttpClients, dials: list[str]) -> None:
    """A DNS failure may heal: transient, with the host in the reason."""
    limits = FetchLimits(timeout=2)
    resolver = StubResolver({})
    with (
        http.client(limits, resolver=resolver) as client,
        pytest.raises(TransientFetchError) as caught,
    ):
        http.fetch_feed(client, "http://nowhere.test/feed", limits=limits)
    assert "could not resolve host nowhere.test" in caught.value.reason
    assert dials == []


def test_hanging_resolver_is_bounded_by_the_deadline(http: HttpClients, dials: list[str]) -> None:
    """A DNS look-up that never answers costs the fetch deadline, not the resolver's."""
    release = threading.Event()

    def hanging(host: str, port: int) -> list[str]:
        release.wait(5)
        return [PUBLIC]

    limits = FetchLimits(timeout=0.3)
    started = time.monotonic()
    try:
        with (
            http.client(limits, resolver=hanging) as client,
            pytest.raises(TransientFetchError, match=r"resolving slow\.test took longer"),
        ):
            http.fetch_feed(client, "http://slow.test/feed", limits=limits)
    finally:
        release.set()
    assert time.monotonic() - started < 1.0
    assert dials == []


def test_configured_proxy_is_used_and_destination_still_vetted(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """Through a proxy, the feed's host is vetted before the request goes to the proxy."""
    resolver = StubResolver({"metadata.test": ["169.254.169.254"], "public.test": [PUBLIC]})
    server.route("http://public.test/feed")(lambda req: send(req, FEED))
    limits = FetchLimits(timeout=2, proxy=server.base)
    with http.client(limits, resolver=resolver) as client:
        with pytest.raises(AddressRefused):
            http.fetch_feed(client, "http://metadata.test/feed", limits=limits)
        assert http.fetch_feed(client, "http://public.test/feed", limits=limits).body == FEED
    assert server.paths() == ["http://public.test/feed"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "fc00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2002:a00:1::",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "not an ip",
    ],
)
def test_forbidden_addresses(address: str) -> None:
    """Loopback, private, link-local, CGNAT, embedded, unspecified, multicast, reserved."""
    assert is_forbidden_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    """Ordinary public addresses pass."""
    assert describe_forbidden(address) is None


def test_total_deadline_holds_through_a_proxy(
    http: HttpClients, server: LocalServer, dials: list[str]
) -> None:
    """A proxy that drips its answer is cut off at the fetch deadline too."""

    def drip(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Length", "100000")
        req.end_headers()
        while not server.stopping.is_set():
            req.wfile.write(b" ")
            req.wfile.flush()
            time.sleep(0.05)

    server.route("http://public.test/drip")(drip)
    limits = FetchLimits(timeout=0.5, proxy=server.base)
    started = time.monotonic()
    with (
        http.client(limits, resolver=StubResolver({"public.test": [PUBLIC]})) as client,
        pytest.raises(TransientFetchError, match=r"within 0\.5 s"),
    ):
        http.fetch_feed(client, "http://public.test/drip", limits=limits)
    assert time.monotonic() - started < 1.0
    assert dials == ["127.0.0.1"]  # only the proxy was dialled


def test_guard_does_not_depend_on_httpx_default_transport(
    http: HttpClients, server: LocalServer, dials: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarded client never goes through httpx's own transport (whose internals may
    change in any release): with it made unusable, fetches still work, still guarded."""

    def unusable(*args: object, **kwargs: object) -> None:
        raise AssertionError("httpx.HTTPTransport was used")

    monkeypatch.setattr(http.httpx_transport, "__init__", unusable)
    monkeypatch.setattr(
        http.httpx_transport,
        "handle_request" if http.name == "sync" else "handle_async_request",
        unusable,
    )
    allowed = FetchLimits(timeout=2, allow_private=True)
    with http.client(allowed) as client:
        assert http.fetch_feed(client, server.base + "/feed", limits=allowed).body == FEED
    refused = FetchLimits(timeout=2)
    with http.client(refused) as client, pytest.raises(AddressRefused):
        http.fetch_feed(client, server.base + "/feed", limits=refused)
    assert dials == ["127.0.0.1"]
