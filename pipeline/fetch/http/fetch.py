"""One guarded GET: redirects checked hop by hop, statuses mapped to transient or
permanent failures, the body read within the size cap, all within one total deadline.

``fetch_url`` (on ``build_client``) and ``fetch_url_async`` (on ``build_async_client``)
share every decision (redirect checks, status mapping, body decoding, error wording);
only the loop that sends and reads is written twice, once with ``await``."""

from __future__ import annotations

import email.utils
import math
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from pipeline.errors import FetchError, PermanentFetchError, TransientFetchError
from pipeline.fetch.http.body import read_body, read_body_async
from pipeline.fetch.http.deadline import cap, deadline_after
from pipeline.fetch.http.limits import FetchLimits

__all__ = [
    "FetchResponse",
    "fetch_feed",
    "fetch_feed_async",
    "fetch_url",
    "fetch_url_async",
    "parse_retry_after",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUS = frozenset({408, 425, 429})


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


def _request(
    client: httpx.Client | httpx.AsyncClient, url: str, headers: dict[str, str], limits: FetchLimits
) -> httpx.Request:
    left = cap(None, httpx.ConnectTimeout)
    return client.build_request(
        "GET", url, headers=headers, timeout=httpx.Timeout(left or limits.timeout)
    )


def _redirect_target(response: httpx.Response, chain: list[str], limits: FetchLimits) -> str | None:
    """Where a redirect leads (checked: scheme, loops, count), None when it is no redirect;
    raises for a status that is neither a redirect nor a success."""
    status = response.status_code
    if status in _REDIRECTS:
        location = response.headers.get("location")
        if not location:
            raise PermanentFetchError(f"{status} redirect without a Location", status=status)
        target = response.url.join(location.strip()).copy_with(fragment=None)
        _check_scheme(str(target))
        if str(target) in chain:
            loop = " -> ".join([*chain, str(target)])
            raise PermanentFetchError(f"redirect loop: {loop}", status=status)
        if len(chain) > limits.max_redirects:
            raise PermanentFetchError(f"more than {limits.max_redirects} redirects", status=status)
        return str(target)
    if status != 304 and not 200 <= status < 300:
        raise _status_error(response)
    return None


def _answer(
    url: str, final_url: str, response: httpx.Response, body: bytes | None, started: float
) -> FetchResponse:
    headers = {k.lower(): v for k, v in response.headers.items()}
    return FetchResponse(
        url=url,
        final_url=final_url,
        status=response.status_code,
        body=body,
        headers=headers,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        elapsed=time.monotonic() - started,
    )


def _fetch(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    headers: dict[str, str],
    started: float,
) -> FetchResponse:
    chain = [str(_check_scheme(url).copy_with(fragment=None))]
    while True:
        response = client.send(_request(client, chain[-1], headers, limits), stream=True)
        try:
            target = _redirect_target(response, chain, limits)
            if target is None:
                body = None if response.status_code == 304 else read_body(response, limits)
                return _answer(url, chain[-1], response, body, started)
        finally:
            response.close()
        chain.append(target)


async def _fetch_async(
    client: httpx.AsyncClient,
    url: str,
    limits: FetchLimits,
    headers: dict[str, str],
    started: float,
    check_hop: Callable[[str], Awaitable[None]] | None,
    check_headers: Callable[[httpx.Headers], None] | None,
) -> FetchResponse:
    chain = [str(_check_scheme(url).copy_with(fragment=None))]
    while True:
        request = _request(client, chain[-1], headers, limits)
        response = await client.send(request, stream=True)
        try:
            target = _redirect_target(response, chain, limits)
            if target is None:
                if check_headers is not None and response.status_code != 304:
                    check_headers(response.headers)
                body = (
                    None if response.status_code == 304 else await read_body_async(response, limits)
                )
                return _answer(url, chain[-1], response, body, started)
        finally:
            await response.aclose()
        if check_hop is not None:
            await check_hop(target)
        chain.append(target)


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


@contextmanager
def _explained(url: str, limits: FetchLimits) -> Iterator[None]:
    """Every failure of a fetch as a FetchError saying why (and carrying ``url``)."""
    try:
        yield
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


def fetch_url(
    client: httpx.Client,
    url: str,
    *,
    limits: FetchLimits,
    headers: dict[str, str] | None = None,
) -> FetchResponse:
    """GET ``url`` within ``limits`` (``headers`` added to the client's); raise a
    FetchError saying why on failure."""
    with _explained(url, limits), deadline_after(limits.timeout) as started:
        return _fetch(client, url, limits, headers or {}, started)


async def fetch_url_async(
    client: httpx.AsyncClient,
    url: str,
    *,
    limits: FetchLimits,
    headers: dict[str, str] | None = None,
    check_hop: Callable[[str], Awaitable[None]] | None = None,
    check_headers: Callable[[httpx.Headers], None] | None = None,
) -> FetchResponse:
    """:func:`fetch_url` on an async client (``build_async_client``). ``check_hop`` is
    awaited with each redirect target before it is followed, ``check_headers`` called with
    the final answer's headers before its body is read; either may raise to refuse."""
    with _explained(url, limits), deadline_after(limits.timeout) as started:
        return await _fetch_async(
            client, url, limits, headers or {}, started, check_hop, check_headers
        )


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    return conditional


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResponse:
    """Fetch ``url`` once, conditionally (the validators of the last answer sent back)."""
    return fetch_url(client, url, limits=limits, headers=_conditional(etag, last_modified))


async def fetch_feed_async(
    client: httpx.AsyncClient,
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResponse:
    """:func:`fetch_feed` on an async client."""
    headers = _conditional(etag, last_modified)
    return await fetch_url_async(client, url, limits=limits, headers=headers)
