"""The monitoring profile against a real Prometheus (Debian's, unpacked by
scripts/prometheus-for-tests.sh): the config and rules load, the alert rules pass their unit
tests, and every dashboard query returns data from a real worker's scrapes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from pipeline.cli import main
from pipeline.fetch.pages.records import record_outcome
from pipeline.ops.localredis import free_port
from pipeline.settings import Settings
from pipeline.streams import Consumer
from tests.integration.feeds_server import FeedServer, Route, make_rss
from tests.integration.metrics_scrape import scrape, serving, start_pipeline, stop, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
MONITORING = ROOT / "monitoring" / "prometheus"
DASHBOARD = ROOT / "monitoring" / "grafana" / "dashboards" / "news-pipeline.json"
SEEDS = ROOT / "seeds"


def _binary(name: str) -> str:
    folder = os.environ.get("PIPELINE_TEST_PROMETHEUS_DIR")
    found = str(Path(folder) / "usr" / "bin" / name) if folder else shutil.which(name)
    if found and os.access(found, os.X_OK):
        return found
    message = f"no {name}: export PIPELINE_TEST_PROMETHEUS_DIR=$(scripts/prometheus-for-tests.sh)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_config_and_rules_load_and_the_alert_rules_pass_their_tests() -> None:
    """promtool: the compose Prometheus config (with its rule file), and the rules' unit
    tests (monitoring/prometheus/alerts_test.yml: which alert fires when, and what it says)."""
    promtool = _binary("promtool")
    for args in (
        ["check", "config", str(MONITORING / "prometheus.yml")],
        ["check", "rules", str(MONITORING / "alerts.yml")],
        ["test", "rules", str(MONITORING / "alerts_test.yml")],
    ):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Prometheus on a free loopback port; yields its URL and its config file (whose
    targets the test writes: file_sd, re-read every second)."""
    binary = _binary("prometheus")
    port = free_port()
    targets = tmp_path / "targets.json"
    targets.write_text("[]")
    shutil.copy(MONITORING / "alerts.yml", tmp_path / "alerts.yml")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [
            {
                "job_name": "pipeline",
                "file_sd_configs": [{"files": [str(targets)], "refresh_interval": "1s"}],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), "Prometheus", timeout=60, process=process)
        yield url, targets
    finally:
        stop(process)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _api(url: str, path: str, **params: str) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{query}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def _activity(server: FeedServer, settings: Settings, client: redis.Redis, tmp: Path, n: int):
    """One round of work: a replay, a poll of a working, a missing and a failing feed, a
    page host that fails (recorded as the page fetcher records it), and a consumer group
    that reads part of the stream."""
    folder = tmp / f"round{n}"
    folder.mkdir()
    lines = [
        json.dumps({"id": f"r{n}-{i}", "text": f"Round {n} story {i} in Lisbon."}) for i in range(5)
    ]
    (folder / "lines.jsonl").write_text("\n".join([*lines, "{bad"]) + "\n")
    base = ["--redis-url", settings.redis_url, "--log-level", "WARNING"]
    assert main([*base, "replay", str(folder)]) == 0
    server.routes["/news"] = Route(make_rss([(f"item-{n}-{i}", "text") for i in range(3)]))
    feeds = tmp / "feeds.txt"
    feeds.write_text(f"{server.url('/news')}\n{server.url('/gone')}\n{server.url('/down')}\n")
    assert main([*base, "fetch", "--feeds", str(feeds)]) == 0
    record_outcome(client, settings, "pages.example", "http_4xx", latency=0.2, error="410 Gone")
    consumer = Consumer(client, settings.articles_stream, "indexer")
    consumer.ack(consumer.read(count=2))  # two handled, the rest waiting: lag and pending
    consumer.read(count=1)


def test_every_dashboard_query_returns_data_from_a_real_worker(
    prometheus: tuple[str, Path],
    server: FeedServer,
    make_settings: Any,
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prometheus scrapes a worker while articles, feeds and pages come and go; then every
    query of the Grafana dashboard has an answer, and every alert rule evaluates cleanly."""
    url, targets = prometheus
    monkeypatch.setenv("PIPELINE_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("PIPELINE_PAGES", "false")
    settings = make_settings(fetch_allow_private=True, pages=False)
    server.routes["/down"] = Route(b"maintenance", status=503)
    port = free_port()
    env = {
        "PIPELINE_REDIS_URL": settings.redis_url,
        "PIPELINE_METRICS_PORT": str(port),
        "PIPELINE_PAGES": "false",
    }
    worker = start_pipeline(["worker"], env)
    try:
        wait_for(lambda: serving(port), "the worker's metrics", process=worker)
        targets.write_text(json.dumps([{"targets": [f"127.0.0.1:{port}"]}]))
        wait_for(
            lambda: _api(url, "query", query="pipeline_redis_up")["result"] != [],
            "Prometheus to scrape the worker",
            timeout=60,
        )
        for n in (1, 2):  # counters must move between scrapes for increase() to see them
            _activity(server, settings, redis_client, tmp_path, n)
            wait_for(
                lambda n=n: (
                    scrape(port).value("pipeline_batch_items_count") >= n
                    and scrape(port).value("pipeline_queue_jobs", state="queued") == 0
                ),
                "the worker to write the round",
                process=worker,
            )
            time.sleep(3)  # a few scrapes of this state

        dashboard = json.loads(DASHBOARD.read_text())
        empty = []
        asked = 0
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                asked += 1
                result = _api(url, "query", query=target["expr"])["result"]
                if not result:
                    empty.append(f"{panel['title']}: {target['expr']}")
        assert asked >= 30
        # Redis 6.2 cannot tell a group's lag (XINFO GROUPS has no "lag" before 7): that
        # panel stays empty there, as the README says, and only that one
        if int(redis_client.info("server")["redis_version"].split(".")[0]) < 7:
            lag = [query for query in empty if "pipeline_consumer_lag" in query]
            assert lag, "a lag on Redis 6.2 would be made up"
            empty = [query for query in empty if query not in lag]
        assert not empty, "queries without data:\n" + "\n".join(empty)

        groups = _api(url, "rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        assert len(rules) == 12
        assert all(rule["health"] == "ok" for rule in rules), rules
    finally:
        stop(worker)
