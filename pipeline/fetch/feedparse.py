"""Feed bytes to RawItems: safe parsing (no entity expansion), plain titles, clean HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.models import RawItem

__all__ = ["ParsedFeed", "parse_feed"]


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed body holds, ready for the queue."""

    title: str | None
    link: str | None
    items: list[RawItem]
    ttl_seconds: int | None
    update_period_seconds: int | None
    warning: str | None
    content_hash: str


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    fetched: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes; raise PermanentFetchError when nothing usable is in them."""
    raise NotImplementedError
