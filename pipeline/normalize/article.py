"""``RawItem -> Article``: the normalisation stage (placeholder, being rewritten)."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime, timedelta

from dateutil.parser import isoparse

from pipeline.errors import InvalidInput
from pipeline.models import Article, RawItem, utc_now

__all__ = ["normalize_item"]


def normalize_item(
    raw: RawItem, *, now: datetime | None = None, future_tolerance: timedelta = timedelta(minutes=15)
) -> Article:
    """Clean up a raw item into an Article; raises InvalidInput when it cannot be."""
    text = unicodedata.normalize("NFC", raw.text).strip()
    if not text:
        raise InvalidInput("empty body: the item has no text", stage="normalize", source=raw.source)
    fingerprint = hashlib.blake2b(" ".join(text.casefold().split()).encode(), digest_size=16)
    article_id = raw.id or fingerprint.hexdigest()
    published = isoparse(raw.published) if raw.published else None
    return Article(
        id=article_id,
        source=raw.source,
        kind=raw.kind,
        text=text,
        fingerprint=fingerprint.hexdigest(),
        title=raw.title,
        published=published,
        published_provenance=raw.published_provenance if published else "none",
        fetched=raw.fetched,
        word_count=len(text.split()),
    )
