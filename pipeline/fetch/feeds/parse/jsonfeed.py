"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) to RawItems: feedparser 6 reads
RSS, Atom and RDF only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.sanitize import clean_html, plain_text, safe_link
from pipeline.models import RawItem, format_utc

__all__ = ["JsonFeed", "looks_like_json", "parse_json_feed"]


@dataclass(frozen=True)
class JsonFeed:
    """The parts of a JSON Feed the pipeline uses."""

    title: str | None
    link: str | None
    items: list[RawItem]
    skipped: int


def looks_like_json(body: bytes) -> bool:
    """True when the first non-blank character is ``{`` (UTF-8, with or without BOM)."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _date(value: Any) -> str | None:
    """RFC 3339 to ISO 8601 UTC; a date that cannot be read is treated as missing."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return format_utc(parsed)


def _authors(item: dict[str, Any], feed: dict[str, Any]) -> list[str]:
    people = item.get("authors") or ([item["author"]] if item.get("author") else [])
    if not people:
        people = feed.get("authors") or ([feed["author"]] if feed.get("author") else [])
    names = [plain_text(_text(p.get("name")), is_html=False) for p in people if isinstance(p, dict)]
    return list(dict.fromkeys(n for n in names if n))


def _item(
    item: dict[str, Any],
    feed: dict[str, Any],
    *,
    feed_url: str,
    feed_title: str | None,
    fetched: datetime,
) -> RawItem | None:
    title = plain_text(_text(item.get("title")), is_html=False)
    html, plain = _text(item.get("content_html")), _text(item.get("content_text"))
    summary_raw = _text(item.get("summary"))
    summary = clean_html(summary_raw) if summary_raw else None
    text = clean_html(html) if html else plain or summary
    if not (text or summary or title):
        return None
    published = _date(item.get("date_published"))
    guid = item.get("id")
    tags = [plain_text(t, is_html=False) for t in item.get("tags") or [] if isinstance(t, str)]
    return RawItem(
        kind="feed",
        source=feed_url,
        source_name=feed_title,
        url=safe_link(_text(item.get("url")) or _text(item.get("external_url")), feed_url),
        guid=str(guid) if isinstance(guid, (str, int)) and str(guid) else None,
        title=title,
        summary=summary,
        text=text or title or "",
        authors=_authors(item, feed),
        categories=list(dict.fromkeys(t for t in tags if t)),
        published=published,
        published_provenance="feed" if published else "none",
        updated=_date(item.get("date_modified")),
        fetched=fetched,
    )


def parse_json_feed(body: bytes, *, feed_url: str, fetched: datetime) -> JsonFeed:
    """Parse a JSON Feed; PermanentFetchError when it is not valid JSON or not a JSON Feed."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PermanentFetchError(f"malformed feed: invalid JSON: {exc}", url=feed_url) from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise PermanentFetchError("not a feed: JSON without a jsonfeed.org version", url=feed_url)
    assert isinstance(data, dict)
    title = plain_text(_text(data.get("title")), is_html=False)
    raw_items = data.get("items")
    entries = [e for e in raw_items if isinstance(e, dict)] if isinstance(raw_items, list) else []
    items = []
    for entry in entries:
        item = _item(entry, data, feed_url=feed_url, feed_title=title, fetched=fetched)
        if item is not None:
            items.append(item)
    return JsonFeed(
        title=title,
        link=safe_link(_text(data.get("home_page_url")), feed_url),
        items=items,
        skipped=len(entries) - len(items),
    )
