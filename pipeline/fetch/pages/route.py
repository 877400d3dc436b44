"""The producers' door: items whose text is short go to the page queue, the rest straight
to the ingest queue. Feeds and replay both enqueue through :func:`route_items`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import structlog
from redis import Redis

from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.need import needs_page
from pipeline.fetch.pages.records import count_shared
from pipeline.models import RawItem
from pipeline.queueing import EnqueueSummary, enqueue_items
from pipeline.settings import Settings

__all__ = ["RouteSummary", "route_items"]

log = structlog.get_logger()
_PAGE_CHUNK = 200


@dataclass
class RouteSummary:
    """Where items went: ingest jobs, links queued for their page, links already known."""

    enqueued: EnqueueSummary = field(default_factory=EnqueueSummary)
    pages: int = 0
    shared: int = 0


def route_items(redis: Redis, settings: Settings, items: Iterable[RawItem]) -> RouteSummary:
    """Enqueue ``items``: those that need their page (``needs_page``) on the page queue,
    the others in ingest batches. Lazy: a replay of millions of items streams through."""
    summary = RouteSummary()
    if not settings.pages:
        summary.enqueued = enqueue_items(redis, settings, items)
        return summary
    frontier = Frontier(redis, settings)
    waiting: list[RawItem] = []

    def flush() -> None:
        if waiting:
            added = frontier.add(waiting, now=time.time())
            summary.pages += sum(added)
            shared = len(added) - sum(added)
            summary.shared += shared
            count_shared(redis, settings, shared)
            waiting.clear()

    def direct() -> Iterator[RawItem]:
        for item in items:
            if needs_page(item, settings.pages_min_words):
                waiting.append(item)
                if len(waiting) >= _PAGE_CHUNK:
                    flush()
            else:
                yield item

    summary.enqueued = enqueue_items(redis, settings, direct())
    flush()
    if summary.pages or summary.shared:
        log.info("pages_queued", links=summary.pages, already_known=summary.shared)
    return summary
