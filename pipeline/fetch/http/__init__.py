"""The guarded HTTP client shared by everything that fetches: SSRF guard on every connection,
a total deadline, a size cap on decoded bodies, checked redirects; synchronous (feeds) and
asynchronous (pages). Never imports Redis, the queue, feed parsing or enrichment."""

from pipeline.fetch.http.async_transport import build_async_client
from pipeline.fetch.http.fetch import (
    FetchResponse,
    fetch_feed,
    fetch_feed_async,
    fetch_url,
    fetch_url_async,
    parse_retry_after,
)
from pipeline.fetch.http.limits import FetchLimits
from pipeline.fetch.http.transport import build_client

__all__ = [
    "FetchLimits",
    "FetchResponse",
    "build_async_client",
    "build_client",
    "fetch_feed",
    "fetch_feed_async",
    "fetch_url",
    "fetch_url_async",
    "parse_retry_after",
]
