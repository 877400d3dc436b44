"""The /metrics of real worker processes after a replay: every series, once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.cli import main
from pipeline.ops.localredis import free_port
from pipeline.settings import Settings
from pipeline.telemetry.histograms import STAGES
from tests.integration.metrics_scrape import (
    kill_group,
    scrape,
    serving,
    start_pipeline,
    stop,
    wait_for,
)

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[2] / "seeds"
LINES = 7  # distinct JSON lines, beside the seed, its copy and one bad line


def _inputs(folder: Path) -> Path:
    shutil.copytree(SEEDS, folder)
    seed = next(folder.glob("*.txt"))
    shutil.copy(seed, folder / "copy-of-the-seed.txt")  # a repeat: same text, same id
    lines = [
        json.dumps(
            {
                "id": f"m{i}",
                "title": f"Report {i}",
                "text": f"Maria Silva met officials in Lisbon on Monday for talk number {i}.",
                "published": "2025-12-01",
            }
        )
        for i in range(LINES)
    ]
    (folder / "lines.jsonl").write_text("\n".join([*lines, "{not json"]) + "\n")
    return folder


@pytest.mark.parametrize("fork", [False, True], ids=["simple", "fork"])
def test_worker_serves_every_series_after_a_replay(
    fork: bool, settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A worker (with --fork too: jobs run in children that exit) serves, after a replay of
    seeds and lines with a repeat and a bad line: outcomes, items in, the queue, per-stage
    latency and batch histograms whose counts match the articles, feed and page series,
    workers, and its own process figures."""
    port = free_port()
    env = {
        "PIPELINE_REDIS_URL": settings.redis_url,
        "PIPELINE_METRICS_PORT": str(port),
        "PIPELINE_BATCH_SIZE": "3",
        "PIPELINE_PAGES": "false",
    }
    worker = start_pipeline(["worker", *(["--fork"] if fork else [])], env)
    try:
        wait_for(lambda: serving(port), "the worker's metrics endpoint", process=worker)
        folder = _inputs(tmp_path / "in")
        assert (
            main(["--redis-url", settings.redis_url, "replay", "--batch-size", "3", str(folder)])
            == 0
        )
        articles = 1 + LINES
        wait_for(
            lambda: (
                redis_client.xlen(settings.articles_stream) == articles
                and scrape(port).value("pipeline_queue_jobs", state="running") == 0
                and scrape(port).value("pipeline_queue_jobs", state="queued") == 0
            ),
            "every article written",
            process=worker,
        )
        wait_for(
            lambda: scrape(port).value("pipeline_batch_items_count") == 3,
            "the last batch's figures",
        )
        m = scrape(port)
    finally:
        stop(worker)

    assert m.value("pipeline_redis_up") == 1
    assert m.value("pipeline_metrics_lease_held") == 1
    assert m.value("pipeline_articles_total", outcome="new") == articles
    assert m.value("pipeline_articles_total", outcome="repeat") == 1
    assert m.value("pipeline_articles_total", outcome="dead") == 1  # the bad line
    assert m.value("pipeline_items_in_total", kind="seed") == 2
    assert m.value("pipeline_items_in_total", kind="jsonl") == LINES
    assert m.value("pipeline_stream_length", stream=settings.articles_stream) == articles
    assert m.value("pipeline_stream_length", stream=settings.dead_stream) == 1
    assert m.value("pipeline_queue_oldest_job_age_seconds") == 0
    assert m.value("pipeline_queue_jobs", state="failed") == 0
    # 9 readable items in batches of 3: 3 jobs
    assert m.value("pipeline_batch_items_count") == 3
    assert m.value("pipeline_batch_items_sum") == 2 + LINES
    assert m.value("pipeline_batch_duration_seconds_count") == 3
    assert m.value("pipeline_batch_duration_seconds_sum") > 0
    assert m.labels_of("pipeline_stage_duration_seconds_count", "stage") == set(STAGES)
    counts = {s: m.value("pipeline_stage_duration_seconds_count", stage=s) for s in STAGES}
    # read: every item read (the bad line too); normalize: every item of a batch;
    # NER and dates: the English articles; write: what each write was handed
    assert counts == {
        "read": 2 + LINES + 1,
        "page_fetch": 0,
        "normalize": 2 + LINES,
        "ner": 2 + LINES,
        "dates": 2 + LINES,
        "write": 2 + LINES,
    }
    for stage in ("read", "normalize", "ner", "dates", "write"):
        assert m.value("pipeline_stage_duration_seconds_sum", stage=stage) > 0
        inf = m.value("pipeline_stage_duration_seconds_bucket", stage=stage, le="+Inf")
        assert inf == counts[stage]
    assert (
        m.value("pipeline_workers", state="busy") + m.value("pipeline_workers", state="idle") == 1
    )
    assert m.value("pipeline_feed_fetches_total", outcome="new") == 0
    assert m.value("pipeline_page_fetches_total", outcome="page") == 0
    assert m.value("pipeline_page_queue", state="queued") == 0
    assert m.value("pipeline_feeds", state="failing") == 0
    assert m.value("pipeline_feed_gaps_total") == 0
    assert m.value("process_resident_memory_bytes") > 0
    assert len(m.families) == len(set(m.families)), "a metric family is served twice"


def test_only_one_process_serves_the_redis_series(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    """Two workers serve /metrics: the Redis figures come from one of them only, so a sum
    over both counts each once; when that one is killed the other takes over."""
    settings = make_settings()
    ports = [free_port(), free_port()]
    base = {
        "PIPELINE_REDIS_URL": settings.redis_url,
        "PIPELINE_ENRICH": "false",
        "PIPELINE_PAGES": "false",
        "PIPELINE_METRICS_LEASE_SECONDS": "2",
    }
    workers = [
        start_pipeline(["worker"], {**base, "PIPELINE_METRICS_PORT": str(port)}) for port in ports
    ]
    try:
        for port, worker in zip(ports, workers, strict=True):
            wait_for(lambda port=port: serving(port), "a metrics endpoint", process=worker)
        redis_client.hset(settings.key("stats"), "new", 5)
        scrapes = [scrape(port) for port in ports]
        served = [s.has("pipeline_articles_total") for s in scrapes]
        assert served.count(True) == 1
        holder = served.index(True)
        other = 1 - holder
        assert scrapes[holder].value("pipeline_metrics_lease_held") == 1
        assert scrapes[other].value("pipeline_metrics_lease_held") == 0
        assert scrapes[other].value("pipeline_redis_up") == 1
        assert (
            sum(
                s.value("pipeline_articles_total", outcome="new")
                for s, on in zip(scrapes, served, strict=True)
                if on
            )
            == 5
        )

        kill_group(workers[holder])  # no chance to give the lease up
        wait_for(
            lambda: scrape(ports[other]).has("pipeline_articles_total"),
            "the other worker to take the lease over",
            timeout=15,
        )
        taken = scrape(ports[other])
        assert taken.value("pipeline_articles_total", outcome="new") == 5
        assert taken.value("pipeline_metrics_lease_held") == 1
    finally:
        for worker in workers:
            stop(worker)
