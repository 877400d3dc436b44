"""Everything the pipeline writes validates with the model consumers use, tricky input included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import redis

from pipeline.fetch.files.replay import replay_paths
from pipeline.settings import Settings
from pipeline.streams.messages import validate_entry
from pipeline.streams.reader import decode_entry
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[2] / "seeds"

TRICKY = [
    {"id": "year-5", "text": "Old news from Rome, written tomorrow.", "published": "0005-01-01"},
    {"id": "year-999", "text": "News of the year 999.", "published": "0999-12-31T23:59:59Z"},
    {"id": "year-9999", "text": "It ends tomorrow, next week.", "published": "9999-12-31T23:59Z"},
    {"id": "year-10000", "text": "Out of range in UTC.", "published": "9999-12-31T23:00-05:00"},
    {"id": "year-0", "text": "Before year 1 in UTC.", "published": "0001-01-01T00:00+01:00"},
    {"id": "script", "text": "A link that runs code.", "url": "javascript:alert(1)"},
    {"id": "html", "text": "<p>Angela Merkel <b>met</b> Emmanuel Macron in Paris.</p>"},
]


def test_every_entry_written_from_seeds_and_tricky_items_validates(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Seeds and tricky .jsonl lines through a real worker (enrichment on): every articles
    entry validates as an EnrichedArticle, every dead entry as a DeadLetter, and what could
    not be written is a dead letter rather than a bad entry."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    lines = [json.dumps(item) for item in TRICKY]
    lines.append('{"id": "deep", "text": "x", "n": ' + "[" * 50_000 + "]" * 50_000 + "}")
    (tmp_path / "tricky.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    replay_paths(redis_client, settings, [tmp_path])
    run_worker(settings.model_copy(update={"enrich": True}), redis_client, burst=True)

    articles = {}
    for eid, fields in redis_client.xrange(settings.articles_stream):
        article = validate_entry(decode_entry(eid, fields), "articles")
        articles[article.id] = article
    dead = [
        validate_entry(decode_entry(eid, fields), "dead")
        for eid, fields in redis_client.xrange(settings.dead_stream)
    ]
    assert {"year-5", "year-999", "year-9999", "script", "html"} <= set(articles)
    assert len(articles) == 5 + len(list(SEEDS.glob("*.txt")))
    assert articles["year-5"].published is not None and articles["year-5"].published.year == 5
    assert articles["script"].url is None and articles["script"].canonical_url is None
    assert all(
        a.url is None or a.url.startswith(("http://", "https://")) for a in articles.values()
    )
    stages = sorted((d.stage, json.loads(d.input).get("id") or "line") for d in dead)
    assert stages == [("normalize", "year-0"), ("normalize", "year-10000"), ("read", "line")]
