"""``pipeline stats --watch`` in its own process: the figures, refreshed, in 80 columns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import redis

from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from tests.integration.test_metrics import EnrichedArticle, utc_now

pytestmark = pytest.mark.integration


def test_watch_shows_the_figures_in_80_columns_and_stops_on_ctrl_c(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """Started in an 80-column terminal width, it shows the sections and the hour's
    sparkline, picks up an article written while it runs, and exits 0 on SIGINT."""
    watch = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "stats", "--watch",
         "--interval", "0.3"],
        env={**os.environ, "PIPELINE_REDIS_URL": settings.redis_url, "COLUMNS": "80"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        time.sleep(6)  # start-up imports the whole CLI
        article = EnrichedArticle(
            id="w1", source="t", kind="jsonl", text="x", fingerprint="f", fetched=utc_now()
        )
        BatchWriter(redis_client, settings).write([article])
        time.sleep(1.5)
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=20)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "last hour" in out and "│ now" in out
    for section in ("streams", "articles", "queue", "feeds", "pages", "workers"):
        # a section's title opens the left or the right column
        assert any(section in (line[:38].strip(), line[40:].strip()) for line in lines), section
    # the articles section opens the left column: its value ends that column
    assert any("written new" in line[:40] and line[:40].rstrip().endswith("1") for line in lines)
    assert "latency per article (mean)" in out
