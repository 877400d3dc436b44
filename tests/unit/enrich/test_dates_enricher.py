"""Dates through the enrichment seam: what the Enricher gives a whole article."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.enrich.enricher import Enricher, EnrichInput
from pipeline.settings import Settings

SEED = Path(__file__).parents[3] / "seeds" / "000_0f075809db5f86f0.txt"


def test_the_enricher_gives_the_seed_article_its_dates() -> None:
    """Relative dates resolve against the publication date; without one, years stay unknown."""
    text = SEED.read_text(encoding="utf-8")
    published = datetime(2025, 12, 1, tzinfo=UTC)
    enricher = Enricher(Settings().ner_model)
    with_date, without_date = enricher.enrich(
        [EnrichInput(text=text, published=published), EnrichInput(text=text, published=None)]
    )
    assert with_date.error is None
    values = {m.text: m.value for m in with_date.dates}
    assert values["January 20"] == "2026-01-20"
    assert values["last weekend"] == "2025-W48-WE"
    unknown = {m.text: m.value for m in without_date.dates}
    assert unknown["January 20"] == "XXXX-01-20"
    assert unknown["October 7, 2023"] == "2023-10-07"
