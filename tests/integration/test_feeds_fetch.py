"""Fetching feeds end to end: real local HTTP server, real redis-server, fake clock."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_lib
from rq import Queue

from pipeline.fetch.feeds.feedlist import FeedSpec
from pipeline.fetch.feeds.fetcher import FetchContext, default_enqueue, fetch_all, fetch_one
from pipeline.fetch.feeds.health import load_health
from pipeline.fetch.feeds.parse import feed as feedparse
from pipeline.fetch.http import FetchLimits, build_client
from pipeline.fetch.pages.frontier import Frontier
from pipeline.queueing import load_payload, make_queue
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

MAX_INTERVAL = Settings().feed_max_interval


@pytest.fixture
def make_ctx(
    make_settings: Callable[..., Settings], redis_client: redis_lib.Redis
) -> Iterator[Callable[..., FetchContext]]:
    clients = []

    def factory(**overrides: Any) -> FetchContext:
        settings = make_settings(fetch_allow_private=True, fetch_timeout=5, **overrides)
        limits = FetchLimits.from_settings(settings)
        client = build_client(limits)
        clients.append(client)
        return FetchContext(
            settings=settings,
            redis=redis_client,
            client=client,
            limits=limits,
            enqueue=Recorder(),
            clock=FakeClock(),
            rng=NoJitter(),
        )

    yield factory
    for client in clients:
        client.close()


FULL_TEXT = " ".join(["The council met on Monday and agreed the budget for next year."] * 20)


def _items(n: int, prefix: str = "a", text: str = "body") -> list[tuple[str, str]]:
    return [(f"{prefix}{i}", f"{text} {prefix}{i}") for i in range(n)]


def test_conditional_get_round_trip(server: FeedServer, make_ctx: Callable[..., FetchContext]):
    """The second fetch sends the ETag back as received; a 304 enqueues nothing."""
    server.routes["/f"] = Route(make_rss(_items(3)))
    ctx = make_ctx()
    feed = FeedSpec(server.url("/f"))
    first = fetch_one(ctx, feed)
    assert (first.outcome, first.new_items) == ("new", 3)
    ctx.clock.t += 3600  # type: ignore[attr-defined]
    second = fetch_one(ctx, feed)
    assert second.outcome == "not_modified"
    assert "if-none-match" not in server.hits("/f")[0].headers
    assert server.hits("/f")[1].headers["if-none-match"] == server.routes["/f"].etag_value
    assert server.hits("/f")[1].answered == 304
    assert len(ctx.enqueue.items) == 3  # type: ignore[attr-defined]


def test_last_modified_sent_back_as_received(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """Without an ETag, Last-Modified goes back verbatim as If-Modified-Since."""
    server.routes["/lm"] = Route(make_rss(_items(2)), etag=False)
    ctx = make_ctx()
    fetch_one(ctx, FeedSpec(server.url("/lm")))
    second = fetch_one(ctx, FeedSpec(server.url("/lm")))
    assert second.outcome == "not_modified"
    assert server.hits("/lm")[1].headers["if-modified-since"] == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_unchanged_body_is_not_parsed_again(
    server: FeedServer, make_ctx: Callable[..., FetchContext], monkeypatch: pytest.MonkeyPatch
):
    """A server without validators sending the same bytes costs no parse and no queue slot."""
    server.routes["/same"] = Route(make_rss(_items(4)), etag=False, last_modified=False)
    parses: list[str] = []
    real_parse = feedparse.parse_feed

    def counting_parse(body: bytes, **kw: Any) -> feedparse.ParsedFeed:
        parses.append(kw["feed_url"])
        return real_parse(body, **kw)

    monkeypatch.setattr(feedparse, "parse_feed", counting_parse)
    ctx = make_ctx()
    assert fetch_one(ctx, FeedSpec(server.url("/same"))).new_items == 4
    again = fetch_one(ctx, FeedSpec(server.url("/same")))
    assert again.outcome == "unchanged"
    assert len(parses) == 1
    assert len(ctx.enqueue.items) == 4  # type: ignore[attr-defined]


def test_seen_items_skipped_changed_items_enqueued(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """Of a new body, only the new item and the item whose content changed go on."""
    server.routes["/s"] = Route(make_rss([("x", "one"), ("y", "two")]))
    ctx = make_ctx()
    fetch_one(ctx, FeedSpec(server.url("/s")))
    server.routes["/s"] = Route(make_rss([("x", "one"), ("y", "two, corrected"), ("z", "new")]))
    outcome = fetch_one(ctx, FeedSpec(server.url("/s")))
    assert (outcome.new_items, outcome.changed_items, outcome.skipped_items) == (1, 1, 1)
    recorded = ctx.enqueue.items  # type: ignore[attr-defined]
    assert [i.guid for i in recorded] == ["x", "y", "z", "y"]
    assert "corrected" in (recorded[-1].summary or recorded[-1].text)


def test_items_without_guid_are_known_by_link(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """An item with no GUID is recognised by its link on the next body."""
    server.routes["/nl"] = Route(make_rss(_items(2), guid=False), etag=False, last_modified=False)
    ctx = make_ctx()
    fetch_one(ctx, FeedSpec(server.url("/nl")))
    server.routes["/nl"] = Route(make_rss(_items(3), guid=False), etag=False, last_modified=False)
    outcome = fetch_one(ctx, FeedSpec(server.url("/nl")))
    assert (outcome.new_items, outcome.skipped_items) == (1, 2)


def test_real_enqueue_puts_rq_jobs_on_the_queue(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """With the real queue, new items (whole articles in the feed) land as RQ jobs on the
    ingest queue."""
    server.routes["/q"] = Route(make_rss(_items(5, text=FULL_TEXT)))
    ctx = make_ctx()
    ctx.enqueue = default_enqueue
    outcome = fetch_one(ctx, FeedSpec(server.url("/q")))
    assert outcome.jobs == 1
    queue = Queue(ctx.settings.queue_name, connection=ctx.redis)
    assert queue.count == 1


def test_short_items_wait_for_their_page_and_whole_articles_do_not(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """Items shorter than PIPELINE_PAGES_MIN_WORDS, or cut off ("Read more"), go to the page
    queue; whole articles go straight to the ingest queue; with PIPELINE_PAGES off,
    everything does."""
    cut = FULL_TEXT + " Continue reading…"
    server.routes["/mixed"] = Route(
        make_rss([("short", "two words"), ("cut", cut), ("whole", FULL_TEXT)])
    )
    ctx = make_ctx()
    ctx.enqueue = default_enqueue
    outcome = fetch_one(ctx, FeedSpec(server.url("/mixed")))
    assert outcome.jobs == 1
    [job] = make_queue(ctx.redis, ctx.settings).jobs
    [item] = load_payload(ctx.redis, job.args[0]) or []
    assert item["title"] == "whole"
    assert Frontier(ctx.redis, ctx.settings).depth().queued == 2

    server.routes["/off"] = Route(make_rss([("short2", "two words")]))
    off = make_ctx(pages=False)
    off.enqueue = default_enqueue
    assert fetch_one(off, FeedSpec(server.url("/off"))).jobs == 1
    assert Frontier(off.redis, off.settings).depth().queued == 2


def test_429_with_retry_after_pushes_the_next_poll(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A 429 with Retry-After is a light failure, and the next poll waits exactly that long."""
    server.routes["/busy"] = Route(b"slow down", status=429, headers={"Retry-After": "7200"})
    ctx = make_ctx()
    outcome = fetch_one(ctx, FeedSpec(server.url("/busy")))
    health = load_health(ctx.redis, ctx.settings, server.url("/busy"))
    assert outcome.outcome == "error" and outcome.error_status == 429
    assert health.next_poll is not None and health.next_poll - T0 == 7200
    assert health.retry_after == 7200
    assert health.failure_weight == 1.0
    assert health.last_error_kind == "transient"


def test_failures_back_off_to_the_ceiling_and_never_disable(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """The first failure waits the normal interval, each further one doubles it up to 24 h;
    polling goes on; success resets."""
    server.routes["/down"] = Route(b"oops", status=500)
    ctx = make_ctx()
    clock: FakeClock = ctx.clock  # type: ignore[assignment]
    feed = FeedSpec(server.url("/down"), interval=600)
    delays = []
    for _ in range(10):
        outcome = fetch_one(ctx, feed)
        assert outcome.next_poll is not None
        delays.append(outcome.next_poll - clock.t)
        clock.t = outcome.next_poll
    assert delays[:8] == [600, 1200, 2400, 4800, 9600, 19200, 38400, 76800]
    assert delays[8:] == [MAX_INTERVAL] * 2
    assert len(server.hits("/down")) == 10
    server.routes["/down"] = Route(make_rss(_items(1)))
    back = fetch_one(ctx, feed)
    health = load_health(ctx.redis, ctx.settings, feed.url)
    assert back.outcome == "new" and health.consecutive_failures == 0
    assert back.next_poll is not None and back.next_poll - clock.t == 600
    assert health.failure_weight == pytest.approx(5.0)  # ten 5xx at 1.0, halved by the success


def test_failure_weights_rank_hard_over_status_over_network(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A malformed feed weighs more than a 404, which weighs more than a refused connection."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    server.routes["/bad"] = Route(b"this is not a feed at all")
    server.routes["/ok"] = Route(make_rss(_items(2)))
    ctx = make_ctx()
    feeds = [
        FeedSpec(server.url("/bad")),
        FeedSpec(server.url("/missing")),
        FeedSpec(f"http://127.0.0.1:{closed_port}/feed"),
        FeedSpec(server.url("/ok")),
    ]
    outcomes = fetch_all(ctx, feeds)
    assert [o.outcome for o in outcomes] == ["error", "error", "error", "new"]
    weights = [load_health(ctx.redis, ctx.settings, f.url).failure_weight for f in feeds[:3]]
    assert weights[0] > weights[1] > weights[2] > 0
    bad = load_health(ctx.redis, ctx.settings, feeds[0].url)
    assert bad.last_error and bad.last_error_kind == "permanent"
    assert outcomes[1].error_status == 404
    assert len(ctx.enqueue.items) == 2  # type: ignore[attr-defined]


def test_a_crash_in_one_feed_is_recorded_and_others_go_on(
    server: FeedServer, make_ctx: Callable[..., FetchContext], monkeypatch: pytest.MonkeyPatch
):
    """An unexpected exception while parsing one feed becomes that feed's error."""
    server.routes["/boom"] = Route(make_rss(_items(1, "boom")))
    server.routes["/fine"] = Route(make_rss(_items(2)))
    real_parse = feedparse.parse_feed

    def fragile(body: bytes, **kw: Any) -> feedparse.ParsedFeed:
        if kw["feed_url"].endswith("/boom"):
            raise RuntimeError("parser bug")
        return real_parse(body, **kw)

    monkeypatch.setattr(feedparse, "parse_feed", fragile)
    ctx = make_ctx()
    boom, fine = fetch_all(ctx, [FeedSpec(server.url("/boom")), FeedSpec(server.url("/fine"))])
    assert boom.outcome == "error" and "RuntimeError: parser bug" in (boom.error or "")
    assert fine.new_items == 2
    assert load_health(ctx.redis, ctx.settings, server.url("/boom")).consecutive_failures == 1


def _simulate(
    server: FeedServer,
    ctx: FetchContext,
    *,
    per_hour: float,
    hours: float,
    ttl: int | None = None,
    listed: int = 10,
) -> tuple[float, int]:
    """Poll a feed that gains ``per_hour`` items an hour and lists its ``listed`` newest;
    return the last base interval and how many items were never enqueued."""
    clock: FakeClock = ctx.clock  # type: ignore[assignment]
    feed = FeedSpec(server.url("/rate"))
    produced, owed = 0, 0.0
    end = clock.t + hours * 3600
    while clock.t < end:
        server.routes["/rate"] = Route(
            make_rss(
                [(f"i{n}", "t") for n in range(max(0, produced - listed), produced)],
                ttl_minutes=ttl,
            )
        )
        outcome = fetch_one(ctx, feed)
        assert outcome.next_poll is not None
        owed += (outcome.next_poll - clock.t) * per_hour / 3600
        produced += int(owed)
        owed -= int(owed)
        clock.t = outcome.next_poll
    interval = load_health(ctx.redis, ctx.settings, feed.url).interval
    assert interval is not None
    enqueued = {item.guid for item in ctx.enqueue.items}  # type: ignore[attr-defined]
    # the items published after the last poll are not lost yet: they are still listed
    lost = sum(1 for n in range(max(0, produced - listed)) if f"i{n}" not in enqueued)
    return interval, lost


def test_interval_follows_a_busy_feed_down(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A feed with 6 new items an hour ends up polled about every 10 minutes."""
    interval, lost = _simulate(server, make_ctx(), per_hour=6, hours=24)
    assert 480 <= interval <= 780
    assert lost == 0


def test_interval_follows_a_quiet_feed_up(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A feed with one item a day ends up polled every many hours, within the ceiling."""
    interval, lost = _simulate(server, make_ctx(), per_hour=1 / 24, hours=24 * 10)
    assert 12 * 3600 <= interval <= MAX_INTERVAL
    assert lost == 0


def test_ttl_is_a_floor_for_a_busy_feed_that_lists_enough(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A busy feed that says <ttl>120</ttl> and lists 200 items (more than it publishes in
    2 hours) is not polled more often than every 2 hours."""
    interval, lost = _simulate(server, make_ctx(), per_hour=30, hours=24, ttl=120, listed=200)
    assert interval == 7200
    assert lost == 0


def test_ttl_does_not_make_a_busy_feed_lose_items(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """The same feed listing only 10 items would lose 50 of every 60 at its ttl: it is
    polled every 400 s instead (a third of a listing), and loses nothing once its rate is
    known."""
    interval, lost = _simulate(server, make_ctx(), per_hour=30, hours=24, ttl=120, listed=10)
    assert interval == pytest.approx(400, rel=0.25)
    health = load_health(make_ctx().redis, make_ctx().settings, server.url("/rate"))
    assert lost <= 60 + 10 * health.gaps  # only in the first poll's ttl, and it was seen
    assert health.gaps >= 1


def test_cache_control_max_age_is_a_floor(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """Cache-Control: max-age=10800 on a 304 keeps the next poll at least 3 hours away."""
    server.routes["/cc"] = Route(make_rss(_items(2)), headers={"Cache-Control": "max-age=10800"})
    ctx = make_ctx()
    fetch_one(ctx, FeedSpec(server.url("/cc")))
    second = fetch_one(ctx, FeedSpec(server.url("/cc")))
    assert second.outcome == "not_modified"
    assert second.next_poll is not None and second.next_poll - T0 >= 10800


def test_bounds_hold_for_a_pinned_interval(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """interval=1m in FEEDS is raised to the floor (PIPELINE_FEED_MIN_INTERVAL)."""
    server.routes["/pin"] = Route(make_rss(_items(1)))
    ctx = make_ctx(feed_min_interval=300)
    outcome = fetch_one(ctx, FeedSpec(server.url("/pin"), interval=60))
    assert outcome.next_poll is not None and outcome.next_poll - T0 == 300


@pytest.mark.parametrize("per_host", [2, 4])
def test_per_host_limit_is_respected_at_the_server(
    server: FeedServer, make_ctx: Callable[..., FetchContext], per_host: int
):
    """With 10 slow feeds on one host, the server never sees more than per_host at once."""
    for i in range(10):
        server.routes[f"/slow{i}"] = Route(make_rss(_items(1, f"s{i}")), delay=0.25)
    ctx = make_ctx(fetch_per_host=per_host)
    outcomes = fetch_all(ctx, [FeedSpec(server.url(f"/slow{i}")) for i in range(10)], workers=16)
    assert all(o.outcome == "new" for o in outcomes)
    assert server.peak == per_host


def test_malformed_feed_with_entries_is_a_success_with_a_warning(
    server: FeedServer, make_ctx: Callable[..., FetchContext]
):
    """A not-quite-XML feed still yields its items; the warning is kept in its health."""
    broken = make_rss(_items(2)).replace(b"</channel>", b"<p>unclosed & stray</channel>")
    server.routes["/bozo"] = Route(broken)
    ctx = make_ctx()
    outcome = fetch_one(ctx, FeedSpec(server.url("/bozo")))
    assert (outcome.outcome, outcome.new_items) == ("new", 2)
    assert outcome.warning
    health = load_health(ctx.redis, ctx.settings, server.url("/bozo"))
    assert health.last_warning == outcome.warning
    assert health.consecutive_failures == 0
