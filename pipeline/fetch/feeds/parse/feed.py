"""Feed bytes to RawItems: safe parsing (no entity expansion), plain titles, clean HTML.

feedparser gets the body as a byte stream (a ``str`` or bare ``bytes`` argument may be
taken for a URL or a file name and opened), with the response's Content-Type so the
encoding rules of RFC 3023 apply. Before it sees the bytes, the DOCTYPE is neutralised
(:mod:`~pipeline.fetch.feeds.parse.doctype`); what comes out is cleaned by
:mod:`~pipeline.fetch.feeds.parse.sanitize`.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.budget import check_budget
from pipeline.fetch.feeds.parse.doctype import neutralise, neutralise_doctype
from pipeline.fetch.feeds.parse.jsonfeed import looks_like_json, parse_json_feed
from pipeline.fetch.feeds.parse.sanitize import clean_html, plain_text, safe_link
from pipeline.models import RawItem, format_utc, utc_now

# neutralise_doctype is re-exported: the OPML reader uses it too.
__all__ = ["ParsedFeed", "neutralise_doctype", "parse_feed"]

_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed body holds, ready for the queue."""

    title: str | None
    link: str | None
    items: list[RawItem]
    ttl_seconds: int | None
    update_period_seconds: int | None
    warning: str | None
    content_hash: str


# ----------------------------------------------------------------------------- items


def _is_html(detail: dict[str, Any] | None) -> bool:
    kind = str((detail or {}).get("type") or "text/html")
    return "html" in kind


def _iso(parsed: time.struct_time | None) -> str | None:
    if parsed is None:
        return None
    try:
        return format_utc(datetime(*parsed[:6], tzinfo=UTC))
    except (TypeError, ValueError, OverflowError):
        return None


def _content(entry: dict[str, Any]) -> str | None:
    """The fullest content: content:encoded / atom:content, preferring HTML, longest first."""
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    if not contents:
        return None
    best = max(contents, key=lambda c: ("html" in str(c.get("type", "")), len(c["value"])))
    return str(best["value"])


def _authors(entry: dict[str, Any]) -> list[str]:
    names = [
        plain_text(a.get("name") or a.get("email"), is_html=False)
        for a in entry.get("authors") or []
    ]
    if not any(names):
        names = [plain_text(entry.get("author"), is_html=False)]
    return list(dict.fromkeys(n for n in names if n))


def _categories(entry: dict[str, Any]) -> list[str]:
    terms = [
        plain_text(t.get("term") or t.get("label"), is_html=False) for t in entry.get("tags") or []
    ]
    return list(dict.fromkeys(t for t in terms if t))


def _item(
    entry: dict[str, Any], *, feed_url: str, feed_title: str | None, fetched: datetime
) -> RawItem | None:
    title = plain_text(entry.get("title"), is_html=_is_html(entry.get("title_detail")))
    summary_raw = entry.get("summary")
    summary = clean_html(summary_raw) if summary_raw else None
    content = _content(entry)
    text = clean_html(content) if content else summary
    if not (text or summary or title):
        return None
    # dict.get: FeedParserDict.get("updated_parsed") falls back to the published date.
    published = _iso(dict.get(entry, "published_parsed"))
    return RawItem(
        kind="feed",
        source=feed_url,
        source_name=feed_title,
        url=safe_link(entry.get("link"), feed_url),
        guid=entry.get("id") or None,
        title=title,
        summary=summary,
        text=text or title or "",
        authors=_authors(entry),
        categories=_categories(entry),
        published=published,
        published_provenance="feed" if published else "none",
        updated=_iso(dict.get(entry, "updated_parsed")),
        fetched=fetched,
    )


# ------------------------------------------------------------------------------ feed


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _update_period(feed: dict[str, Any]) -> int | None:
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    frequency = _int(feed.get("sy_updatefrequency"))
    if not period and frequency is None:
        return None
    seconds = _PERIODS.get(period, _PERIODS["daily"])  # the module's default is daily
    return max(1, seconds // (frequency or 1))


def _bozo_reason(parsed: dict[str, Any]) -> str:
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "not well-formed"
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    line = getattr(exc, "getLineNumber", None)
    if callable(line) and line():
        text = f"{text} (line {line()})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _note(warning: str | None, note: str) -> str:
    return f"{warning}; {note}" if warning else note


def _skipped_note(warning: str | None, skipped: int) -> str | None:
    if not skipped:
        return warning
    return _note(warning, f"{skipped} entries with no title, summary or content skipped")


def _parse_xml(
    body: bytes, *, feed_url: str, content_type: str | None, fetched: datetime, content_hash: str
) -> ParsedFeed:
    # With no Content-Type, pass no headers at all: feedparser then applies the rules for
    # a document without HTTP metadata instead of calling the feed malformed for it.
    headers = {"content-type": content_type, "content-location": feed_url} if content_type else None
    try:
        safe_body, dropped = neutralise(body)
        parsed = feedparser.parse(io.BytesIO(safe_body), response_headers=headers)
    except Exception as exc:  # feedparser has many failure modes; all mean "bad feed"
        raise PermanentFetchError(f"malformed feed: {exc}", url=feed_url) from exc
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    title = plain_text(feed.get("title"), is_html=_is_html(feed.get("title_detail")))
    warning = None
    if not parsed.get("bozo") and not parsed.get("version") and not entries and not feed:
        reason = "not a feed: well-formed XML with nothing a feed has"
        raise PermanentFetchError(reason, url=feed_url)
    if parsed.get("bozo"):
        reason = _bozo_reason(parsed)
        if not entries and not title:
            raise PermanentFetchError(f"malformed feed: {reason}", url=feed_url)
        warning = f"malformed feed, entries kept: {reason}"
    items = []
    for entry in entries:
        item = _item(entry, feed_url=feed_url, feed_title=title, fetched=fetched)
        if item is not None:
            items.append(item)
    if dropped:
        warning = _note(warning, f"entities not expanded: {', '.join(dropped)}")
    ttl = _int(feed.get("ttl"))
    return ParsedFeed(
        title=title,
        link=safe_link(feed.get("link"), feed_url),
        items=items,
        ttl_seconds=ttl * 60 if ttl else None,
        update_period_seconds=_update_period(feed),
        warning=_skipped_note(warning, len(entries) - len(items)),
        content_hash=content_hash,
    )


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    fetched: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes (RSS, Atom, RDF or JSON Feed); PermanentFetchError when nothing
    usable is in them."""
    fetched = fetched or utc_now()
    content_hash = hashlib.sha256(body).hexdigest()
    if not body.strip():
        raise PermanentFetchError("malformed feed: the body is empty", url=feed_url)
    check_budget(body, feed_url=feed_url)
    if looks_like_json(body):
        parsed = parse_json_feed(body, feed_url=feed_url, fetched=fetched)
        return ParsedFeed(
            title=parsed.title,
            link=parsed.link,
            items=parsed.items,
            ttl_seconds=None,
            update_period_seconds=None,
            warning=_skipped_note(None, parsed.skipped),
            content_hash=content_hash,
        )
    return _parse_xml(
        body,
        feed_url=feed_url,
        content_type=content_type,
        fetched=fetched,
        content_hash=content_hash,
    )
