"""The page fetcher against real local HTTP servers (loopback only) and a real redis-server:
politeness, failures that fall back to the feed's text, and the defences."""

from __future__ import annotations

import gzip
import ipaddress
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpcore
import pytest
import redis

from pipeline.fetch.http import FetchLimits
from pipeline.fetch.pages.fetcher import FetcherSummary, PageFetcher, page_limits
from pipeline.fetch.pages.frontier import Frontier
from pipeline.fetch.pages.records import read_hosts, read_outcomes
from pipeline.fetch.pages.route import route_items
from pipeline.models import RawItem
from pipeline.queueing import load_payload, make_queue
from pipeline.settings import Settings
from tests.integration.http_server import LocalServer, local_server, send
from tests.integration.pages_site import BODY, article_html, serve_article

pytestmark = pytest.mark.integration

SUMMARY = "Lisbon's mayor announced three tram lines on Monday."


@pytest.fixture
def dials(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the async fetcher dialled; anything outside loopback is refused here,
    so no packet leaves the machine even with a broken guard."""
    dialled: list[str] = []
    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def connect_tcp(
        self: httpcore.AnyIOBackend,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        dialled.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"test harness refuses to dial {host}")
        return await real_connect(self, host, port, timeout, local_address, socket_options)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    return dialled


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with local_server() as server:
        server.route("/robots.txt")(lambda req: send(req, b"User-agent: *\nAllow: /\n"))
        yield server


@pytest.fixture
def page_settings(make_settings: Callable[..., Settings], redis_client: redis.Redis) -> Settings:
    return make_settings(
        fetch_allow_private=True, fetch_timeout=2, pages_host_delay=0, pages_retries=2
    )


def feed_item(
    url: str, *, title: str = "Trams for Lisbon", summary: str | None = SUMMARY
) -> RawItem:
    return RawItem(
        source="http://courier.test/feed.xml",
        kind="feed",
        url=url,
        title=title,
        summary=summary,
        text=summary or title,
    )


def run_pages(
    redis_client: redis.Redis, settings: Settings, items: list[RawItem], **options: Any
) -> tuple[list[dict[str, Any]], FetcherSummary]:
    """Route ``items``, run a fetcher until no page work is left; the ingest items."""
    routed = route_items(redis_client, settings, items)
    assert routed.pages + routed.shared == len(items)
    fetcher = PageFetcher(settings, redis_client, backoff=0.1, linger=0.05, **options)
    summary = fetcher.run(burst=True)
    queued: list[dict[str, Any]] = []
    for job in make_queue(redis_client, settings).jobs:
        queued += load_payload(redis_client, job.args[0]) or []
    return queued, summary


def by_url(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["url"]: item for item in items}


def test_robots_disallow_keeps_the_feed_text_and_never_requests_the_page(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """A path robots.txt disallows for news-pipeline is never requested; its item keeps
    the feed's summary with page_error robots; an allowed page on that host is fetched."""
    site.route("/robots.txt")(
        lambda req: send(req, b"User-agent: news-pipeline\nDisallow: /private/\n")
    )
    serve_article(site, "/private/story", article_html("Secret"))
    serve_article(site, "/public/story", article_html("Open"))
    items, summary = run_pages(
        redis_client,
        page_settings,
        [feed_item(site.base + "/private/story"), feed_item(site.base + "/public/story")],
    )
    got = by_url(items)
    refused = got[site.base + "/private/story"]
    assert (refused["text"], refused["text_source"], refused["page_error"]) == (
        SUMMARY,
        "summary",
        "robots",
    )
    assert got[site.base + "/public/story"]["text_source"] == "page"
    assert "/private/story" not in site.paths()
    assert site.paths().count("/robots.txt") == 1
    assert summary.outcomes == {"robots": 1, "page": 1}
    assert read_outcomes(redis_client, page_settings)["robots"] == 1


def test_robots_unreachable_means_wait_then_give_up(
    site: LocalServer, make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """robots.txt answering 503 disallows the site for a while (RFC 9309): the page is
    not requested, is retried, and falls back with retries_exhausted."""
    site.route("/robots.txt")(lambda req: send(req, b"down", status=503))
    serve_article(site, "/story", article_html("Story"))
    settings = make_settings(fetch_allow_private=True, pages_host_delay=0, pages_retries=1)
    items, summary = run_pages(
        redis_client, settings, [feed_item(site.base + "/story")], unreachable_ttl=0.2
    )
    assert [i["page_error"] for i in items] == ["retries_exhausted"]
    assert "/story" not in site.paths()
    assert 1 <= site.paths().count("/robots.txt") <= 2  # not asked again for every try
    assert summary.retries == 1


def test_robots_404_allows_everything(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """No robots.txt (404) means no rules."""
    del site.routes["/robots.txt"]
    serve_article(site, "/story", article_html("Story"))
    items, _ = run_pages(redis_client, page_settings, [feed_item(site.base + "/story")])
    assert items[0]["text_source"] == "page"


def test_a_hanging_host_does_not_hold_up_another(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """Pages of 127.0.0.3 flow while every request to 127.0.0.2 hangs until its 3 s deadline."""
    settings = make_settings(
        fetch_allow_private=True, fetch_timeout=3, pages_host_delay=0.05, pages_retries=0
    )
    with local_server("127.0.0.2") as slow, local_server("127.0.0.3") as fast:
        for server in (slow, fast):
            server.route("/robots.txt")(lambda req: send(req, b""))

        def hang(req: BaseHTTPRequestHandler) -> None:
            slow.stopping.wait(10)

        for i in range(4):
            slow.route(f"/s{i}")(hang)
            serve_article(fast, f"/f{i}", article_html(f"Fast {i}"))
        items = [feed_item(f"{slow.base}/s{i}") for i in range(4)]
        items += [feed_item(f"{fast.base}/f{i}") for i in range(4)]
        started = time.monotonic()
        queued, _ = run_pages(redis_client, settings, items)
        elapsed = time.monotonic() - started
        fast_done = [t - started for t, p in zip(fast.times, fast.paths(), strict=True)]
    outcome = {i["url"]: i["page_error"] or i["text_source"] for i in queued}
    assert [outcome[f"{fast.base}/f{i}"] for i in range(4)] == ["page"] * 4
    assert [outcome[f"{slow.base}/s{i}"] for i in range(4)] == ["retries_exhausted"] * 4
    assert max(fast_done) < 2.0  # the fast host never waited out the slow one's 3 s deadline
    # the slow host's two slots each waited out two deadlines: bounded, not serialised
    assert elapsed < 2 * 3 + 3


def test_429_with_retry_after_is_retried_after_the_wait(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """A 429 with Retry-After: 1 is tried again no sooner than a second later, then lands."""
    answers = iter([429])

    def busy(req: BaseHTTPRequestHandler) -> None:
        status = next(answers, 200)
        if status == 429:
            send(req, b"slow down", status=429, headers={"Retry-After": "1"})
        else:
            send(req, article_html("Story"), headers={"Content-Type": "text/html"})

    site.route("/story")(busy)
    items, summary = run_pages(redis_client, page_settings, [feed_item(site.base + "/story")])
    assert items[0]["text_source"] == "page"
    times = [t for t, p in zip(site.times, site.paths(), strict=True) if p == "/story"]
    assert len(times) == 2 and times[1] - times[0] >= 1.0
    assert summary.retries == 1
    [host] = read_hosts(redis_client, page_settings)
    assert (host.pages, host.retries) == (1, 1)
    assert host.last_error is not None and "429" in host.last_error


def test_404_and_a_pdf_fall_back_with_their_reason(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """A missing page and a PDF keep the feed's text: http_4xx and not_html, no retry."""
    site.route("/report.pdf")(
        lambda req: send(req, b"%PDF-1.7\n...", headers={"Content-Type": "application/pdf"})
    )
    site.route("/mislabelled")(
        lambda req: send(req, b"%PDF-1.7\n...", headers={"Content-Type": "text/html"})
    )
    urls = [site.base + p for p in ("/gone", "/report.pdf", "/mislabelled")]
    title_only = feed_item(urls[0], summary=None)
    items, summary = run_pages(
        redis_client, page_settings, [title_only, feed_item(urls[1]), feed_item(urls[2])]
    )
    got = by_url(items)
    assert (got[urls[0]]["text"], got[urls[0]]["text_source"], got[urls[0]]["page_error"]) == (
        "Trams for Lisbon",
        "title",
        "http_4xx",
    )
    assert got[urls[1]]["page_error"] == got[urls[2]]["page_error"] == "not_html"
    assert summary.retries == 0
    assert site.paths().count("/gone") == 1


def test_redirect_to_a_private_name_is_refused_without_dialling_it(
    site: LocalServer,
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    dials: list[str],
) -> None:
    """A page that redirects to a name resolving to 10.0.0.5 falls back with
    private_address; only the origin (allow-listed) was ever dialled."""
    settings = make_settings(fetch_timeout=2, pages_host_delay=0, pages_retries=0)
    site.route("/jump")(
        lambda req: send(req, b"", status=302, headers={"Location": "http://intranet.test/x"})
    )

    def resolver(host: str, port: int) -> list[str]:
        return {"intranet.test": ["10.0.0.5"]}[host]

    limits = page_limits(settings)
    limits = FetchLimits(
        timeout=limits.timeout,
        max_bytes=limits.max_bytes,
        user_agent=limits.user_agent,
        allowed_hosts=frozenset({f"127.0.0.1:{site.port}"}),
    )
    items, _ = run_pages(
        redis_client, settings, [feed_item(site.base + "/jump")], limits=limits, resolver=resolver
    )
    assert items[0]["page_error"] == "private_address"
    assert items[0]["text_source"] == "summary"
    assert set(dials) == {"127.0.0.1"}


def test_gzip_bomb_and_oversized_page_are_capped(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """A gzip body inflating to 1 GiB and a 3 GB Content-Length both end as too_large,
    fast: the cap counts decoded bytes."""
    block = gzip.compress(bytes(64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KB

    site.route("/bomb")(
        lambda req: send(
            req, block, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
        )
    )

    def huge(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", str(3 * 1024**3))
        req.end_headers()
        req.wfile.write(b"<html>")

    site.route("/huge")(huge)
    started = time.monotonic()
    items, _ = run_pages(
        redis_client,
        page_settings,
        [feed_item(site.base + "/bomb"), feed_item(site.base + "/huge")],
    )
    assert [i["page_error"] for i in items] == ["too_large", "too_large"]
    assert time.monotonic() - started < 5


def test_page_without_an_article_body_falls_back(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """A page of navigation and nothing else: no_body, the feed's summary kept."""
    site.route("/empty")(
        lambda req: send(
            req,
            b"<html><body><nav><a href='/'>Home</a></nav><footer>(c)</footer></body></html>",
            headers={"Content-Type": "text/html"},
        )
    )
    items, _ = run_pages(redis_client, page_settings, [feed_item(site.base + "/empty")])
    assert (items[0]["page_error"], items[0]["text"]) == ("no_body", SUMMARY)


def test_a_link_several_feeds_carry_is_fetched_once(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """Two feeds link the same page (one with tracking parameters): one request, one item;
    the same link arriving after the fetch is not fetched again either."""
    serve_article(site, "/story", article_html("Story"))
    first = feed_item(site.base + "/story")
    second = feed_item(site.base + "/story?utm_source=rss").model_copy(
        update={"source": "http://other.test/rss"}
    )
    items, _ = run_pages(redis_client, page_settings, [first, second])
    assert len(items) == 1 and site.paths().count("/story") == 1
    later = route_items(redis_client, page_settings, [first])
    assert (later.pages, later.shared) == (0, 1)
    assert read_outcomes(redis_client, page_settings)["shared"] == 2


def test_page_fills_what_the_feed_lacks(
    site: LocalServer, page_settings: Settings, redis_client: redis.Redis
) -> None:
    """Date, authors, language and a same-site canonical URL come from the page; a
    canonical URL on another site is ignored; the feed's own date is never replaced."""
    serve_article(
        site,
        "/a",
        article_html(
            "A",
            lang="pt-PT",
            canonical="/canonical/a",
            published="2025-11-30T10:00:00Z",
            author="Rui Matos",
        ),
    )
    serve_article(site, "/b", article_html("B", canonical="https://elsewhere.example/b"))
    dated = feed_item(site.base + "/b").model_copy(
        update={"published": "2025-12-02T08:00:00Z", "published_provenance": "feed"}
    )
    items, _ = run_pages(redis_client, page_settings, [feed_item(site.base + "/a"), dated])
    got = by_url(items)
    a, b = got[site.base + "/a"], got[site.base + "/b"]
    assert (a["published"], a["published_provenance"]) == ("2025-11-30T10:00:00Z", "page")
    assert (a["authors"], a["language"]) == (["Rui Matos"], "pt-PT")
    assert a["page_canonical_url"] == site.base + "/canonical/a"
    assert a["summary"] == SUMMARY and a["text"].split("\n\n") == BODY
    assert (b["published"], b["published_provenance"]) == ("2025-12-02T08:00:00Z", "feed")
    assert b["page_canonical_url"] is None


def test_per_host_delay_spaces_requests_across_two_fetchers(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, site: LocalServer
) -> None:
    """Two fetchers at once share one host's limit: requests start at least the delay apart."""
    settings = make_settings(fetch_allow_private=True, pages_host_delay=0.3, pages_per_host=1)
    for i in range(6):
        serve_article(site, f"/p{i}", article_html(f"P{i}"))
    route_items(redis_client, settings, [feed_item(f"{site.base}/p{i}") for i in range(6)])
    fetchers = [PageFetcher(settings, redis_client, linger=0.05) for _ in range(2)]
    threads = [threading.Thread(target=f.run, kwargs={"burst": True}) for f in fetchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    starts = sorted(t for t, p in zip(site.times, site.paths(), strict=True) if p != "/robots.txt")
    assert len(starts) == 6
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # 0.3 s apart at the claim; arrival at the server jitters on a loaded machine
    assert starts[-1] - starts[0] >= 5 * 0.3 - 0.2
    assert min(gaps) >= 0.1
    assert sum(f.summary.pages for f in fetchers) == 6
    assert Frontier(redis_client, settings).depth().empty


def test_a_long_ingest_queue_pauses_page_fetching(
    site: LocalServer, make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """Above PIPELINE_PAGES_MAX_BACKLOG queued ingest jobs no page is requested; once NER
    has caught up, fetching resumes by itself."""
    settings = make_settings(
        fetch_allow_private=True, pages_host_delay=0, pages_max_backlog=2, batch_size=1
    )
    whole = " ".join(BODY)
    backlog = [
        RawItem(source="backlog", kind="text", text=f"{whole} {n}", title=f"Backlog {n}")
        for n in range(3)
    ]
    route_items(redis_client, settings, backlog)  # three ingest jobs: over the limit
    serve_article(site, "/story", article_html("Story"))
    route_items(redis_client, settings, [feed_item(site.base + "/story")])
    stop = threading.Event()
    fetcher = PageFetcher(settings, redis_client, linger=0.05)
    thread = threading.Thread(target=fetcher.run, kwargs={"stop": stop})
    thread.start()
    try:
        time.sleep(1.5)
        assert site.paths() == []
        assert redis_client.get(settings.key("pages", "paused")) == b"1"
        make_queue(redis_client, settings).empty()  # the workers caught up
        deadline = time.monotonic() + 5
        while fetcher.summary.pages < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert site.paths().count("/story") == 1
    assert fetcher.summary.outcomes == {"page": 1}
