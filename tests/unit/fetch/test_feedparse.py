"""Feed bytes to RawItems: fields, plain titles, hostile markup, malformed feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.feed import ParsedFeed, parse_feed
from tests.conftest import RESOURCES

FEEDS = RESOURCES / "feeds"
FEED_URL = "https://gazette.example/feeds/main.xml"
XML = "application/rss+xml; charset=utf-8"


def parse(name: str, content_type: str | None = XML) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), feed_url=FEED_URL, content_type=content_type)


def test_rss_item_carries_every_field() -> None:
    """An RSS 2.0 item becomes a RawItem with absolute link, guid, dates in UTC, people, tags."""
    fetched = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    feed = parse_feed(
        (FEEDS / "rss2_full.xml").read_bytes(), feed_url=FEED_URL, content_type=XML, fetched=fetched
    )
    assert feed.title == "Harbour & Hills Gazette"
    assert feed.link == "https://gazette.example/"
    first = feed.items[0]
    assert first.kind == "feed"
    assert first.source == FEED_URL
    assert first.source_name == "Harbour & Hills Gazette"
    assert first.url == "https://gazette.example/news/ferry-resumes"  # relative link resolved
    assert first.guid == "gazette-1001"
    assert first.title == "Ferry service resumes after storm"
    assert first.summary == "Short summary of the ferry story."
    assert "<b>resumed</b>" in first.text  # content:encoded preferred over description
    assert first.authors == ["Ann Example"]
    assert first.categories == ["Transport", "Weather"]
    assert first.published == "2025-11-29T07:30:00Z"
    assert first.published_provenance == "feed"
    assert first.fetched == fetched


def test_missing_date_stays_missing() -> None:
    """An item without a date has published None, not the fetch time."""
    second = parse("rss2_full.xml").items[1]
    assert second.published is None
    assert second.published_provenance == "none"
    assert second.updated is None
    assert second.text == "<p>The council <i>approved</i> the budget.</p>"  # summary as text


def test_empty_entries_are_skipped_and_counted() -> None:
    """An entry with no title, summary or content is dropped, and the warning says so."""
    feed = parse("rss2_full.xml")
    assert len(feed.items) == 2
    assert feed.warning == "1 entries with no title, summary or content skipped"


def test_polling_hints_are_read() -> None:
    """<ttl> minutes and sy:updatePeriod/updateFrequency become seconds."""
    feed = parse("rss2_full.xml")
    assert feed.ttl_seconds == 45 * 60
    assert feed.update_period_seconds == 3600 // 4


def test_atom_html_titles_become_plain_text() -> None:
    """HTML titles lose their markup; Atom content, authors and offsets are kept."""
    feed = parse("atom_html.xml", content_type="application/atom+xml")
    assert feed.title == "Wire Desk"
    item = feed.items[0]
    assert item.title == "Talks resume in Geneva"
    assert item.text == "<p>Negotiators met again in Geneva on Monday.</p>"
    assert item.summary == "Negotiators met again."
    assert item.authors == ["Bo Reporter", "Cy Editor"]
    assert item.published == "2025-12-01T14:15:00Z"
    assert item.updated == "2025-12-01T11:00:00Z"
    assert feed.warning is None


def test_scripts_handlers_and_javascript_links_never_get_through() -> None:
    """No <script>, <style>, <iframe>, on* attribute or javascript: URL survives anywhere."""
    feed = parse("hostile_markup.xml")
    item = feed.items[0]
    fields = [feed.title or "", item.title or "", item.summary or "", item.text, item.url or ""]
    joined = " ".join(fields).lower()
    for bad in ("<script", "alert(", "<style", "<iframe", "onclick", "onerror", "onmouseover"):
        assert bad not in joined
    assert "javascript:" not in joined
    assert item.url is None  # a javascript: link is no link
    assert item.title == "Click here"
    assert feed.title == "Hostile Feed"
    assert '<a href="https://ok.example/">fine</a>' in item.text  # harmless markup stays


def test_plain_text_title_keeps_comparisons() -> None:
    """A text/plain title loses tag-like markup but keeps a lone '<'."""
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b'<entry><title type="text">Why x &lt; y &lt;b&gt;matters&lt;/b&gt;</title>'
        b"<id>urn:x:1</id></entry></feed>"
    )
    feed = parse_feed(body, feed_url=FEED_URL, content_type="application/atom+xml")
    assert feed.items[0].title == "Why x < y matters"


def test_malformed_feed_with_entries_keeps_them_with_a_warning() -> None:
    """A bozo feed still yields its entries, and the warning carries the parser's reason."""
    feed = parse("broken_with_entries.xml")
    assert [i.title for i in feed.items] == ["First story", "Second story"]
    assert feed.warning is not None
    assert feed.warning.startswith("malformed feed, entries kept:")
    assert "not well-formed" in feed.warning


@pytest.mark.parametrize(
    "body",
    [
        (FEEDS / "not_a_feed.html").read_bytes(),
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b"<rss version='2.0'></rss5",
        b"",
        b'<?xml version="1.0"?><config><option>1</option></config>',
    ],
    ids=["html-page", "garbage", "truncated", "empty", "other-xml"],
)
def test_unusable_feed_is_a_permanent_error_with_reason(body: bytes) -> None:
    """Nothing usable: PermanentFetchError whose reason says what was wrong."""
    with pytest.raises(PermanentFetchError) as caught:
        parse_feed(body, feed_url=FEED_URL, content_type="text/xml")
    assert caught.value.reason.startswith(("malformed feed: ", "not a feed: "))
    assert caught.value.url == FEED_URL


def test_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    """feedparser opens str/bytes that name a file; a body that is a path must not be read."""
    secret = tmp_path / "secret.xml"
    secret.write_bytes(b"<rss version='2.0'><channel><title>SECRET</title></channel></rss>")
    with pytest.raises(PermanentFetchError):
        parse_feed(str(secret).encode(), feed_url=FEED_URL, content_type="text/xml")


def test_parser_exception_becomes_permanent_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any exception inside feedparser is a feed error, not a crash."""
    import feedparser

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("parser blew up")

    monkeypatch.setattr(feedparser, "parse", explode)
    with pytest.raises(PermanentFetchError, match="malformed feed: parser blew up"):
        parse_feed(b"<rss/>", feed_url=FEED_URL)


def test_content_hash_follows_the_bytes() -> None:
    """Same bytes, same hash; one changed byte, another hash."""
    body = (FEEDS / "atom_html.xml").read_bytes()
    first = parse_feed(body, feed_url=FEED_URL, content_type=XML).content_hash
    again = parse_feed(body, feed_url=FEED_URL, content_type=XML).content_hash
    changed = parse_feed(body.replace(b"Geneva", b"Genf"), feed_url=FEED_URL).content_hash
    assert first == again != changed


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("latin1_declared.xml", None),
        ("latin1_declared.xml", "application/rss+xml"),
        ("latin1_undeclared.xml", "text/xml; charset=iso-8859-1"),
    ],
)
def test_latin1_feeds_decode_correctly(name: str, content_type: str | None) -> None:
    """ISO-8859-1 declared in the XML declaration or in the header gives the right text."""
    feed = parse(name, content_type=content_type)
    assert feed.title == "Café déjà vu"
    assert feed.items[0].title == "Crème brûlée"
    assert feed.warning is None
