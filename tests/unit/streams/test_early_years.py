"""Dates before year 1000 are written as ISO 8601 that the consumer model reads back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.models import READING, EnrichedArticle, RawItem, format_utc
from pipeline.normalize import normalize_item


@pytest.mark.parametrize("year", [1, 5, 99, 999, 1000, 9999])
def test_format_utc_writes_four_digit_years(year: int) -> None:
    """``5-01-01T00:00:00Z`` is what strftime gave; readers want ``0005-01-01T00:00:00Z``."""
    written = format_utc(datetime(year, 1, 1, tzinfo=UTC))
    assert written == f"{year:04d}-01-01T00:00:00Z"


def test_an_article_from_year_5_validates_as_the_consumer_reads_it() -> None:
    """An article published in year 5 (kept, flagged) round-trips through the wire model."""
    raw = RawItem(source="x.jsonl", kind="jsonl", text="Old news.", published="0005-06-07")
    article = EnrichedArticle(**dict(normalize_item(raw)))
    wire = article.model_dump_json()
    assert '"published":"0005-06-07T00:00:00Z"' in wire
    back = EnrichedArticle.model_validate_json(wire, context=READING)
    assert back.published == datetime(5, 6, 7, tzinfo=UTC)
    assert back.published_warning and "before 1900" in back.published_warning
