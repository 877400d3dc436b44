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
