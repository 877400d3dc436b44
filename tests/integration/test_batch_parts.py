"""A batch is written in parts, each sent while the next is processed (real Redis)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.fetch.files.replay import replay_paths
from pipeline.models import EnrichedArticle, utc_now
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from pipeline.workers.jobs import PART
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration


def test_a_batch_of_several_parts_lands_whole_and_its_payload_goes(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Every item of a batch longer than a part lands once, bad ones are dead letters,
    and the batch's payload key is deleted once all its parts are written."""
    settings = make_settings(enrich=False, batch_size=3 * PART + 5)
    lines = [
        json.dumps({"id": f"a{i}", "text": f"Article number {i} says something new."})
        for i in range(3 * PART + 4)
    ]
    lines.insert(PART + 1, "not json")
    (tmp_path / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    replay_paths(redis_client, settings, [tmp_path])
    assert redis_client.keys(settings.key("batch", "*"))
    run_worker(settings, redis_client, burst=True)
    ids = sorted(f[b"id"].decode() for _, f in redis_client.xrange(settings.articles_stream))
    assert ids == sorted(f"a{i}" for i in range(3 * PART + 4))
    assert redis_client.xlen(settings.dead_stream) == 1
    assert redis_client.keys(settings.key("batch", "*")) == []


def test_a_write_after_the_server_lost_its_scripts_still_lands(settings: Settings) -> None:
    """SCRIPT FLUSH (or a restarted server) between two writes: the script is loaded
    again and the write lands once."""
    client = redis.Redis.from_url(settings.redis_url)
    writer = BatchWriter(client, settings)
    article = EnrichedArticle(
        id="a", source="t", kind="jsonl", text="x", fingerprint="f", fetched=utc_now()
    )
    writer.write([article])
    client.script_flush()
    again = writer.write([article.model_copy(update={"id": "b", "fingerprint": "g"})])
    assert [o.status for o in again.articles] == ["new"]
    assert client.xlen(settings.articles_stream) == 2
