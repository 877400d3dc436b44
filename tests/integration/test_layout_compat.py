"""What users and Redis depend on survives the re-layout: public imports and queued job names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import redis
from rq import Callback, Queue, Retry
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

from pipeline.models import RawItem, utc_now
from pipeline.settings import Settings
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration

# Spelled out, not imported from pipeline.queueing: a rename must fail this test.
PROCESS_BATCH = "pipeline.workers.jobs.process_batch"
ON_FAILURE = "pipeline.workers.jobs.dead_letter_failed_batch"


def test_public_consumer_import_path() -> None:
    """`from pipeline.streams import Consumer` (README) still works."""
    from pipeline.streams import Consumer, StreamEntry

    assert Consumer.__name__ == "Consumer" and StreamEntry.__name__ == "StreamEntry"


def test_job_function_names_resolve() -> None:
    """The dotted names stored in queued jobs still name the job function and its callback."""
    assert callable(import_attribute(PROCESS_BATCH))  # type: ignore[arg-type]
    assert callable(import_attribute(ON_FAILURE))  # type: ignore[arg-type]


def test_a_job_queued_before_the_upgrade_runs_after_it(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """A batch job in the shape earlier releases queued (payload key as its one argument,
    functions named by dotted path) is processed by today's worker."""
    item = RawItem(
        source="old-release", kind="text", text="Queued before the upgrade.", fetched=utc_now()
    )
    key = settings.key("batch", "batch-from-an-earlier-release")
    redis_client.set(key, json.dumps([item.model_dump(mode="json")]))
    queue = Queue(settings.queue_name, connection=redis_client, serializer=JSONSerializer)
    queue.enqueue_call(
        PROCESS_BATCH,
        args=(key,),
        job_id="batch-from-an-earlier-release",
        retry=Retry(max=1),
        on_failure=Callback(ON_FAILURE),
    )
    run_worker(settings.model_copy(update={"enrich": False}), redis_client, burst=True)
    entries = redis_client.xrange(settings.articles_stream)
    assert [json.loads(f[b"article"])["text"] for _, f in entries] == ["Queued before the upgrade."]


@pytest.mark.parametrize(
    "module",
    ["pipeline.streams", "pipeline.ops.metrics", "pipeline.ops.stats", "pipeline.workers.jobs"],
)
def test_light_parts_do_not_load_the_feed_or_http_stack(module: str) -> None:
    """Importing the client or the metrics every worker serves loads neither the HTTP and
    feed stack nor spaCy; the job module loads no feed or HTTP code of ours (spaCy itself
    imports httpx, so that one is not checked there)."""
    ours = ["feedparser", "pipeline.fetch.http", "pipeline.fetch.feeds.fetcher"]
    heavy = ours if module == "pipeline.workers.jobs" else [*ours, "httpx", "httpcore", "spacy"]
    code = f"import sys, {module}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
