"""FEEDS files: plain lists with options, OPML exports, and bad lines reported clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigurationError
from pipeline.fetch.feeds.feedlist import FeedSpec, load_feeds, parse_duration, parse_feed_list


def test_plain_list_with_comments_and_options():
    """URLs one per line; comments, blank lines, interval= and quoted name= are understood."""
    text = b"""# my feeds

https://example.com/rss.xml
  https://example.org/atom  interval=15m  name="Example Org"   # trailing comment
https://example.net/feed#section interval=2h
"""
    feed_list = parse_feed_list(text)
    assert feed_list.format == "list"
    assert feed_list.problems == []
    assert feed_list.feeds == [
        FeedSpec("https://example.com/rss.xml", line=3),
        FeedSpec("https://example.org/atom", name="Example Org", interval=900, line=4),
        FeedSpec("https://example.net/feed#section", interval=7200, line=5),
    ]


def test_bad_lines_are_skipped_and_reported_with_line_numbers():
    """Each bad line is reported with its number and reason; the good lines still load."""
    text = b"""https://ok.example/rss
ftp://files.example/feed.xml
https://ok.example/other colour=blue
https://ok.example/third interval=soon
https://ok.example/rss
not-a-url
https://ok.example/quote name="unterminated
"""
    feed_list = parse_feed_list(text)
    assert [f.url for f in feed_list.feeds] == ["https://ok.example/rss"]
    reasons = {p.line: p.reason for p in feed_list.problems}
    assert reasons[2] == "only http and https feeds are supported"
    assert "unknown option 'colour=blue'" in reasons[3]
    assert "not a duration" in reasons[4]
    assert reasons[5] == "duplicate of line 1"
    assert reasons[6] == "not a URL (expected http://... or https://...)"
    assert "cannot split line" in reasons[7]
    assert str(feed_list.problems[0]).startswith("line 2: only http and https")


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Example" title="Example News" xmlUrl="https://example.com/rss"/>
      <outline type="rss" text="Only text" xmlUrl="https://example.org/feed"/>
      <outline type="rss" text="Broken"/>
      <outline type="rss" text="Gopher" xmlUrl="gopher://example.net/feed"/>
    </outline>
  </body>
</opml>
"""


def test_opml_nested_outlines():
    """Every outline with an xmlUrl is a feed named by its title (or text)."""
    feed_list = parse_feed_list(OPML)
    assert feed_list.format == "opml"
    assert [(f.url, f.name, f.line) for f in feed_list.feeds] == [
        ("https://example.com/rss", "Example News", 6),
        ("https://example.org/feed", "Only text", 7),
    ]
    assert [(p.line, p.reason) for p in feed_list.problems] == [
        (8, "feed outline has no xmlUrl"),
        (9, "only http and https feeds are supported"),
    ]


def test_opml_entities_are_not_expanded():
    """An OPML file declaring nested entities still loads, without expanding them."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<opml><body><outline title="&c;" xmlUrl="https://e.example/rss"/></body></opml>'
    )
    feed_list = parse_feed_list(bomb)
    assert [f.url for f in feed_list.feeds] == ["https://e.example/rss"]
    assert "aaaa" not in (feed_list.feeds[0].name or "")


def test_malformed_opml_and_unreadable_files_are_configuration_errors(tmp_path: Path):
    """A broken OPML or a missing file stops the command with a clear message."""
    with pytest.raises(ConfigurationError, match="not well-formed OPML"):
        parse_feed_list(b"<opml><body><outline xmlUrl='https://x/'></body>")
    with pytest.raises(ConfigurationError, match="cannot read FEEDS file"):
        load_feeds(tmp_path / "nope.txt")


def test_digest_changes_with_content(tmp_path: Path):
    """The digest tells a real change from a touch."""
    path = tmp_path / "feeds.txt"
    path.write_text("https://a.example/rss\n")
    first = load_feeds(path).digest
    path.write_text("https://a.example/rss\n")
    assert load_feeds(path).digest == first
    path.write_text("https://b.example/rss\n")
    assert load_feeds(path).digest != first


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400)]
)
def test_durations(text: str, seconds: float):
    """Intervals are written with a unit."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["http://[::1/feed", "http://[zz]/feed", "http://host:99999/feed"])
def test_a_malformed_url_is_a_skipped_line_not_an_exception(bad: str):
    """A URL that urlsplit cannot take apart (unclosed IPv6 bracket, bad port) is reported
    with its line number and what to do; the lines around it still load."""
    text = f"https://ok.example/a\n{bad}\nhttps://ok.example/b\n".encode()
    feed_list = parse_feed_list(text)
    assert [f.url for f in feed_list.feeds] == ["https://ok.example/a", "https://ok.example/b"]
    (problem,) = feed_list.problems
    assert problem.line == 2 and problem.reason.startswith("not a valid URL")
    opml = f'<opml><body><outline xmlUrl="{bad}"/></body></opml>'.encode()
    assert parse_feed_list(opml).problems[0].reason.startswith("not a valid URL")
