"""``RawItem -> Article``: the normalisation stage, composed of the other modules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pipeline.errors import InvalidInput
from pipeline.models import Article, RawItem, TextSource, utc_now
from pipeline.normalize.dateline import split_dateline
from pipeline.normalize.identity import identify
from pipeline.normalize.language import detect_language
from pipeline.normalize.published import date_warning, parse_date
from pipeline.normalize.text import clean_line, clean_text, strip_invisible
from pipeline.normalize.title import title_from_text
from pipeline.normalize.urls import canonical_url

__all__ = ["normalize_item"]

# Tokens that stand between spaces but are not words: dashes, bullets, bars, ampersands.
_NOT_WORDS = re.compile(r" [-–—•|/&]{1,2}(?= )")


def _count_words(text: str) -> int:
    # Text as clean_text returns it: words are separated by one space or one blank line.
    separators = text.count(" ") + text.count("\n\n")
    return separators + 1 - len(_NOT_WORDS.findall(text))


def _optional_line(value: str | None) -> str | None:
    return (clean_line(value) or None) if value else None


def _optional_id(value: str | None) -> str | None:
    return (strip_invisible(value) or None) if value else None


def _optional_text(value: str | None) -> str | None:
    return (clean_text(value) or None) if value else None


def _published(
    raw: RawItem, now: datetime | None, future_tolerance: timedelta
) -> tuple[datetime | None, str | None]:
    if raw.published is None or not raw.published.strip():
        return None, None
    try:
        published = parse_date(raw.published)
    except ValueError as exc:
        raise InvalidInput(
            f"could not parse published date {raw.published!r}: use ISO 8601 "
            "(e.g. 2025-12-01 or 2025-12-01T09:30:00+01:00) or RFC 822",
            stage="normalize",
            source=raw.source,
        ) from exc
    now = now or utc_now()
    if now.tzinfo is None:  # a naive "now" means UTC, like a naive date does
        now = now.replace(tzinfo=UTC)
    warning = date_warning(published, now=now, future_tolerance=future_tolerance)
    return published, warning


def _updated(raw: RawItem) -> datetime | None:
    # A secondary field: an unreadable one is dropped, not a reason to lose the article.
    if not raw.updated:
        return None
    try:
        return parse_date(raw.updated)
    except ValueError:
        return None


def _text_source(raw: RawItem) -> TextSource:
    """Where the text came from: as the page fetcher said; else the input's own text
    ("feed"), unless that is nothing but the item's title."""
    if raw.text_source is not None:
        return raw.text_source
    if raw.kind == "feed" and raw.title is not None and raw.text == raw.title:
        return "title"
    return "feed"


def _declared_language(value: str | None) -> str | None:
    """The primary subtag of a declared language ("en-GB" -> "en"), or None."""
    primary = (value or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if 2 <= len(primary) <= 3 and primary.isalpha() else None


def normalize_item(
    raw: RawItem,
    *,
    now: datetime | None = None,
    future_tolerance: timedelta = timedelta(minutes=15),
) -> Article:
    """Clean up a raw item into an Article; raises InvalidInput when it cannot be."""
    text = clean_text(raw.text)
    dateline, text = split_dateline(text)
    if not text:
        raise InvalidInput(
            "empty body: no text left after removing markup and white space; "
            "check that the item carries its article text",
            stage="normalize",
            source=raw.source,
        )
    published, warning = _published(raw, now, future_tolerance)
    url = _optional_id(raw.url)
    canonical = canonical_url(url)
    if canonical is None:
        # only http(s) links reach the output (a .jsonl may say "javascript:alert(1)"; the
        # feed reader drops such links the same way): the id then comes from the text
        url = None
    title = _optional_line(raw.title) or title_from_text(text)
    identity, content_fingerprint = identify(
        given_id=_optional_id(raw.id), canonical_url=canonical, text=text
    )
    return Article(
        id=identity,
        source=strip_invisible(raw.source),
        kind=raw.kind,
        text=text,
        fingerprint=content_fingerprint,
        source_name=_optional_line(raw.source_name),
        url=url,
        canonical_url=canonical,
        guid=_optional_id(raw.guid),
        title=title,
        summary=_optional_text(raw.summary),
        authors=[a for a in map(clean_line, raw.authors) if a],
        categories=[c for c in map(clean_line, raw.categories) if c],
        published=published,
        published_provenance=raw.published_provenance if published else "none",
        published_warning=warning,
        updated=_updated(raw),
        fetched=raw.fetched,
        dateline=dateline,
        # Detection on the text when it is long enough to tell; the page's <html lang> else.
        language=detect_language(text) or _declared_language(raw.language),
        word_count=_count_words(text),
        text_source=_text_source(raw),
        page_error=raw.page_error,
        page_canonical_url=_optional_id(raw.page_canonical_url),
    )
