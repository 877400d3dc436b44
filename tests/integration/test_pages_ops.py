"""What operators see of page fetching: `pipeline hosts`, `pipeline stats --json` and the
metric, after a real fetcher run against local servers."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import pytest
import redis

from pipeline.cli import main
from pipeline.fetch.pages.fetcher import PageFetcher
from pipeline.fetch.pages.route import route_items
from pipeline.ops.localredis import free_port
from pipeline.ops.metrics import serve_metrics
from pipeline.settings import Settings
from tests.integration.http_server import local_server, send
from tests.integration.pages_site import article_html, serve_article
from tests.integration.test_pages_fetcher import feed_item

pytestmark = pytest.mark.integration


def test_hosts_stats_and_metric_show_page_fetching(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Per host: pages, fallbacks by reason, robots refusals, average latency."""
    settings = make_settings(fetch_allow_private=True, pages_host_delay=0, metrics_port=free_port())
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    with local_server("127.0.0.4") as a, local_server("127.0.0.5") as b:
        a.route("/robots.txt")(lambda req: send(req, b"User-agent: *\nDisallow: /no/\n"))
        b.route("/robots.txt")(lambda req: send(req, b""))
        serve_article(a, "/ok", article_html("Ok"))
        serve_article(b, "/ok", article_html("Ok"))
        items = [feed_item(a.base + p) for p in ("/ok", "/no/x", "/gone")]
        route_items(redis_client, settings, [*items, feed_item(b.base + "/ok")])
        PageFetcher(settings, redis_client, linger=0.05).run(burst=True)
    capsys.readouterr()  # the fetcher's own log lines

    assert main(["hosts", "--json"]) == 0
    hosts = {r["host"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    first = hosts["127.0.0.4"]
    assert (first["pages"], first["robots_refusals"]) == (1, 1)
    assert first["fallbacks"]["http_4xx"] == 1 and first["fallbacks"]["robots"] == 1
    assert first["average_latency_ms"] is not None and first["queued"] == 0
    assert hosts["127.0.0.5"]["pages"] == 1
    assert main(["hosts"]) == 0
    assert "127.0.0.4" in capsys.readouterr().out

    assert main(["stats", "--json"]) == 0
    pages = json.loads(capsys.readouterr().out)["pages"]
    assert pages == {
        "enabled": True,
        "queued": 0,
        "in_flight": 0,
        "retry_waiting": 0,
        "paused_for_backlog": False,
        "hosts": 2,
        "page": 2,
        "robots": 1,
        "http_4xx": 1,
        "not_html": 0,
        "too_large": 0,
        "no_body": 0,
        "private_address": 0,
        "retries_exhausted": 0,
        "retries": 0,
        "shared": 0,
    }

    server = serve_metrics(redis_client, settings)
    try:
        url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
    assert 'pipeline_page_fetches_total{outcome="page"} 2.0' in text
    assert 'pipeline_page_fetches_total{outcome="robots"} 1.0' in text
    assert 'pipeline_page_queue{state="queued"} 0.0' in text
    # by host, and each fetch's time in the latency histogram
    assert 'pipeline_page_host_fetches_total{host="127.0.0.4",outcome="robots"} 1.0' in text
    assert 'pipeline_page_host_fetches_total{host="127.0.0.5",outcome="page"} 1.0' in text
    assert 'pipeline_stage_duration_seconds_count{stage="page_fetch"} 4.0' in text
