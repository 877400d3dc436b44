"""`pipeline fetch` then `pipeline worker --burst`: a title-only feed becomes whole articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pipeline.cli import main
from pipeline.settings import Settings
from tests.integration.http_server import LocalServer, local_server, send
from tests.integration.pages_site import BODY, article_html, serve_article, title_only_feed

pytestmark = pytest.mark.integration


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with local_server() as server:
        server.route("/robots.txt")(lambda req: send(req, b"User-agent: *\nAllow: /\n"))
        yield server


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("PIPELINE_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PIPELINE_FETCH_TIMEOUT", "5")
    monkeypatch.setenv("PIPELINE_PAGES_HOST_DELAY", "0")
    return settings


def _articles(client: redis.Redis, settings: Settings) -> list[dict[str, object]]:
    return [json.loads(f[b"article"]) for _, f in client.xrange(settings.articles_stream)]


def test_title_only_feed_lands_with_page_text_and_its_entities(
    site: LocalServer, env: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The stream holds the page's body, the feed's title, entities found in the body."""
    serve_article(
        site,
        "/news/trams",
        article_html(
            "Lisbon to open three tram lines",
            published="2025-12-01T09:30:00+00:00",
            author="Ana Costa",
        ),
    )
    feed_title = "Lisbon announces new tram lines"
    site.route("/feed.xml")(
        lambda req: send(req, title_only_feed([(feed_title, site.base + "/news/trams")]))
    )
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(site.base + "/feed.xml\n")
    assert main(["--log-level", "WARNING", "fetch", "--feeds", str(feeds)]) == 0
    assert main(["--log-level", "WARNING", "worker", "--burst"]) == 0

    [article] = _articles(redis_client, env)
    assert article["title"] == feed_title
    assert article["text_source"] == "page"
    assert article["page_error"] is None
    assert article["text"].split("\n\n") == BODY
    assert article["summary"] is None
    assert article["authors"] == ["Ana Costa"]
    assert (article["published"], article["published_provenance"]) == (
        "2025-12-01T09:30:00Z",
        "page",
    )
    names = {e["name"] for e in article["entities"]}
    assert {"Maria Silva", "Lisbon"} <= names
    assert site.paths().count("/news/trams") == 1
    assert site.requests[-1][1]["user-agent"].startswith("news-pipeline/")


def test_feed_with_full_text_requests_no_page(
    site: LocalServer,
    env: Settings,
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Items that carry the whole article in their description are taken as they are."""
    monkeypatch.setenv("PIPELINE_ENRICH", "false")
    whole = " ".join(BODY)
    feed = title_only_feed([("Trams", site.base + "/news/trams")], description=whole)
    site.route("/feed.xml")(lambda req: send(req, feed))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(site.base + "/feed.xml\n")
    assert main(["--log-level", "WARNING", "fetch", "--feeds", str(feeds)]) == 0
    assert main(["--log-level", "WARNING", "worker", "--burst"]) == 0
    [article] = _articles(redis_client, env)
    assert (article["text_source"], article["page_error"]) == ("feed", None)
    assert article["text"] == whole
    assert site.paths() == ["/feed.xml"]


def test_jsonl_of_bare_links_is_fetched_and_extracted(
    site: LocalServer,
    env: Settings,
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`pipeline replay` of lines with a url and no text: each page becomes the article;
    a dead link with a title keeps its title; a dead link with nothing is a dead letter."""
    monkeypatch.setenv("PIPELINE_ENRICH", "false")
    serve_article(site, "/a", article_html("A story"))
    serve_article(site, "/b", article_html("B story", lang="pt"))
    links = tmp_path / "links.jsonl"
    links.write_text(
        "\n".join(
            json.dumps(line)
            for line in (
                {"url": site.base + "/a"},
                {"url": site.base + "/b", "title": "Given title"},
                {"url": site.base + "/missing", "title": "Only a title"},
                {"url": site.base + "/missing-too"},
            )
        )
        + "\n"
    )
    assert main(["--log-level", "WARNING", "replay", str(links)]) == 0
    assert main(["--log-level", "WARNING", "worker", "--burst"]) == 0
    got = {a["url"]: a for a in _articles(redis_client, env)}
    a, b, missing = got[site.base + "/a"], got[site.base + "/b"], got[site.base + "/missing"]
    assert (a["text_source"], a["title"], a["kind"]) == ("page", "A story", "jsonl")
    assert a["text"].split("\n\n") == BODY
    assert (b["title"], b["text_source"]) == ("Given title", "page")
    assert (missing["text"], missing["text_source"], missing["page_error"]) == (
        "Only a title",
        "title",
        "http_4xx",
    )
    [(_, dead)] = redis_client.xrange(env.dead_stream)
    assert dead[b"stage"] == b"page"
    assert b"missing-too" in dead[b"reason"] and b"http_4xx" in dead[b"reason"]
    assert len(got) == 3
