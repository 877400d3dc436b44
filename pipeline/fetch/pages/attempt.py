"""One attempt at one page: robots.txt, the guarded fetch, extraction off the event loop,
and what came of it (the page's item, the feed's text and why, or a retry)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial

import httpx
import structlog
from redis.exceptions import RedisError

from pipeline.errors import FetchError, PermanentFetchError, TransientFetchError
from pipeline.fetch.http import FetchLimits, fetch_url_async
from pipeline.fetch.http.body import BodyTooLarge
from pipeline.fetch.http.guard import AddressRefused
from pipeline.fetch.pages.extract import ExtractedPage, extract_page
from pipeline.fetch.pages.frontier import PageTask
from pipeline.fetch.pages.result import fallback_item, is_html, page_item
from pipeline.fetch.pages.robots import RobotsRefused, RobotsRules
from pipeline.models import DeadLetter, PageError, RawItem

__all__ = ["HTML_ACCEPT", "Attempt", "NotHtml", "Outcome", "attempt_page", "page_error_of"]

log = structlog.get_logger()

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


class NotHtml(PermanentFetchError):
    """The link answers with something that is not an HTML page (a PDF, an image...)."""


@dataclass(frozen=True)
class Outcome:
    """A finished page: the item for the ingest queue (or a dead letter for a bare link
    that has nothing to fall back on), the outcome counted, and the host's Crawl-delay."""

    task: PageTask
    outcome: str  # "page" or a PageError
    item: RawItem | None = None
    dead: DeadLetter | None = None
    latency: float | None = None
    error: str | None = None
    crawl_delay: float | None = None


@dataclass(frozen=True)
class Retry:
    """A transient failure: try again at ``due``; hold the host back until ``host_not_before``."""

    task: PageTask
    due: float
    reason: str
    host_not_before: float | None = None


Attempt = Outcome | Retry


def page_error_of(exc: FetchError) -> PageError:
    """The output contract's name for why a page could not be had."""
    if isinstance(exc, RobotsRefused):
        return "robots"
    if isinstance(exc, AddressRefused):
        return "private_address"
    if isinstance(exc, NotHtml):
        return "not_html"
    if isinstance(exc, BodyTooLarge):
        return "too_large"
    if exc.status is not None and 400 <= exc.status < 500:
        return "http_4xx"
    if isinstance(exc, TransientFetchError):
        return "retries_exhausted"
    return "no_body"  # no usable answer: a redirect loop, a refused certificate, bad encoding


def _check_html(headers: httpx.Headers) -> None:
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind and not is_html(kind, b""):
        raise NotHtml(f"the link answers with {kind}, not an HTML page")


def finished(
    task: PageTask,
    error: PageError,
    reason: str,
    *,
    latency: float | None = None,
    crawl_delay: float | None = None,
) -> Outcome:
    """The feed's own text with the reason, or a dead letter when there is none."""
    item = fallback_item(task.item, error)
    dead = None
    if item is None:
        dead = DeadLetter(
            stage="page",
            reason=(
                f"{task.url}: the page could not be used ({error}: {reason}) and the item "
                "has no text, summary or title to fall back on; fix the link or give a text"
            ),
            error=error,
            source=task.item.source,
            input=task.item.model_dump_json(),
        )
    return Outcome(task, error, item, dead, latency, reason, crawl_delay)


@dataclass
class AttemptContext:
    """What every attempt needs, built once per fetcher."""

    client: httpx.AsyncClient
    limits: FetchLimits
    robots: RobotsRules
    extract_pool: Executor | None
    retries: int
    backoff: float = 5.0
    max_retry_after: float = 600.0
    clock: Callable[[], float] = time.time


async def _extract(ctx: AttemptContext, body: bytes, url: str, kind: str | None) -> ExtractedPage:
    call = partial(extract_page, body, url, kind, max_bytes=ctx.limits.max_bytes)
    return await asyncio.get_running_loop().run_in_executor(ctx.extract_pool, call)


def _retry(ctx: AttemptContext, task: PageTask, exc: FetchError, latency: float) -> Attempt:
    wait = ctx.backoff * 3 ** max(0, task.attempts - 1)
    asked = exc.retry_after
    if task.attempts > ctx.retries or (asked is not None and asked > ctx.max_retry_after):
        return finished(task, "retries_exhausted", exc.reason, latency=latency)
    now = ctx.clock()
    hold = now + asked if asked is not None and exc.status in (429, 503) else None
    return Retry(task, now + max(wait, asked or 0.0), exc.reason, hold)


async def attempt_page(ctx: AttemptContext, task: PageTask) -> Attempt:
    """Fetch and extract ``task``'s page once; never raises for the page's faults."""
    started = time.monotonic()
    crawl_delay: float | None = None
    bound = log.bind(url=task.url, host=task.host, attempt=task.attempts)
    if task.attempts > ctx.retries + 2:  # leases that ran out: the page kills its fetcher
        return finished(task, "retries_exhausted", "given up after its fetcher stopped twice")
    try:
        crawl_delay = await ctx.robots.check(task.url)
        response = await fetch_url_async(
            ctx.client,
            task.url,
            limits=ctx.limits,
            headers={"Accept": HTML_ACCEPT},
            check_hop=ctx.robots.check_hop,
            check_headers=_check_html,
        )
        latency = time.monotonic() - started
        body = response.body or b""
        kind = response.headers.get("content-type")
        if not is_html(kind, body):
            raise NotHtml(f"the link answers with {kind or 'an unknown type'}, not HTML")
        page = await _extract(ctx, body, response.final_url, kind)
    except TransientFetchError as exc:
        return _retry(ctx, task, exc, time.monotonic() - started)
    except FetchError as exc:
        error = page_error_of(exc)
        bound.info("page_fallback", reason=error, detail=exc.reason)
        latency = time.monotonic() - started
        return finished(task, error, exc.reason, latency=latency, crawl_delay=crawl_delay)
    except RedisError:
        raise  # not the page's fault: the fetcher stops, the lease gives the page back
    except Exception as exc:  # an extractor bug costs this page its body, nothing more
        bound.exception("page_extraction_crashed")
        reason = f"extraction failed: {type(exc).__name__}: {exc}"
        return finished(task, "no_body", reason, crawl_delay=crawl_delay)
    item = page_item(task.item, page, response.final_url)
    if item is None:
        reason = "no article body found on the page (or none longer than the feed's text)"
        return finished(task, "no_body", reason, latency=latency, crawl_delay=crawl_delay)
    return Outcome(task, "page", item, None, latency, None, crawl_delay)
