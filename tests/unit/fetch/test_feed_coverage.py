"""Gap detection and listing dates (pure), and how gaps are stored and shown (fakeredis)."""

from __future__ import annotations

from datetime import UTC, datetime

import fakeredis
import pytest

from pipeline.fetch.feeds.coverage import ListingDates, find_gap, listing_dates
from pipeline.fetch.feeds.health import (
    FeedHealth,
    coverage_counters,
    feed_state,
    list_health,
    load_health,
    save_health,
)
from pipeline.fetch.feeds.report import by_urgency, format_health_table
from pipeline.settings import Settings

T = 1_764_000_000.0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _listing(newest: float, n: int, every: float) -> ListingDates:
    """The dates of a feed listing its ``n`` newest items, one every ``every`` seconds."""
    return listing_dates([_iso(newest - i * every) for i in range(n)], listed=n, now=newest)


def test_listing_rate_from_item_dates():
    """50 items 10 s apart: 0.1 items/s."""
    assert _listing(T, 50, 10).rate_per_second == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("published", "listed"),
    [
        ([None] * 10, 10),  # no dates
        ([_iso(T)] * 10, 10),  # all alike: a build time, not publishing times
        ([_iso(T), _iso(T - 60)], 2),  # too few to tell
        ([_iso(T), _iso(T - 60), _iso(T - 120)] + [None] * 20, 23),  # mostly undated
        (["not a date", "2025-13-45T00:00:00Z", None], 3),
    ],
)
def test_listing_rate_unknown_when_dates_cannot_say(published: list[str | None], listed: int):
    """Missing, identical, too few or unreadable dates give no rate."""
    assert listing_dates(published, listed=listed, now=T).rate_per_second is None


def test_future_dates_are_not_publishing_times():
    """A date an hour ahead is a publisher's mistake and is left out."""
    dates = listing_dates([_iso(T + 3600), _iso(T), _iso(T - 10)], listed=3, now=T)
    assert dates.newest == T and len(dates.dates) == 2


def test_no_gap_on_a_first_listing_or_with_overlap():
    """A first poll, or a listing that still shows an item seen before, is no gap."""
    listing = _listing(T, 50, 10)
    assert find_gap(previous_listed=0, known=0, listing=listing, previous_newest=None) is None
    assert find_gap(previous_listed=50, known=1, listing=listing, previous_newest=T - 600) is None
    empty = listing_dates([], listed=0, now=T)
    assert find_gap(previous_listed=50, known=0, listing=empty, previous_newest=T) is None


def test_gap_estimate_from_dates():
    """Polled an hour after its newest item, a 10 s feed listing 50 shows items 3110 s to
    3600 s old: the 310 before them were missed."""
    previous_newest = T - 3600
    gap = find_gap(
        previous_listed=50, known=0, listing=_listing(T, 50, 10), previous_newest=previous_newest
    )
    assert gap is not None and gap.listed == 50 and gap.missed == 310


def test_a_listing_that_just_fits_is_a_gap_of_nothing():
    """Exactly one listing published since the last poll: no overlap, but nothing missed."""
    listing = _listing(T, 50, 10)
    gap = find_gap(previous_listed=50, known=0, listing=listing, previous_newest=T - 500)
    assert gap is not None and gap.missed == 0


def test_gap_without_dates_is_reported_without_an_estimate():
    """A feed with no dates still has its gap detected; how many is unknown."""
    undated = listing_dates([None] * 20, listed=20, now=T)
    gap = find_gap(previous_listed=20, known=0, listing=undated, previous_newest=None)
    assert gap is not None and gap.missed is None


@pytest.fixture
def redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


def test_health_round_trips_with_gap_fields(redis: fakeredis.FakeRedis):
    """Every new field survives Redis; an unknown listing size stays unknown."""
    settings = Settings(prefix="t:")
    health = FeedHealth(
        url="https://a.example/rss",
        fetches=3,
        successes=3,
        listed=50,
        newest_item_at=T,
        recent_items=25.0,
        recent_seconds=250.0,
        last_rate=0.1,
        gaps=2,
        last_gap_at=T,
        last_gap_missed=310,
        missed_total=400,
        retry_after=30.0,
        interval=250.0,
    )
    save_health(redis, settings, health, counters={"gaps": 1, "missed": 310})
    assert load_health(redis, settings, health.url) == health
    assert load_health(redis, settings, "https://b.example/rss").listed is None
    save_health(redis, settings, FeedHealth(url="https://b.example/rss"), counters={"gaps": 0})
    assert coverage_counters(redis, settings) == {"gaps": 1, "missed": 310}
    assert [h.url for h in list_health(redis, settings)] == [
        "https://a.example/rss",
        "https://b.example/rss",
    ]


def test_feeds_are_listed_failing_then_gapped_first():
    """The view puts what needs attention on top: failing, gapped, silent, new, then ok."""
    ok = FeedHealth(url="https://a.example/ok", fetches=5, successes=5, last_success=T)
    gapped = FeedHealth(
        url="https://b.example/gapped",
        fetches=5,
        successes=5,
        last_success=T,
        last_gap_at=T - 60,
        last_gap_missed=12,
        listed=20,
        gaps=1,
    )
    old_gap = FeedHealth(url="https://c.example/old-gap", fetches=5, last_gap_at=T - 3 * 86_400)
    failing = FeedHealth(
        url="https://z.example/failing",
        fetches=2,
        consecutive_failures=2,
        last_error="server answered 429 Too Many Requests",
        last_error_at=T - 5,
        last_error_kind="transient",
        last_error_status=429,
        retry_after=30.0,
    )
    new = FeedHealth(url="https://d.example/new")
    ordered = by_urgency([ok, gapped, old_gap, failing, new], now=T)
    assert [feed_state(h, T) for h in ordered] == ["failing", "gapped", "new", "ok", "ok"]
    assert ordered[0] is failing and ordered[1] is gapped
    table = format_health_table([ok, gapped, failing], now=T)
    lines = table.splitlines()
    assert lines[0].startswith("FAILING  https://z.example/failing")
    assert "server asked to wait 30s (Retry-After)" in table
    assert "gap 1m ago: no listed item (of 20) seen before, ~12 items probably missed" in table
    assert lines[-1] == "1 failing, 1 gapped, 1 ok"


def test_gap_estimate_starts_at_the_previous_poll_when_that_is_later():
    """An hourly feed that bursts into one item a second: what was missed was published
    after the previous poll, not since its last hourly item."""
    listing = _listing(T, 20, 1)  # oldest listed item: T - 19
    gap = find_gap(
        previous_listed=20,
        known=0,
        listing=listing,
        previous_newest=T - 7200,
        previous_poll=T - 100,
    )
    assert gap is not None and gap.missed == 80
