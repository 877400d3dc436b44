"""Feed coverage end to end: busy feeds lose nothing between polls, gaps are detected and
counted, new and failing feeds come back soon. Real HTTP server and redis-server; the
feeds publish on the fake clock."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis as redis_lib
from structlog.testing import capture_logs

from pipeline.fetch.feeds.feedlist import FeedSpec
from pipeline.fetch.feeds.fetcher import FeedOutcome, FetchContext, fetch_one
from pipeline.fetch.feeds.health import coverage_counters, feed_state, load_health
from pipeline.fetch.http import FetchLimits, build_client
from pipeline.settings import Settings
from tests.integration.feeds_server import (
    T0,
    FakeClock,
    FeedServer,
    NoJitter,
    Recorder,
    Route,
    make_rss,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def make_ctx(
    make_settings: Callable[..., Settings], redis_client: redis_lib.Redis
) -> Iterator[Callable[..., FetchContext]]:
    clients = []

    def factory(clock: Callable[[], float] | None = None, **overrides: Any) -> FetchContext:
        settings = make_settings(fetch_allow_private=True, **{"fetch_timeout": 5, **overrides})
        limits = FetchLimits.from_settings(settings)
        client = build_client(limits)
        clients.append(client)
        return FetchContext(
            settings=settings,
            redis=redis_client,
            client=client,
            limits=limits,
            enqueue=Recorder(),
            clock=clock or FakeClock(),
            rng=NoJitter(),
        )

    yield factory
    for client in clients:
        client.close()


@dataclass
class Publisher:
    """A feed on the fake clock: one item every ``every`` seconds (the first ``backlog``
    before T0), listing its ``listed`` newest, dated or not."""

    server: FeedServer
    path: str
    every: float
    listed: int = 50
    dated: bool = True
    backlog: int = 500

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def published(self, now: float) -> int:
        """Items published by ``now``: item n is dated T0 + (n - backlog + 1) * every."""
        return max(0, int((now - T0) // self.every) + self.backlog)

    def serve(self, now: float) -> None:
        """Put the listing as of ``now`` on the server."""
        count = self.published(now)
        numbers = list(range(count - 1, max(0, count - self.listed) - 1, -1))
        dates = [T0 + (n - self.backlog + 1) * self.every for n in numbers]
        self.server.routes[self.path] = Route(
            make_rss([(f"i{n}", "t") for n in numbers], dates=dates if self.dated else None)
        )


def _follow(ctx: FetchContext, feed: Publisher, hours: float) -> tuple[list[FeedOutcome], int]:
    """Poll ``feed`` when its health says, for ``hours``; the outcomes and the items it had
    published by the last poll."""
    clock: FakeClock = ctx.clock  # type: ignore[assignment]
    outcomes = []
    end = clock.t + hours * 3600
    while clock.t < end:
        feed.serve(clock.t)
        outcomes.append(fetch_one(ctx, FeedSpec(feed.url)))
        published = feed.published(clock.t)
        next_poll = outcomes[-1].next_poll
        assert next_poll is not None
        clock.t = next_poll
    return outcomes, published


def _enqueued(ctx: FetchContext) -> Counter[str]:
    return Counter(item.guid or "" for item in ctx.enqueue.items)  # type: ignore[attr-defined]


@pytest.mark.parametrize("dated", [True, False])
def test_a_busy_feed_loses_nothing(
    server: FeedServer, make_ctx: Callable[..., FetchContext], dated: bool
):
    """A feed publishing every 10 s and listing 50 (the issue's case: it used to lose ~280
    items an hour): every item published after its first poll is enqueued exactly once, it
    is polled about every 167 s (a third of its listing), and no gap is ever seen."""
    ctx = make_ctx()
    feed = Publisher(server, "/busy", every=10, dated=dated)
    outcomes, published = _follow(ctx, feed, hours=2)
    seen = _enqueued(ctx)
    first_listed = range(feed.backlog - feed.listed, feed.backlog)
    expected = {f"i{n}" for n in [*first_listed, *range(feed.backlog, published)]}
    assert set(seen) == expected
    assert max(seen.values()) == 1
    assert not any(o.gap for o in outcomes)
    health = load_health(ctx.redis, ctx.settings, feed.url)
    assert health.interval == pytest.approx(500 / 3, rel=0.1)
    # With dates, the first poll already knows: its next poll is 167 s away, not 5 minutes;
    # without, the next poll comes at the minimum to measure it.
    first_delay = (outcomes[0].next_poll or 0) - T0
    assert first_delay == (pytest.approx(500 / 3) if dated else 60)


def test_a_gap_is_detected_estimated_and_counted(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """After an hour without polling (a scheduler down), a 10 s feed listing 50 shows no item
    seen before: a gap of ~310 items is recorded in its health and the coverage counters,
    logged, and the next poll comes at the minimum interval."""
    ctx = make_ctx()
    clock: FakeClock = ctx.clock  # type: ignore[assignment]
    feed = Publisher(server, "/gap", every=10)
    feed.serve(clock.t)
    fetch_one(ctx, FeedSpec(feed.url))
    clock.t += 3600
    feed.serve(clock.t)
    with capture_logs() as logs:
        outcome = fetch_one(ctx, FeedSpec(feed.url))
    assert outcome.gap and outcome.missed == 310 and outcome.new_items == 50
    assert "~310 items probably missed" in outcome.describe()
    health = load_health(ctx.redis, ctx.settings, feed.url)
    assert (health.gaps, health.last_gap_at, health.last_gap_missed) == (1, clock.t, 310)
    assert feed_state(health, clock.t) == "gapped"
    assert outcome.next_poll == clock.t + ctx.settings.feed_min_interval
    assert coverage_counters(ctx.redis, ctx.settings) == {"gaps": 1, "missed": 310}
    gap_logs = [e for e in logs if e["event"] == "feed_gap"]
    assert gap_logs and gap_logs[0]["missed_estimate"] == 310
    assert gap_logs[0]["log_level"] == "warning"
    # the next poll overlaps again: no new gap, and the feed is followed from there on
    outcomes, _ = _follow(ctx, feed, hours=1)
    assert not any(o.gap for o in outcomes)
    assert load_health(ctx.redis, ctx.settings, feed.url).gaps == 1


def test_a_feed_faster_than_the_minimum_gaps_every_time_and_says_so(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A feed publishing 2 items a second and listing 50 overflows even at the minimum
    interval: it is polled at the minimum and every gap is counted, undated or not."""
    ctx = make_ctx()
    feed = Publisher(server, "/firehose", every=0.5, dated=False)
    outcomes, _ = _follow(ctx, feed, hours=0.25)
    assert all(o.gap for o in outcomes[1:]) and len(outcomes) > 10
    assert all(o.missed is None for o in outcomes)  # no dates, no estimate
    health = load_health(ctx.redis, ctx.settings, feed.url)
    assert health.gaps == len(outcomes) - 1
    assert health.interval == ctx.settings.feed_min_interval


_HOURLY = [(f"h{n}", "t") for n in range(5)]
_HOURLY_DATES = [T0 - n * 3600 for n in range(5)]


@pytest.mark.parametrize(
    ("route", "settings", "delay"),
    [
        (Route(make_rss(_HOURLY, dates=_HOURLY_DATES)), {}, 300),
        (Route(make_rss(_HOURLY, dates=_HOURLY_DATES)), {"feed_start_interval": 120}, 120),
        (Route(make_rss(_HOURLY)), {}, 60),  # no dates: measured from the minimum up
        (Route(make_rss([("a", "t")], ttl_minutes=60)), {}, 3600),
        (Route(make_rss([("a", "t")]), headers={"Cache-Control": "max-age=900"}), {}, 900),
    ],
)
def test_a_new_feed_starts_short_or_at_what_it_declares(
    server: FeedServer,
    make_ctx: Callable[..., FetchContext],
    route: Route,
    settings: dict[str, float],
    delay: float,
):
    """A new feed's second poll comes after the start interval, or what the feed declares
    (<ttl>, Cache-Control), or soon when its items carry no dates; never an hour by
    default."""
    server.routes["/new"] = route
    outcome = fetch_one(make_ctx(**settings), FeedSpec(server.url("/new")))
    assert outcome.next_poll == T0 + delay


def test_a_new_feed_that_fails_comes_back_soon(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """One 500 on a new feed: retried after the start interval, then twice that."""
    server.routes["/500"] = Route(b"oops", status=500)
    ctx = make_ctx()
    first = fetch_one(ctx, FeedSpec(server.url("/500")))
    assert first.next_poll == T0 + 300
    ctx.clock.t = first.next_poll  # type: ignore[attr-defined]
    second = fetch_one(ctx, FeedSpec(server.url("/500")))
    assert second.next_poll == T0 + 300 + 600


def test_retry_after_is_honoured_as_given(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """429 with Retry-After: 30 on a new feed: the next poll is in 30 s (the minimum being
    10 s), and the feed's health keeps what the server asked."""
    server.routes["/429"] = Route(b"slow down", status=429, headers={"Retry-After": "30"})
    ctx = make_ctx(feed_min_interval=10)
    outcome = fetch_one(ctx, FeedSpec(server.url("/429")))
    assert outcome.next_poll == T0 + 30
    assert load_health(ctx.redis, ctx.settings, server.url("/429")).retry_after == 30


def test_a_timed_out_poll_is_dated_at_its_timeout(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A server that does not answer within the 1 s fetch timeout: the error is dated when
    the timeout struck, and the next poll counts from then."""
    server.routes["/slow"] = Route(make_rss([("a", "t")]), delay=3)
    ctx = make_ctx(clock=time.time, fetch_timeout=1)
    before = time.time()
    outcome = fetch_one(ctx, FeedSpec(server.url("/slow")))
    health = load_health(ctx.redis, ctx.settings, server.url("/slow"))
    assert outcome.outcome == "error"
    assert health.last_fetch is not None and health.last_error_at is not None
    assert health.last_fetch == pytest.approx(before, abs=0.2)
    assert 0.9 <= health.last_error_at - health.last_fetch < 2.5
    assert health.next_poll == health.last_error_at + ctx.settings.feed_start_interval
