"""The asynchronous twin of :mod:`~pipeline.fetch.http.transport`, for many fetches in
flight on one event loop (article pages).

The same guard, deadline and proxy rules as the synchronous client, over
``httpcore.AsyncConnectionPool`` with :class:`AsyncGuardedBackend` and
:class:`AsyncDeadlineBackend`; the guard tests run against both clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from functools import partial

import anyio.to_thread
import httpcore
import httpx

from pipeline.fetch.http.deadline import AsyncDeadlineBackend, remaining
from pipeline.fetch.http.guard import AddressPolicy, AsyncGuardedBackend, Resolver, SystemResolver
from pipeline.fetch.http.limits import FetchLimits
from pipeline.fetch.http.transport import (
    FEED_ACCEPT,
    POOL_LIMITS,
    as_httpx_errors,
    client_headers,
    core_request,
    core_url,
    make_policy,
)

__all__ = ["AsyncPoolTransport", "build_async_client"]


class _AsyncResponseBody(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with as_httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class AsyncPoolTransport(httpx.AsyncBaseTransport):
    """An httpx async transport over an httpcore async pool (direct or through a proxy)."""

    def __init__(self, pool: httpcore.AsyncConnectionPool | httpcore.AsyncHTTPProxy) -> None:
        self.pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        with as_httpx_errors():
            response = await self.pool.handle_async_request(core_request(request))
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_AsyncResponseBody(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


def _direct_transport(
    backend: httpcore.AsyncNetworkBackend, max_connections: int
) -> AsyncPoolTransport:
    return AsyncPoolTransport(
        httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=backend,
        )
    )


def _proxy_transport(proxy: str, max_connections: int) -> httpx.AsyncBaseTransport:
    config = httpx.Proxy(url=proxy)
    if config.url.scheme not in ("http", "https"):
        return httpx.AsyncHTTPTransport(proxy=config, trust_env=False)
    return AsyncPoolTransport(
        httpcore.AsyncHTTPProxy(
            proxy_url=core_url(config.url),
            proxy_auth=config.raw_auth,
            proxy_headers=config.headers.raw,
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=AsyncDeadlineBackend(httpcore.AnyIOBackend()),
        )
    )


class _AsyncProxiedTransport(httpx.AsyncBaseTransport):
    """Through a configured proxy the proxy dials, so vet the destination before sending.

    The proxy resolves the name again, so this check cannot stop DNS rebinding.
    """

    def __init__(
        self, proxy: str, policy: AddressPolicy, resolver: Resolver, max_connections: int
    ) -> None:
        self._inner = _proxy_transport(proxy, max_connections)
        self._policy = policy
        self._resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        vet = partial(self._policy.vet, request.url.host, port, self._resolver, timeout=remaining())
        await anyio.to_thread.run_sync(vet)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def build_async_client(
    limits: FetchLimits,
    *,
    resolver: Resolver | None = None,
    accept: str = FEED_ACCEPT,
    max_connections: int = POOL_LIMITS.max_connections or 100,
) -> httpx.AsyncClient:
    """An httpx async client whose every connection goes through the address guard."""
    policy = make_policy(limits)
    resolver = resolver or SystemResolver()
    transport: httpx.AsyncBaseTransport
    if limits.proxy:
        transport = _AsyncProxiedTransport(limits.proxy, policy, resolver, max_connections)
    else:
        backend = AsyncDeadlineBackend(AsyncGuardedBackend(policy, resolver))
        transport = _direct_transport(backend, max_connections)
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,  # the fetch follows them itself, checking each hop
        trust_env=False,
        timeout=limits.timeout,
        headers=client_headers(limits, accept),
    )
