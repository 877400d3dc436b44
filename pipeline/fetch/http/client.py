"""Hardened HTTP fetch of one feed: total deadline, size cap, checked redirects, guard.

Every connection goes through :class:`~pipeline.fetch.http.guard.GuardedBackend`; every
socket read and write is capped by what is left of the fetch's total deadline (a
server that drips one byte a second cannot stretch a 30 s fetch); the body is
decompressed here, in bounded steps, so the size cap counts decoded bytes and a gzip
bomb is stopped after ``max_bytes``, not after it has been inflated.
"""

from __future__ import annotations

import contextvars
import email.utils
import math
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
import structlog

import pipeline
from pipeline.errors import FetchError, PermanentFetchError, TransientFetchError
from pipeline.fetch.http.guard import AddressPolicy, GuardedBackend, Resolver, SystemResolver
from pipeline.settings import Settings

__all__ = [
    "FetchLimits",
    "FetchResponse",
    "build_client",
    "fetch_feed",
    "parse_retry_after",
]

log = structlog.get_logger()

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUS = frozenset({408, 425, 429})
_CHUNK = 64 * 1024
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/feed+json;q=0.8, */*;q=0.5"
)

# The monotonic time by which the current fetch must be over; read by every socket call.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "fetch_deadline", default=None
)


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost, and where it may go."""

    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = f"news-pipeline/{pipeline.__version__}"
    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    proxy: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        """Limits from the pipeline settings."""
        agent = f"news-pipeline/{pipeline.__version__}"
        if settings.fetch_contact:
            agent += f" (+{settings.fetch_contact})"
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            user_agent=agent,
            allow_private=settings.fetch_allow_private,
            proxy=settings.fetch_proxy or None,
        )


@dataclass(frozen=True)
class FetchResponse:
    """A successful fetch: 200 (or another 2xx) with a body, or 304 without one."""

    url: str
    final_url: str
    status: int
    body: bytes | None
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    elapsed: float


def _remaining() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def _cap(timeout: float | None, exc: type[Exception]) -> float | None:
    """The smaller of ``timeout`` and the time left; raise ``exc`` when none is left."""
    left = _remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exc("total fetch deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.start_tls(
            ssl_context, server_hostname, _cap(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Wraps a backend so connects, TLS, reads and writes all respect the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            timeout=_cap(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class _PoolTransport(httpx.HTTPTransport):
    """httpx's transport around a connection pool we built, with our network backend.

    httpx has no public hook for the network backend. ``HTTPTransport.__init__`` only
    builds ``_pool``, so the pool is built here instead (same defaults as httpx's),
    rather than building one, and a TLS context, just to throw them away.
    """

    def __init__(self, pool: httpcore.ConnectionPool | httpcore.HTTPProxy) -> None:
        self._pool = pool


def _direct_transport(backend: httpcore.NetworkBackend) -> httpx.BaseTransport:
    return _PoolTransport(
        httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=_POOL_LIMITS.max_connections,
            max_keepalive_connections=_POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=_POOL_LIMITS.keepalive_expiry,
            network_backend=backend,
        )
    )


def _proxy_transport(proxy: str) -> httpx.BaseTransport:
    """Through an http(s) proxy, still under the total deadline; SOCKS as httpx does it."""
    config = httpx.Proxy(url=proxy)
    if config.url.scheme not in ("http", "https"):
        return httpx.HTTPTransport(proxy=config, trust_env=False)
    return _PoolTransport(
        httpcore.HTTPProxy(
            proxy_url=httpcore.URL(
                scheme=config.url.raw_scheme,
                host=config.url.raw_host,
                port=config.url.port,
                target=config.url.raw_path,
            ),
            proxy_auth=config.raw_auth,
            proxy_headers=config.headers.raw,
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=_POOL_LIMITS.max_connections,
            max_keepalive_connections=_POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=_POOL_LIMITS.keepalive_expiry,
            network_backend=_DeadlineBackend(httpcore.SyncBackend()),
        )
    )


class _ProxiedTransport(httpx.BaseTransport):
    """Through a configured proxy the proxy dials, so vet the feed's host before sending.

    The proxy resolves the name again, so this check cannot stop DNS rebinding.
    """

    def __init__(self, proxy: str, policy: AddressPolicy, resolver: Resolver) -> None:
        self._inner = _proxy_transport(proxy)
        self._policy = policy
        self._resolver = resolver

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        self._policy.vet(request.url.host, port, self._resolver, timeout=_remaining())
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def build_client(limits: FetchLimits, *, resolver: Resolver | None = None) -> httpx.Client:
    """An httpx client whose every connection goes through the address guard."""
    policy = AddressPolicy(limits.allow_private, frozenset(h.lower() for h in limits.allowed_hosts))
    resolver = resolver or SystemResolver()
    transport: httpx.BaseTransport
    if limits.proxy:
        transport = _ProxiedTransport(limits.proxy, policy, resolver)
    else:
        transport = _direct_transport(_DeadlineBackend(GuardedBackend(policy, resolver)))
    return httpx.Client(
        transport=transport,
        follow_redirects=False,  # fetch_feed follows them itself, checking each hop
        trust_env=False,
        timeout=limits.timeout,
        headers={
            "User-Agent": limits.user_agent,
            "Accept": _ACCEPT,
            # Only encodings we decode ourselves, in bounded steps.
            "Accept-Encoding": "gzip, deflate",
        },
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, math.ceil(seconds))


def _inflate(chunks: Iterable[bytes], wbits: int, *, members: bool = False) -> Iterator[bytes]:
    """Decompress a zlib/gzip/raw-deflate stream, at most ``_CHUNK`` output bytes per step.

    With ``members``, a stream of concatenated gzip members is decoded whole.
    """
    decoder = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            if decoder.eof and members:
                decoder = zlib.decompressobj(wbits)
            out = decoder.decompress(data, _CHUNK)
            if out:
                yield out
            data = decoder.unconsumed_tail
            # Output may still be pending inside zlib when the input was used up exactly.
            while not data and len(out) == _CHUNK and not decoder.eof:
                out = decoder.decompress(b"", _CHUNK)
                if out:
                    yield out
            if not data and decoder.eof and members:
                data = decoder.unused_data
    tail = decoder.flush()
    if tail:
        yield tail


def _inflate_deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP "deflate" is zlib-wrapped by the spec, raw deflate in practice: accept both."""
    iterator = iter(chunks)
    first = b""
    for first in iterator:
        if first:
            break
    if not first:
        return
    wbits = zlib.MAX_WBITS
    try:
        zlib.decompressobj(wbits).decompress(first[:64])
    except zlib.error:
        wbits = -zlib.MAX_WBITS

    def replay() -> Iterator[bytes]:
        yield first
        yield from iterator

    yield from _inflate(replay(), wbits)


_DECODERS: dict[str, Callable[[Iterable[bytes]], Iterator[bytes]]] = {
    "gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS, members=True),
    "x-gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS, members=True),
    "deflate": _inflate_deflate,
    "identity": lambda chunks: iter(chunks),
}


def _read_body(response: httpx.Response, limits: FetchLimits) -> bytes:
    """The decoded body, stopping as soon as it exceeds ``max_bytes`` or the deadline."""
    encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    encodings = [e for e in encodings if e and e != "identity"]
    for encoding in encodings:
        if encoding not in _DECODERS:
            raise PermanentFetchError(f"unsupported Content-Encoding {encoding!r}")
    length = response.headers.get("content-length", "")
    if not encodings and length.isdigit() and int(length) > limits.max_bytes:
        raise PermanentFetchError(
            f"body of {int(length)} bytes is over the {limits.max_bytes}-byte limit"
        )
    chunks: Iterable[bytes] = response.iter_raw(_CHUNK)
    for encoding in reversed(encodings):  # the last encoding listed was applied last
        chunks = _DECODERS[encoding](chunks)
    body = bytearray()
    try:
        for piece in chunks:
            body += piece
            if len(body) > limits.max_bytes:
                raise PermanentFetchError(
                    f"body is over the {limits.max_bytes}-byte limit (counted after decompression)"
                )
            _cap(None, httpx.ReadTimeout)
    except zlib.error as exc:
        raise PermanentFetchError(f"body could not be decompressed: {exc}") from exc
    return bytes(body)


def _status_error(response: httpx.Response) -> FetchError:
    status = response.status_code
    reason = f"server answered {status} {response.reason_phrase}".rstrip()
    if status in _TRANSIENT_STATUS or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return TransientFetchError(reason, status=status, retry_after=retry_after)
    return PermanentFetchError(reason, status=status)


def _check_scheme(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(f"invalid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise PermanentFetchError(f"only http and https are fetched, not {parsed.scheme!r}")
    if not parsed.host:
        raise PermanentFetchError("URL has no host")
    return parsed


def _fetch(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    conditional: dict[str, str],
    started: float,
) -> FetchResponse:
    chain = [str(_check_scheme(url).copy_with(fragment=None))]
    while True:
        current = chain[-1]
        left = _cap(None, httpx.ConnectTimeout)
        request = client.build_request(
            "GET", current, headers=conditional, timeout=httpx.Timeout(left or limits.timeout)
        )
        response = client.send(request, stream=True)
        try:
            status = response.status_code
            if status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise PermanentFetchError(
                        f"{status} redirect without a Location", status=status
                    )
                target = response.url.join(location.strip()).copy_with(fragment=None)
                _check_scheme(str(target))
                if str(target) in chain:
                    loop = " -> ".join([*chain, str(target)])
                    raise PermanentFetchError(f"redirect loop: {loop}", status=status)
                if len(chain) > limits.max_redirects:
                    raise PermanentFetchError(
                        f"more than {limits.max_redirects} redirects", status=status
                    )
                chain.append(str(target))
                continue
            if status == 304:
                body = None
            elif 200 <= status < 300:
                body = _read_body(response, limits)
            else:
                raise _status_error(response)
            headers = {k.lower(): v for k, v in response.headers.items()}
            return FetchResponse(
                url=url,
                final_url=current,
                status=status,
                body=body,
                headers=headers,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                elapsed=time.monotonic() - started,
            )
        finally:
            response.close()


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResponse:
    """Fetch ``url`` once, conditionally; raise a FetchError saying why on failure."""
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    started = time.monotonic()
    token = _deadline.set(started + limits.timeout)
    try:
        return _fetch(client, url, limits, conditional, started)
    except FetchError as exc:
        if exc.url is None:
            exc.url = url
        raise
    except httpx.TimeoutException as exc:
        raise TransientFetchError(
            f"no complete answer within {limits.timeout:g} s ({_describe(exc)})",
            url=url,
        ) from exc
    except httpx.RemoteProtocolError as exc:
        raise TransientFetchError(
            f"server broke the connection or the protocol: {exc}", url=url
        ) from exc
    except (httpx.NetworkError, httpx.ProxyError) as exc:
        if _is_certificate_error(exc):
            # A certificate that does not fit will not start fitting on the next poll.
            reason = f"TLS certificate not accepted: {_describe(exc)}"
            raise PermanentFetchError(reason, url=url) from exc
        raise TransientFetchError(f"network error: {_describe(exc)}", url=url) from exc
    except httpx.HTTPError as exc:
        raise PermanentFetchError(f"HTTP error: {_describe(exc)}", url=url) from exc
    finally:
        _deadline.reset(token)
