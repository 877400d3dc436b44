"""The client's transport, built on httpcore's public connection pool and network backend.

httpx has no public hook for a network backend, and the address guard and the total
deadline live there (they must see the address actually dialled, after DNS). So the
transport is ours: a small ``httpx.BaseTransport`` that hands each request to an
``httpcore.ConnectionPool`` built with our backend, using only httpx's and httpcore's
public API. An httpx upgrade cannot route a request around the guard without the guard
tests (tests/integration/test_http_guard.py) failing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from pipeline.fetch.http.deadline import DeadlineBackend, remaining
from pipeline.fetch.http.guard import AddressPolicy, GuardedBackend, Resolver, SystemResolver
from pipeline.fetch.http.limits import FetchLimits

__all__ = [
    "FEED_ACCEPT",
    "POOL_LIMITS",
    "PoolTransport",
    "as_httpx_errors",
    "build_client",
    "client_headers",
    "core_request",
    "core_url",
    "make_policy",
]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/feed+json;q=0.8, */*;q=0.5"
)
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# httpcore's exceptions and the httpx ones callers catch, most specific first.
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def as_httpx_errors() -> Iterator[None]:
    """httpcore errors re-raised as their httpx counterparts (the ones the fetch maps)."""
    try:
        yield
    except Exception as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _ResponseBody(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def core_url(url: httpx.URL) -> httpcore.URL:
    """The httpcore spelling of an httpx URL."""
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )


def core_request(request: httpx.Request) -> httpcore.Request:
    """The httpcore request for an httpx one (its body stream passed through)."""
    content = request.stream
    assert isinstance(content, httpx.SyncByteStream | httpx.AsyncByteStream)
    return httpcore.Request(
        method=request.method,
        url=core_url(request.url),
        headers=request.headers.raw,
        content=content,
        extensions=request.extensions,
    )


class PoolTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool (direct or through an HTTP proxy)."""

    def __init__(self, pool: httpcore.ConnectionPool | httpcore.HTTPProxy) -> None:
        self.pool = pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        with as_httpx_errors():
            response = self.pool.handle_request(core_request(request))
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseBody(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.pool.close()


def _direct_transport(backend: httpcore.NetworkBackend) -> httpx.BaseTransport:
    return PoolTransport(
        httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=POOL_LIMITS.max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=backend,
        )
    )


def _proxy_transport(proxy: str) -> httpx.BaseTransport:
    """Through an http(s) proxy, still under the total deadline; SOCKS as httpx does it."""
    config = httpx.Proxy(url=proxy)
    if config.url.scheme not in ("http", "https"):
        return httpx.HTTPTransport(proxy=config, trust_env=False)
    return PoolTransport(
        httpcore.HTTPProxy(
            proxy_url=core_url(config.url),
            proxy_auth=config.raw_auth,
            proxy_headers=config.headers.raw,
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=POOL_LIMITS.max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=DeadlineBackend(httpcore.SyncBackend()),
        )
    )


class _ProxiedTransport(httpx.BaseTransport):
    """Through a configured proxy the proxy dials, so vet the destination before sending.

    The proxy resolves the name again, so this check cannot stop DNS rebinding.
    """

    def __init__(self, proxy: str, policy: AddressPolicy, resolver: Resolver) -> None:
        self._inner = _proxy_transport(proxy)
        self._policy = policy
        self._resolver = resolver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        self._policy.vet(request.url.host, port, self._resolver, timeout=remaining())
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def make_policy(limits: FetchLimits) -> AddressPolicy:
    """The address policy the limits describe."""
    return AddressPolicy(limits.allow_private, frozenset(h.lower() for h in limits.allowed_hosts))


def client_headers(limits: FetchLimits, accept: str) -> dict[str, str]:
    """Headers every request of a guarded client carries."""
    return {
        "User-Agent": limits.user_agent,
        "Accept": accept,
        # Only encodings we decode ourselves, in bounded steps.
        "Accept-Encoding": "gzip, deflate",
    }


def build_client(
    limits: FetchLimits, *, resolver: Resolver | None = None, accept: str = FEED_ACCEPT
) -> httpx.Client:
    """An httpx client whose every connection goes through the address guard."""
    policy = make_policy(limits)
    resolver = resolver or SystemResolver()
    transport: httpx.BaseTransport
    if limits.proxy:
        transport = _ProxiedTransport(limits.proxy, policy, resolver)
    else:
        transport = _direct_transport(DeadlineBackend(GuardedBackend(policy, resolver)))
    return httpx.Client(
        transport=transport,
        follow_redirects=False,  # the fetch follows them itself, checking each hop
        trust_env=False,
        timeout=limits.timeout,
        headers=client_headers(limits, accept),
    )
