"""`Consumer.run` on a real redis-server: splitting, reclaiming, poison, SIGTERM, order."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.models import DeadLetter, EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams import Consumer, StreamEntry
from tests.integration.consumers.conftest import make_article

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

ROOT = Path(__file__).parents[3]


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _pending(client: redis.Redis, stream: str, group: str) -> int:
    return int(client.xpending(stream, group)["pending"])


def _member(settings: Settings, name: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [settings.redis_url, settings.articles_stream, "indexer", name, str(log), *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.consumers.member", *args], cwd=ROOT
    )


def test_two_members_split_the_stream_each_entry_handled_once(
    settings: Settings, write: Callable[[int], None]
) -> None:
    """Two members of one group: every entry handled by exactly one of them."""
    write(400)
    handled: dict[str, list[str]] = {"a": [], "b": []}
    stop = threading.Event()

    def member(name: str) -> None:
        client = redis.Redis.from_url(settings.redis_url)
        consumer = Consumer(client, settings.articles_stream, "indexer", name)

        def handle(article: EnrichedArticle) -> None:
            handled[name].append(article.id)
            time.sleep(0.002)  # let the other member get its share

        consumer.run(handle, count=20, block_ms=100, stop=stop, handle_signals=False)

    threads = [threading.Thread(target=member, args=(n,)) for n in handled]
    for t in threads:
        t.start()
    _wait_for(lambda: len(handled["a"]) + len(handled["b"]) >= 400)
    stop.set()
    for t in threads:
        t.join(10)
    every = Counter(handled["a"] + handled["b"])
    assert set(every) == {f"id{i}" for i in range(400)}
    assert max(every.values()) == 1
    assert handled["a"] and handled["b"]
    client = redis.Redis.from_url(settings.redis_url)
    assert _pending(client, settings.articles_stream, "indexer") == 0


def test_member_killed_between_read_and_ack_another_reclaims(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None], tmp_path: Path
) -> None:
    """SIGKILL mid-handling: the entries it held go to another member; nothing stays pending."""
    write(50)
    log = tmp_path / "killed.log"
    victim = _member(settings, "victim", log, "--hang-on", "id10", "--count", "50")
    try:
        _wait_for(lambda: "start id10" in _lines(log))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    done_by_victim = {line.split()[1] for line in _lines(log) if line.startswith("done")}
    # acknowledgements go with the next read: the victim's whole batch is still pending
    assert len(done_by_victim) == 10
    assert _pending(redis_client, settings.articles_stream, "indexer") == 50

    survivor = Consumer(
        redis_client, settings.articles_stream, "indexer", "survivor", claim_idle_ms=300
    )
    seen: list[str] = []
    stop = threading.Event()

    def handle(article: EnrichedArticle) -> None:
        seen.append(article.id)
        if len(seen) >= 50:
            stop.set()

    summary = survivor.run(handle, block_ms=100, stop=stop, handle_signals=False)
    # handled but not yet acknowledged by the victim: handled again (at-least-once)
    assert sorted(seen) == sorted(f"id{i}" for i in range(50))
    assert summary.handled == 50
    assert _pending(redis_client, settings.articles_stream, "indexer") == 0


def test_a_poison_entry_is_dead_lettered_after_n_deliveries_and_the_group_goes_on(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """A handler that always fails on one entry: dead letter after max_deliveries."""
    write(30)
    consumer = Consumer(
        redis_client, settings.articles_stream, "indexer", claim_idle_ms=50, max_deliveries=3
    )
    calls: Counter[str] = Counter()

    def handle(article: EnrichedArticle) -> None:
        calls[article.id] += 1
        if article.id == "id7":
            raise RuntimeError("cannot index id7: field too long")

    # 29 handled, 2 failed deliveries, 1 dead letter
    summary = consumer.run(handle, block_ms=50, limit=32, handle_signals=False)
    assert calls["id7"] == 3 and all(n == 1 for k, n in calls.items() if k != "id7")
    assert summary.handled == 29 and summary.failed == 2 and summary.dead_lettered == 1
    [(_, raw)] = redis_client.xrange(settings.dead_stream)
    letter = DeadLetter.model_validate({k.decode(): v.decode() for k, v in raw.items()})
    entry_id = redis_client.xrange(settings.articles_stream)[7][0].decode()
    assert letter.stage == "consume" and letter.group == "indexer"
    assert letter.source == f"{settings.articles_stream}:{entry_id}"
    assert letter.error == "RuntimeError" and "field too long" in letter.reason
    assert letter.article_id == "id7" and json.loads(letter.input)["id"] == "id7"
    assert _pending(redis_client, settings.articles_stream, "indexer") == 0


def test_an_entry_that_kept_killing_its_members_is_dead_lettered_unhandled(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """Delivered more than max_deliveries times, never acknowledged: out, handler not called."""
    write(1)
    for n in range(3):  # three members read it and died
        Consumer(redis_client, settings.articles_stream, "g", f"dead{n}", claim_idle_ms=0).read()
    survivor = Consumer(
        redis_client, settings.articles_stream, "g", "s", claim_idle_ms=0, max_deliveries=2
    )
    handled: list[str] = []
    summary = survivor.run(lambda a: handled.append(a.id), limit=1, handle_signals=False)
    assert handled == [] and summary.dead_lettered == 1
    [(_, raw)] = redis_client.xrange(settings.dead_stream)
    assert raw[b"error"] == b"DeliveryLimitExceeded" and raw[b"group"] == b"g"


def test_bad_entries_and_newer_versions_are_dead_lettered_at_once(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """Invalid JSON and a schema version the client does not know: no redelivery helps."""
    stream = settings.articles_stream
    redis_client.xadd(stream, {"id": "x", "v": "1", "article": "{not json"})
    v2 = make_article(1).model_dump_json()
    redis_client.xadd(stream, {"id": "id1", "v": "2", "article": v2})
    write(1)
    consumer = Consumer(redis_client, stream, "g", max_deliveries=5)
    handled: list[str] = []
    summary = consumer.run(lambda a: handled.append(a.id), limit=3, handle_signals=False)
    assert handled == ["id0"] and summary.dead_lettered == 2
    errors = [f[b"error"].decode() for _, f in redis_client.xrange(settings.dead_stream)]
    assert errors == ["ValidationError", "UnsupportedSchemaVersion"]
    assert _pending(redis_client, stream, "g") == 0


def test_unknown_enum_values_and_fields_within_v1_reach_the_handler(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """A value added later within v1 (a new kind, a new label) does not break a v1 reader."""
    body = json.loads(make_article(1).model_dump_json())
    body["kind"] = "podcast"
    body["entities"][0]["label"] = "EVENT"
    body["added_in_a_later_release"] = {"x": 1}
    redis_client.xadd(
        settings.articles_stream, {"id": "id1", "v": "1", "article": json.dumps(body)}
    )
    got: list[EnrichedArticle] = []
    Consumer(redis_client, settings.articles_stream, "g").run(
        got.append, limit=1, handle_signals=False
    )
    assert got[0].kind == "podcast" and got[0].entities[0].label == "EVENT"
    with pytest.raises(ValueError):  # what the pipeline itself builds stays strict
        EnrichedArticle.model_validate_json(json.dumps(body))


def test_reading_the_dead_stream_never_writes_poison_back(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """A dead-letter consumer whose handler fails gives up on the entry, writing nothing."""
    redis_client.xadd(
        settings.dead_stream,
        {
            "stage": "read",
            "reason": "r",
            "error": "E",
            "source": "s",
            "at": "2025-01-01T00:00:00Z",
            "input": "{}",
            "article_id": "",
        },
    )
    consumer = Consumer(
        redis_client, settings.dead_stream, "alerts", claim_idle_ms=0, max_deliveries=2
    )

    def fail(letter: DeadLetter) -> None:
        assert letter.stage == "read"
        raise RuntimeError("pager down")

    summary = consumer.run(fail, limit=2, handle_signals=False)
    assert summary.failed == 1 and summary.skipped == 1
    assert redis_client.xlen(settings.dead_stream) == 1
    assert _pending(redis_client, settings.dead_stream, "alerts") == 0


def test_a_group_created_after_10000_entries_reads_them_all_in_order(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """A new service starts from the beginning of the stream and sees every entry once."""
    write(10_000)
    order: list[str] = []
    Consumer(redis_client, settings.articles_stream, "late").run_entries(
        lambda entry, article: order.append(entry.entry_id),
        limit=10_000,
        handle_signals=False,
    )
    all_ids = [eid.decode() for eid, _ in redis_client.xrange(settings.articles_stream)]
    assert order == all_ids and len(order) == 10_000
    assert _pending(redis_client, settings.articles_stream, "late") == 0


def test_sigterm_stops_after_the_current_entry_and_acknowledges_what_was_handled(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None], tmp_path: Path
) -> None:
    """SIGTERM mid-batch: the entry in hand finishes, handled ones are acknowledged."""
    write(20)
    log = tmp_path / "member.log"
    member = _member(settings, "m", log, "--delay", "0.3", "--count", "20")
    try:
        _wait_for(lambda: sum(line.startswith("done") for line in _lines(log)) >= 2)
        member.send_signal(signal.SIGTERM)
        assert member.wait(10) == 0
    finally:
        if member.poll() is None:
            member.kill()
    lines = _lines(log)
    started = [line.split()[1] for line in lines if line.startswith("start")]
    done = [line.split()[1] for line in lines if line.startswith("done")]
    assert started == done  # the entry in hand was finished, no new one begun
    assert 2 <= len(done) < 20
    pending = redis_client.xpending_range(
        settings.articles_stream, "indexer", min="-", max="+", count=100
    )
    entries = dict(redis_client.xrange(settings.articles_stream))
    still = {entries[p["message_id"]][b"id"].decode() for p in pending}
    assert still.isdisjoint(done) and len(still) == 20 - len(done)


def test_read_and_ack_keep_working_for_services_that_drive_the_loop(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """The low-level API: read a batch, acknowledge the entries."""
    write(3)
    consumer = Consumer(redis_client, settings.articles_stream, "manual")
    batch: list[StreamEntry] = consumer.read(count=10, block_ms=10)
    assert [e.article().id for e in batch] == ["id0", "id1", "id2"]
    assert consumer.ack(batch) == 3


def test_run_batches_isolates_a_poison_entry_and_acknowledges_the_rest(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """A batch handler that fails on one article: the others are handled and acknowledged,
    the failing one alone goes through its deliveries to the dead-letter stream."""
    write(10)
    stored: list[str] = []

    def store(articles: list[EnrichedArticle]) -> None:
        if any(a.id == "id4" for a in articles):
            raise RuntimeError("constraint violated by id4")
        stored.extend(a.id for a in articles)

    consumer = Consumer(
        redis_client, settings.articles_stream, "db", claim_idle_ms=0, max_deliveries=2
    )
    summary = consumer.run_batches(store, limit=11, block_ms=50, handle_signals=False)
    assert sorted(stored) == sorted(f"id{i}" for i in range(10) if i != 4)
    assert summary.handled == 9 and summary.failed == 1 and summary.dead_lettered == 1
    [(_, letter)] = redis_client.xrange(settings.dead_stream)
    assert letter[b"article_id"] == b"id4" and b"constraint violated" in letter[b"reason"]
    assert _pending(redis_client, settings.articles_stream, "db") == 0
