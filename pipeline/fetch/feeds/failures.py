"""Why a poll failed, in one word: the bounded label of ``pipeline_feed_fetches_total``."""

from __future__ import annotations

from pipeline.errors import FetchError, PermanentFetchError
from pipeline.fetch.http.body import BodyTooLarge
from pipeline.fetch.http.guard import AddressRefused

__all__ = ["classify_failure"]


def classify_failure(exc: BaseException) -> str:
    """One word for why a poll failed (``records.POLL_OUTCOMES``), a bounded metric label."""
    if not isinstance(exc, FetchError):
        return "crashed"
    if exc.status == 429:
        return "rate_limited"
    if exc.status is not None and exc.status >= 500:
        return "http_5xx"
    if exc.status is not None and exc.status >= 400:
        return "http_4xx"
    if isinstance(exc, AddressRefused):
        return "refused"
    if isinstance(exc, BodyTooLarge):
        return "too_large"
    # no status: malformed, not a feed, a scheme refused (permanent); timeouts, resets
    return "invalid" if isinstance(exc, PermanentFetchError) else "network"
