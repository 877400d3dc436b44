"""Feed bytes to RawItems: safe parsing (no entity expansion), plain titles, clean HTML.

feedparser gets the body as a byte stream (a ``str`` or bare ``bytes`` argument may be
taken for a URL or a file name and opened), with the response's Content-Type so the
encoding rules of RFC 3023 apply. Before it sees the bytes, the DOCTYPE's internal
subset is rewritten: only short, reference-free entity declarations survive, so no
entity can expand to more than a few dozen characters however often it is used.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

from pipeline.errors import PermanentFetchError
from pipeline.models import RawItem, format_utc, utc_now

__all__ = ["ParsedFeed", "clean_html", "neutralise_doctype", "parse_feed", "plain_text"]

# An entity whose value is longer than this, or refers to anything, is dropped.
_MAX_ENTITY_VALUE = 64

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


# ---------------------------------------------------------------------------- DOCTYPE

_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_NULL_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_ENTITY_DECL = re.compile(r"""<!ENTITY\s+(\w+)\s+(["'])(.*?)\2\s*>""", re.S)
_CHAR_REF = re.compile(r"&#(?:\d+|x[0-9A-Fa-f]+);")
_HAS_DOCTYPE = re.compile(rb"<!doctype", re.I)
_ENTITY_NAME = re.compile(r"<!ENTITY\s+([^\s%]\S*)")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _wide_codec(body: bytes) -> str | None:
    """The codec of a UTF-16/32 document (by BOM or null-byte pattern), else None."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    for pattern, codec in _NULL_PATTERNS:
        if body.startswith(pattern):
            return codec
    return None


def _skip_quoted(text: str, i: int) -> int:
    end = text.find(text[i], i + 1)
    return len(text) if end < 0 else end + 1


def _doctype_span(text: str) -> tuple[int, int, int | None, int | None] | None:
    """Find the DOCTYPE in the prolog: (start, end, subset_start, subset_end), or None."""
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t\r\n\ufeff":
            i += 1
        elif text.startswith("<?", i):
            end = text.find("?>", i)
            i = n if end < 0 else end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            i = n if end < 0 else end + 3
        elif text[i : i + 9].upper() == "<!DOCTYPE":
            break
        else:
            return None  # the root element (or junk): no DOCTYPE in the prolog
    else:
        return None
    start, j = i, i + 9
    subset_start = subset_end = None
    while j < n:
        c = text[j]
        if c in "'\"":
            j = _skip_quoted(text, j)
        elif c == "[" and subset_start is None:
            subset_start = j + 1
            j += 1
            while j < n and text[j] != "]":
                if text.startswith("<!--", j):
                    end = text.find("-->", j)
                    j = n if end < 0 else end + 3
                elif text[j] in "'\"":
                    j = _skip_quoted(text, j)
                else:
                    j += 1
            subset_end = j
            j += 1
        elif c == ">":
            return start, j + 1, subset_start, subset_end
        else:
            j += 1
    return start, n, subset_start, subset_end


def _safe_entities(subset: str) -> list[tuple[str, str]]:
    """General entities whose value is short and refers to nothing (a char ref at most)."""
    kept = []
    for name, _quote, value in _ENTITY_DECL.findall(subset):
        if _CHAR_REF.fullmatch(value) or (
            len(value) <= _MAX_ENTITY_VALUE and not any(c in value for c in '&%<"')
        ):
            kept.append((name, value))
    return kept


def _neutralise_text(text: str) -> tuple[str, list[str]] | None:
    """The text with its DOCTYPE rewritten, and the dropped entities that it referenced."""
    span = _doctype_span(text)
    if span is None:
        return None
    start, end, subset_start, subset_end = span
    if subset_start is None:
        head = text[start:end].rstrip(">")
        subset = ""
    else:
        head = text[start : subset_start - 1]
        subset = text[subset_start:subset_end]
    entities = _safe_entities(subset)
    # The external id stays (a Netscape RSS 0.91 DOCTYPE tells feedparser the version);
    # it is never fetched: feedparser switches external entities off.
    replacement = head.rstrip()
    if entities:
        # One declaration per line, double-quoted: the shape feedparser's own DOCTYPE
        # rewriting recognises and keeps.
        lines = "".join(f'<!ENTITY {n} "{v}">\n' for n, v in entities)
        replacement += f" [\n{lines}]"
    rest = text[end:]
    kept = {name for name, _ in entities} | _PREDEFINED
    dropped = sorted(set(_ENTITY_NAME.findall(subset)) - kept)
    used: list[str] = []
    if dropped:
        # A reference to an entity that no longer exists would make the document
        # ill-formed and send it to feedparser's slow loose parser: remove the references.
        pattern = re.compile("&(" + "|".join(map(re.escape, dropped)) + ");")
        used = sorted(set(pattern.findall(rest)))
        rest = pattern.sub("", rest) if used else rest
    return text[:start] + replacement + ">" + rest, used


def _neutralise(body: bytes) -> tuple[bytes, list[str]]:
    codec = _wide_codec(body)
    if codec is None:
        if not _HAS_DOCTYPE.search(body):
            return body, []
        codec = "latin-1"  # maps every byte to one character and back: bytes survive
        text = body.decode(codec)
    else:
        text = body.decode(codec, errors="replace")
    result = _neutralise_text(text)
    if result is None:
        return body, []
    rewritten, used = result
    return rewritten.encode(codec), used


def neutralise_doctype(body: bytes) -> bytes:
    """Rewrite the DOCTYPE so no entity can expand to more than a few dozen characters."""
    return _neutralise(body)[0]


# ------------------------------------------------------------------------------ HTML

# Anything that might need the parse-and-scrub pass; most feed HTML matches none of it and
# is passed on untouched. Numeric and tab/colon character references are here because
# browsers decode them inside attributes ("jav&#x09;ascript:").
_DANGER = re.compile(
    r"<\s*/?\s*(script|style|iframe|object|embed|applet|frame|base|meta|link)\b"
    r"|\bon[a-z]+\s*=|script\s*:|data\s*:|\bstyle\s*=|&#|&(tab|newline|colon);",
    re.I,
)
# Elements whose content is code: dropped with everything inside.
_DROP_WITH_CONTENT = frozenset({"script", "style"})
# Elements that load or embed something: the tag goes, its (scrubbed) fallback text stays.
_UNWRAP = frozenset(
    {"iframe", "object", "embed", "applet", "frame", "frameset", "base", "meta", "link", "noscript"}
)
_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "background",
        "cite",
        "poster",
        "srcset",
        "xlink:href",
        "data",
        "codebase",
        "lowsrc",
        "dynsrc",
    }
)
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript):", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_TAG_LIKE = re.compile(r"<[A-Za-z/!?][^<>]*>")
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
_SPACES = re.compile(r"\s+")


def _fragment(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None


def _strip_tags(text: str) -> str:
    """Last resort when there is no tree: drop script/style blocks and anything tag-like."""
    return _TAG_LIKE.sub("", _SCRIPT_BLOCK.sub("", text))


def _unsafe_attribute(name: str, value: str) -> bool:
    value = _INVISIBLE.sub("", value).lower()
    if name.startswith("on"):
        return True
    if name in _URL_ATTRIBUTES and _BAD_SCHEME.match(value):
        return True
    return name == "style" and ("expression" in value or "url(" in value)


def _scrub(root: lxml.html.HtmlElement) -> None:
    """Drop script-like elements, event-handler attributes and script URLs, in place."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments and processing instructions
            if element is not root and element.getparent() is not None:
                element.drop_tree()
            continue
        tag = element.tag.lower()
        if element is not root and tag in _DROP_WITH_CONTENT:
            element.drop_tree()
            continue
        if element is not root and tag in _UNWRAP:
            element.drop_tag()
            continue
        for attribute in list(element.attrib):
            if _unsafe_attribute(attribute.lower(), element.attrib[attribute]):
                del element.attrib[attribute]


def clean_html(html: str) -> str:
    """``html`` without scripts, styles, event handlers or ``javascript:`` links."""
    if not _DANGER.search(html):
        return html
    root = _fragment(html)
    if root is None:
        return _strip_tags(html)
    _scrub(root)
    parts = [escape(root.text, quote=False)] if root.text else []
    parts += [lxml.html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts)


def plain_text(value: str | None, *, is_html: bool = True) -> str | None:
    """Text with no markup, whitespace collapsed; None when nothing is left."""
    if not value:
        return None
    root = _fragment(value) if is_html and ("<" in value or "&" in value) else None
    if root is not None:
        _scrub(root)
        value = root.text_content()
    else:
        value = _strip_tags(value)
    value = _SPACES.sub(" ", value).strip()
    return value or None


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


def _safe_link(link: str | None, base: str) -> str | None:
    if not link:
        return None
    absolute = urljoin(base, link.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


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
        url=_safe_link(entry.get("link"), feed_url),
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


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    fetched: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes; raise PermanentFetchError when nothing usable is in them."""
    fetched = fetched or utc_now()
    # With no Content-Type, pass no headers at all: feedparser then applies the rules for
    # a document without HTTP metadata instead of calling the feed malformed for it.
    headers = {"content-type": content_type, "content-location": feed_url} if content_type else None
    try:
        safe_body, dropped = _neutralise(body)
        parsed = feedparser.parse(io.BytesIO(safe_body), response_headers=headers)
    except Exception as exc:  # feedparser has many failure modes; all mean "bad feed"
        raise PermanentFetchError(f"malformed feed: {exc}", url=feed_url) from exc
    feed = parsed.get("feed") or {}
    entries = parsed.get("entries") or []
    title = plain_text(feed.get("title"), is_html=_is_html(feed.get("title_detail")))
    warning = None
    if not body.strip():
        raise PermanentFetchError("malformed feed: the body is empty", url=feed_url)
    if not parsed.get("bozo") and not parsed.get("version") and not entries and not feed:
        raise PermanentFetchError(
            "not a feed: well-formed XML with nothing a feed has", url=feed_url
        )
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
        note = f"entities not expanded: {', '.join(dropped)}"
        warning = f"{warning}; {note}" if warning else note
    skipped = len(entries) - len(items)
    if skipped:
        note = f"{skipped} entries with no title, summary or content skipped"
        warning = f"{warning}; {note}" if warning else note
    ttl = _int(feed.get("ttl"))
    return ParsedFeed(
        title=title,
        link=_safe_link(feed.get("link"), feed_url),
        items=items,
        ttl_seconds=ttl * 60 if ttl else None,
        update_period_seconds=_update_period(feed),
        warning=warning,
        content_hash=hashlib.sha256(body).hexdigest(),
    )
