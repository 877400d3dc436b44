"""The human-readable digest the demo prints."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.cli.digest import digest
from pipeline.models import DateMention, EnrichedArticle, Entity


def _article(**fields: object) -> EnrichedArticle:
    base: dict[str, object] = {
        "id": "abc",
        "source": "seeds/x.txt",
        "kind": "seed",
        "text": "Joe Biden said Saturday.",
        "fingerprint": "f",
        "fetched": datetime(2025, 12, 1, tzinfo=UTC),
        "title": "Biden speaks",
        "published": datetime(2025, 12, 1, tzinfo=UTC),
    }
    return EnrichedArticle.model_validate({**base, **fields})


def test_digest_says_who_and_when() -> None:
    """Entities by label with aliases and counts, dates with their values."""
    article = _article(
        entities=[
            Entity(name="Joe Biden", label="PERSON", aliases=["Biden"], mentions=[(0, 9), (20, 25)])
        ],
        dates=[DateMention(text="Saturday", start=15, end=23, type="DATE", value="2025-11-29")],
    )
    text = digest("1-0", article)
    assert "(original)" in text
    assert "PERSON    Joe Biden (Biden) ×2" in text
    assert '"Saturday" → 2025-11-29' in text


def test_digest_marks_copies_and_revisions() -> None:
    """A reader sees at once whether an entry is a copy or a new revision."""
    assert "(exact copy of first)" in digest("1-0", _article(duplicate_of="first"))
    near = _article(duplicate_of="second", duplicate_kind="near", similarity=0.82, cluster="first")
    original = _article(id="second", title="The wire story", source="https://wire.example/")
    text = digest("1-0", near, original)
    assert "(near copy of second, similarity 0.82, story first)" in text
    assert "copy of   The wire story (https://wire.example/)" in text
    assert "(revision 3)" in digest("1-0", _article(revision=3))
