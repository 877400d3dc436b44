"""Repeats are not enriched; an article taken for a repeat that is new by the time of the
write is enriched and written in a second round (real worker, real Redis, real model)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import redis

from pipeline.enrich.enricher import Enricher, EnrichInput, Enrichment, StageTimer
from pipeline.fetch.files.replay import replay_paths
from pipeline.models import Article
from pipeline.settings import Settings
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration

SEED = next((Path(__file__).parents[2] / "seeds").glob("*.txt"))


class CountingEnricher(Enricher):
    """The real enricher, counting the texts it is asked to enrich."""

    texts = 0

    def enrich(
        self, inputs: Sequence[EnrichInput], *, on_stage: StageTimer | None = None
    ) -> list[Enrichment]:
        CountingEnricher.texts += len(inputs)
        return super().enrich(inputs, on_stage=on_stage)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingEnricher]:
    """Workers started in this test load a CountingEnricher."""
    CountingEnricher.texts = 0
    monkeypatch.setattr("pipeline.workers.runtime.Enricher", CountingEnricher)
    return CountingEnricher


def _articles(client: redis.Redis, settings: Settings) -> list[dict[str, object]]:
    return [json.loads(f[b"article"]) for _, f in client.xrange(settings.articles_stream)]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "other.txt").write_text(
        "A second story\n\nMaria Silva said in Lisbon on Monday that the talks would go on.",
        encoding="utf-8",
    )
    return folder


def test_a_second_replay_enriches_nothing(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    tmp_path: Path,
    counting: type[CountingEnricher],
) -> None:
    """Replaying the same files again: every article is a repeat, none reaches NER."""
    settings = make_settings(enrich=True)
    folder = _folder(tmp_path)
    replay_paths(redis_client, settings, [folder])
    run_worker(settings, redis_client, burst=True)
    after_first = counting.texts
    assert after_first >= 2  # the warm-up sample and the two articles
    replay_paths(redis_client, settings, [folder])
    run_worker(settings, redis_client, burst=True)
    assert counting.texts == after_first + 1  # only the next worker's warm-up sample
    stats = redis_client.hgetall(settings.key("stats"))
    assert stats[b"new"] == b"2" and stats[b"repeat"] == b"2"


def test_an_article_taken_for_a_repeat_but_new_is_enriched_in_a_second_round(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pre-check's answer is stale (the seen key expired between the check and the
    write): the write hands the articles back, they land enriched, the payload goes."""
    settings = make_settings(enrich=True)
    replay_paths(redis_client, settings, [_folder(tmp_path)])

    def stale(self: object, articles: Sequence[Article]) -> list[bool]:
        return [True] * len(articles)

    monkeypatch.setattr("pipeline.streams.writer.BatchWriter.seen_unchanged", stale)
    run_worker(settings, redis_client, burst=True)
    articles = _articles(redis_client, settings)
    assert len(articles) == 2
    assert all(a["entities"] for a in articles)  # enriched in the second round
    assert redis_client.keys(settings.key("batch", "*")) == []
    assert redis_client.hget(settings.key("stats"), "new") == b"2"
