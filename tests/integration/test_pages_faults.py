"""The page fetcher outlives Redis going away: a real `pipeline pages` process, a real
redis-server SIGKILLed and started again on its port, a real page on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from bench._redisnode import RedisNode
from pipeline.fetch.pages.route import route_items
from pipeline.queueing import load_payload, make_queue
from pipeline.settings import Settings
from tests.conftest import RedisServer
from tests.integration.http_server import local_server, send
from tests.integration.pages_site import article_html, serve_article
from tests.integration.test_pages_fetcher import feed_item

pytestmark = pytest.mark.integration


def _queued_items(client: redis.Redis, settings: Settings) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for job in make_queue(client, settings).jobs:
        items += load_payload(client, job.args[0]) or []
    return items


def test_the_page_fetcher_carries_on_after_redis_restarts(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """`pipeline pages` running while redis-server is SIGKILLed and restarted: it does not
    exit, and a link routed after the restart is fetched and queued as the page's article."""
    node = RedisNode(tmp_path / "redis", binary=redis_server.binary, aof=True).start()
    with local_server() as site:
        site.route("/robots.txt")(lambda req: send(req, b"User-agent: *\nAllow: /\n"))
        serve_article(site, "/story", article_html("Trams return to Lisbon"))
        env = {
            **os.environ,
            "PIPELINE_REDIS_URL": node.url,
            "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
            "PIPELINE_PAGES_HOST_DELAY": "0",
            "PIPELINE_REDIS_TIMEOUT": "2",
        }
        fetcher = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "pages"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(3)  # started and polling the frontier
            assert fetcher.poll() is None, fetcher.stderr.read() if fetcher.stderr else ""
            node.kill()
            time.sleep(4)  # the fetcher meets the dead server at least once
            node.restart()
            client = redis.Redis.from_url(node.url)
            settings = Settings(redis_url=node.url, fetch_allow_private=True)
            route_items(client, settings, [feed_item(site.base + "/story")])
            deadline = time.monotonic() + 90
            while not (items := _queued_items(client, settings)):
                assert fetcher.poll() is None, fetcher.stderr.read() if fetcher.stderr else ""
                assert time.monotonic() < deadline, "the page was never fetched after the restart"
                time.sleep(0.5)
            assert [item["text_source"] for item in items] == ["page"]
            assert fetcher.poll() is None
        finally:
            fetcher.terminate()
            try:
                fetcher.wait(30)
            except subprocess.TimeoutExpired:
                fetcher.kill()
                fetcher.wait(5)
            node.stop()
    log = fetcher.stderr.read() if fetcher.stderr else ""
    assert '"pages_fetcher_restarting"' in log
