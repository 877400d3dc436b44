"""What a feed's listing says about coverage: its items' dates, its publishing rate, gaps.

A feed lists only its newest items. When a poll finds every listed item new, the items
published between the previous poll's listing and this one's oldest item may have come
and gone unseen: a *gap*. The items' own dates, where the feed gives them, say how fast it
publishes and so roughly how many were missed. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["FUTURE_TOLERANCE", "Gap", "ListingDates", "find_gap", "listing_dates"]

# Dates further ahead than this are publisher mistakes, not publishing times.
FUTURE_TOLERANCE = 15 * 60.0
# Fewer dated items than this say nothing reliable about a rate.
_MIN_DATED = 3


@dataclass(frozen=True)
class ListingDates:
    """The publication dates of one listing's items (UNIX seconds), where the feed gives them."""

    listed: int  # distinct items in the listing
    dates: tuple[float, ...]  # sorted, oldest first; only the plausible ones

    @property
    def newest(self) -> float | None:
        """The newest item's date, or None when no item is dated."""
        return self.dates[-1] if self.dates else None

    @property
    def oldest(self) -> float | None:
        """The oldest item's date, or None when no item is dated."""
        return self.dates[0] if self.dates else None

    @property
    def rate_per_second(self) -> float | None:
        """Items per second over the listing's time span, or None when the dates cannot say
        (too few dated items, or all dated alike)."""
        if len(self.dates) < _MIN_DATED or len(self.dates) < self.listed / 2:
            return None
        span = self.dates[-1] - self.dates[0]
        if span <= 0:
            return None
        return (len(self.dates) - 1) / span


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def listing_dates(published: Iterable[str | None], *, listed: int, now: float) -> ListingDates:
    """The plausible dates among the items' ``published`` values (ISO 8601)."""
    stamps = (_timestamp(value) for value in published)
    dates = sorted(s for s in stamps if s is not None and s <= now + FUTURE_TOLERANCE)
    return ListingDates(listed=listed, dates=tuple(dates))


@dataclass(frozen=True)
class Gap:
    """A poll that found no listed item seen before, after a listing that had items."""

    listed: int
    missed: int | None  # estimated from the items' dates; None when the feed gives none


def find_gap(
    *,
    previous_listed: int,
    known: int,
    listing: ListingDates,
    previous_newest: float | None,
    previous_poll: float | None = None,
) -> Gap | None:
    """A Gap when a non-empty listing shares no item with a previous non-empty one.

    ``known`` is how many of the listed items were seen before (changed or not). The
    estimate counts the items this listing's own rate of publishing puts between the
    previous listing and this one's oldest item: after the previous listing's newest item,
    and after the previous poll (anything published before it would have been listed then).
    """
    if previous_listed <= 0 or listing.listed <= 0 or known > 0:
        return None
    rate = listing.rate_per_second
    since = max((t for t in (previous_newest, previous_poll) if t is not None), default=None)
    if rate is None or since is None or listing.oldest is None:
        return Gap(listed=listing.listed, missed=None)
    return Gap(listed=listing.listed, missed=max(0, round((listing.oldest - since) * rate) - 1))
