"""What goes on the ingest queue once a page was fetched, or could not be: pure functions
from the feed's item and the page (or the reason there is none) to a RawItem."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from tld import get_fld

from pipeline.fetch.pages.extract import ExtractedPage
from pipeline.fetch.pages.need import feed_fallback, word_count
from pipeline.models import PageError, RawItem
from pipeline.normalize.published import parse_date

__all__ = ["fallback_item", "is_html", "page_item", "same_site"]

_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
# Bytes that open documents which are not HTML, whatever the Content-Type says.
_NOT_HTML_MAGIC = (b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")


def is_html(content_type: str | None, body: bytes) -> bool:
    """True for an HTML (or XHTML) document: by its Content-Type, else by its first bytes."""
    head = body[:1024].lstrip()
    if head.startswith(_NOT_HTML_MAGIC):
        return False
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind:
        return kind in _HTML_TYPES
    return head[:1].startswith(b"<")


def _site(host: str) -> str:
    site = get_fld(f"http://{host}/", fail_silently=True)
    return str(site) if site else host


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one registrable domain (www.example.co.uk and
    m.example.co.uk are; example.com and evil.example are not)."""
    try:
        a, b = urlsplit(url).hostname, urlsplit(other).hostname
    except ValueError:
        return False
    if not a or not b:
        return False
    return a == b or _site(a) == _site(b)


def _page_date(value: str | None) -> str | None:
    """A page date that normalisation will accept, else None (a bad page date must never
    cost the article)."""
    if not value:
        return None
    try:
        parse_date(value)
    except ValueError:
        return None
    return value


def _canonical(declared: str | None, final_url: str) -> str | None:
    if not declared:
        return None
    try:
        absolute = urljoin(final_url, declared)
        scheme = urlsplit(absolute).scheme
    except ValueError:  # "http://[::1" and the like: a page's bad link never costs its text
        return None
    if scheme not in ("http", "https"):
        return None
    return absolute if same_site(absolute, final_url) else None


def page_item(item: RawItem, page: ExtractedPage, final_url: str) -> RawItem | None:
    """The feed's item with the page's body as its text, or None when the page has no body
    worth more than what the feed gave."""
    if not page.text or word_count(page.text) <= word_count(item.text):
        return None
    meta = page.metadata
    published, provenance = item.published, item.published_provenance
    if not published:
        published = _page_date(meta.published)
        provenance = "page" if published else "none"
    summary = item.summary
    if summary is None and item.text.strip() and item.text != item.title:
        summary = item.text  # a short content element: what the feed gave, kept
    return item.model_copy(
        update={
            "text": page.text,
            "summary": summary,
            "title": item.title or meta.title,
            "authors": item.authors or meta.authors,
            "published": published,
            "published_provenance": provenance,
            "language": meta.language,
            "text_source": "page",
            "page_error": None,
            "page_canonical_url": _canonical(meta.canonical_url, final_url),
        }
    )


def fallback_item(item: RawItem, error: PageError) -> RawItem | None:
    """The item with what the feed gave (its text, summary, else title) and why the page was
    not used; None when the item carries no text at all (a bare link)."""
    fallback = feed_fallback(item)
    if fallback is None:
        return None
    text, source = fallback
    return item.model_copy(update={"text": text, "text_source": source, "page_error": error})
