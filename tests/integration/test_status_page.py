"""The status page in a real browser, after a replay of seeds/ and a fetch of local feeds:
what it shows, that hostile feed text stays text, and that it loads nothing from elsewhere."""

from __future__ import annotations

import html
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.cli import main
from pipeline.ops.localredis import free_port
from pipeline.ops.web.server import make_server, serve_in_thread
from pipeline.settings import Settings
from pipeline.workers.start import run_worker
from tests.integration.browser import chromium, require_browser
from tests.integration.feeds_server import FeedServer, Route, make_rss
from tests.integration.metrics_scrape import start_pipeline, stop, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SEEDS = ROOT / "seeds"
ARTIFACTS = ROOT / "tests" / "artifacts"
# a feed title that, once the XML is decoded, is markup: the pipeline keeps it as the text it is
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Wire & Co'
ARTICLE = (
    "Maria Silva, the mayor of Lisbon, met union leaders on Monday to discuss the strike. "
    "She said the talks would resume next week. "
) * 3


def _prepare(server: FeedServer, settings: Settings, client: redis.Redis, tmp: Path) -> str:
    """A hostile feed, a failing feed, seeds, a copy of the seed, a bad line; a worker run;
    a consumer group with one pending entry. Returns the seed's title."""
    server.routes["/hostile"] = Route(make_rss([("story-1", ARTICLE)], title=html.escape(HOSTILE)))
    feeds = tmp / "feeds.txt"
    feeds.write_text(f"{server.url('/hostile')}\n{server.url('/gone')}\n")
    base = ["--redis-url", settings.redis_url, "--log-level", "WARNING"]
    assert main([*base, "fetch", "--feeds", str(feeds)]) == 0
    # the hostile feed's title is known; now it fails, and the page lists it with that title
    server.routes["/hostile"] = Route(b"down for maintenance", status=503)
    assert main([*base, "fetch", "--feeds", str(feeds)]) == 0
    seed_text = next(SEEDS.glob("*.txt")).read_text()
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / "a-seed.txt").write_text(seed_text)  # read first: the original
    # the seed's text without its date header and dateline: the same article under another id
    body = seed_text.split(":", 1)[1].strip()
    copy = {"id": "syndicated-copy", "text": body, "title": "Wire copy"}
    (inbox / "more.jsonl").write_text(json.dumps(copy) + "\n{this line is not json\n")
    assert main([*base, "replay", str(inbox)]) == 0
    run_worker(settings, client, burst=True, pages=False)
    client.xgroup_create(settings.articles_stream, "indexer", id="0")
    client.xreadgroup("indexer", "c1", {settings.articles_stream: ">"}, count=1)
    entries = client.xrange(settings.articles_stream)
    titles = [json.loads(f[b"article"])["title"] for _, f in entries]
    return next(t for t in titles if t.startswith("Israeli Prime Minister"))


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE"]


def _requested_urls(performance: list[dict[str, Any]]) -> set[str]:
    urls = set()
    for entry in performance:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    return urls


def test_status_page_in_a_real_browser(
    server: FeedServer,
    make_settings: Any,
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a replay of seeds/ the page shows the seed's title and entities, a copy with
    its original, the failing feed with its reason, the dead letter, the consumer group;
    a feed title carrying <script> shows as text and runs nothing; the console has no
    error; every request goes to the page itself; new articles appear without a reload."""
    require_browser()
    monkeypatch.setenv("PIPELINE_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PIPELINE_PAGES", "false")
    settings = make_settings(fetch_allow_private=True, pages=False)
    seed_title = _prepare(server, settings, redis_client, tmp_path)

    port = free_port()
    web = start_pipeline(
        ["web", "--port", str(port), "--refresh", "1"], {"PIPELINE_REDIS_URL": settings.redis_url}
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(origin), "the status page", timeout=30, process=web)
        with chromium(tmp_path / "profile") as driver:
            driver.get(origin + "/")  # type: ignore[attr-defined]
            pause = driver.find_element("id", "pause")  # type: ignore[attr-defined]
            pause.click()  # hold the page still while it is read
            assert pause.text == "Resume refresh"
            text = driver.find_element("tag name", "body").text  # type: ignore[attr-defined]

            assert seed_title[:60] in text
            chips = [c.text for c in driver.find_elements("css selector", ".chip")]  # type: ignore[attr-defined]
            assert any(c.startswith("Benjamin Netanyahu") and c.endswith("PERSON") for c in chips)
            assert "Hamas\nORG" in chips or "HamasORG" in [c.replace("\n", "") for c in chips]
            assert "“Saturday” → 2025-11-29" in text
            # the hour's throughput, from the per-minute counts in Redis: this page process
            # started after the articles were written
            assert "3 written in the hour" in text
            # the hostile feed title is shown as the text it is, and ran nothing
            feeds = driver.find_element("css selector", "section[aria-label='failing feeds']")  # type: ignore[attr-defined]
            assert HOSTILE in feeds.text and "HTTP 503" in feeds.text
            assert driver.execute_script("return window.__pwned === undefined")  # type: ignore[attr-defined]
            assert not driver.find_elements("css selector", "main img")  # type: ignore[attr-defined]

            assert "exact copy" in text and "copy of" in text
            copy = driver.find_element("css selector", ".copy-of")  # type: ignore[attr-defined]
            assert seed_title[:40] in copy.text
            assert server.url("/gone") in text and "HTTP 404" in text
            assert "not JSON" in text  # the dead letter's reason
            groups = driver.find_element("css selector", "section[aria-label='consumer groups']")  # type: ignore[attr-defined]
            assert "indexer" in groups.text

            ARTIFACTS.mkdir(exist_ok=True)
            driver.get(origin + "/")  # type: ignore[attr-defined]
            for _ in range(2):  # the whole page: its height changes with the window's
                height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
                driver.set_window_size(1280, int(height) + 160)  # type: ignore[attr-defined]
            driver.save_screenshot(str(ARTIFACTS / "status-page.png"))  # type: ignore[attr-defined]

            # live: an article written now shows up by the page's own refresh
            # (a fresh load: the page refreshes itself)
            redis_client.xadd(
                settings.articles_stream,
                {
                    "id": "late",
                    "v": 1,
                    "article": json.dumps({"id": "late", "title": "Late news arrives"}),
                },
            )
            deadline = time.monotonic() + 15
            while "Late news arrives" not in driver.find_element("tag name", "main").text:  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "the page did not refresh itself"
                time.sleep(0.2)

            console = driver.get_log("browser")  # type: ignore[attr-defined]
            assert _severe(console) == [], console
            # what went over the network (chrome:// is the browser's own new-tab page)
            urls = _requested_urls(driver.get_log("performance"))  # type: ignore[attr-defined]
            network = {u for u in urls if not u.startswith(("chrome:", "data:", "about:"))}
            assert origin + "/" in network
            assert all(u.startswith(origin + "/") for u in network), network
    finally:
        stop(web)


def _answers(origin: str) -> bool:
    try:
        with urllib.request.urlopen(origin + "/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_the_page_needs_only_read_commands(
    make_settings: Any, redis_client: redis.Redis, redis_server: Any
) -> None:
    """Served through a Redis user allowed only read commands, the page still shows the
    articles, dead letters and groups: it never writes (rq's registry clean-ups included)."""
    settings = make_settings(pages=False, enrich=False)
    main(["--redis-url", settings.redis_url, "--log-level", "WARNING", "replay", str(SEEDS)])
    run_worker(settings, redis_client, burst=True, pages=False)
    redis_client.xgroup_create(settings.articles_stream, "indexer", id="0")
    redis_client.execute_command(
        "ACL", "SETUSER", "viewer", "on", ">viewer-secret", "~*", "+@read", "+@connection"
    )
    viewer = redis.Redis.from_url(
        settings.redis_url.replace("redis://", "redis://viewer:viewer-secret@")
    )
    with pytest.raises(redis.exceptions.NoPermissionError):
        viewer.set("probe", "1")  # the user really cannot write
    server = make_server(viewer, settings, port=0)
    serve_in_thread(server)
    try:
        for path in ("/", "/?part=content"):
            with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=10) as response:
                html = response.read().decode()
            assert "Israeli Prime Minister" in html and "indexer" in html
    finally:
        server.shutdown()
        server.server_close()
        redis_client.execute_command("ACL", "DELUSER", "viewer")
