"""Feeds built to be slow or to break URL handling: refused with a reason, or parsed."""

from __future__ import annotations

import pytest

from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.budget import (
    MAX_ATTRIBUTES,
    MAX_BODY_BYTES,
    MAX_MARKUP,
    MAX_TAG_BYTES,
)
from pipeline.fetch.feeds.parse.feed import parse_feed

FEED_URL = "https://gazette.example/feeds/main.xml"
XML = "application/rss+xml; charset=utf-8"


def rss(items: str, channel_attributes: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel{channel_attributes}>'
        f"<title>Gazette</title>{items}</channel></rss>"
    ).encode()


def test_a_link_urllib_cannot_split_drops_the_link_not_the_feed() -> None:
    """Found by bench/fuzz_feeds.py: "http://[::1" made urljoin raise ValueError out of
    parse_feed; now the item keeps everything but its link."""
    body = rss("<item><title>Ferry resumes</title><link>http://[::1</link></item>")
    feed = parse_feed(body, feed_url=FEED_URL, content_type=XML)
    assert [i.title for i in feed.items] == ["Ferry resumes"]
    assert feed.items[0].url is None


def test_a_json_feed_with_an_unsplittable_home_page_still_parses() -> None:
    """The same link bug through the JSON Feed reader."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "G",'
        b' "home_page_url": "http://[x", "items": [{"id": "1", "content_text": "t"}]}'
    )
    feed = parse_feed(body, feed_url=FEED_URL)
    assert feed.link is None and len(feed.items) == 1


def test_a_feed_with_too_many_tags_is_refused_fast_with_the_limit_named() -> None:
    """Hundreds of thousands of tags took feedparser over 10 s; the reason says the limit."""
    body = rss("<item><title>x</title></item>" * (MAX_MARKUP // 4 + 1))
    with pytest.raises(PermanentFetchError, match="10,000-tag limit"):
        parse_feed(body, feed_url=FEED_URL, content_type=XML)


def test_a_tag_with_thousands_of_attributes_is_refused() -> None:
    """Attributes cost quadratic time in the SAX layer: 40,000 on one tag took minutes."""
    attributes = "".join(f' a{i}="{i}"' for i in range(MAX_ATTRIBUTES + 1))
    with pytest.raises(PermanentFetchError, match="more than 64 attributes"):
        parse_feed(rss("<item><title>x</title></item>", attributes), feed_url=FEED_URL)


def test_a_tag_longer_than_a_megabyte_is_refused() -> None:
    """A 12 MB attribute made expat rescan it for every 64 KB chunk (seconds per feed)."""
    attribute = ' a="' + "A" * MAX_TAG_BYTES + '"'
    assert MAX_TAG_BYTES < MAX_BODY_BYTES
    with pytest.raises(PermanentFetchError, match="a tag longer than 1,048,576 bytes"):
        parse_feed(rss("<item><title>x</title></item>", attribute), feed_url=FEED_URL)


@pytest.mark.parametrize("json", [False, True], ids=["xml", "json"])
def test_a_body_over_the_parse_limit_is_refused(json: bool) -> None:
    """10 MB of entry text took feedparser 2.8 s; the JSON reader gets the same cap."""
    filler = "word " * (MAX_BODY_BYTES // 5)
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "content_text": "'
        + filler.encode()
        + b'"}]}'
        if json
        else rss(f"<item><title>x</title><description>{filler}</description></item>")
    )
    with pytest.raises(PermanentFetchError, match="-byte limit"):
        parse_feed(body, feed_url=FEED_URL)


def test_a_feed_just_under_the_limits_still_parses() -> None:
    """The limits refuse only what no real feed needs: 64 attributes and many items pass."""
    attributes = "".join(f' a{i}="{i}"' for i in range(MAX_ATTRIBUTES))
    body = rss("<item><title>x</title></item>" * 1_000, attributes)
    assert len(parse_feed(body, feed_url=FEED_URL, content_type=XML).items) == 1_000


_LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
_LAUGHING_RSS = (
    "<rss version='2.0'><channel><title>G</title><item><title>a &l9;</title></item></channel></rss>"
)


@pytest.mark.parametrize(
    "prolog",
    [
        pytest.param("\ufeff" + _LAUGHS, id="utf8-bom"),
        pytest.param('<!DOCTYPE rss [<!ENTITY ok "fine">]>' + _LAUGHS, id="second-doctype"),
        pytest.param('<!DOCTYPE rss SYSTEM "x.dtd"><!-- c -->' + _LAUGHS, id="after-a-comment"),
    ],
)
def test_a_billion_laughs_is_not_expanded_however_the_doctype_is_hidden(prolog: str) -> None:
    """Found by bench/fuzz_feeds.py: behind a UTF-8 byte-order mark, or as a second DOCTYPE,
    the exponential entity reached the parser (1.4 s per 900-byte feed, within expat's own
    amplification limit); now it is dropped, the feed says so and parses."""
    body = (prolog + _LAUGHING_RSS).encode("utf-8")
    feed = parse_feed(body, feed_url=FEED_URL, content_type=XML)
    assert feed.warning is not None and "entities not expanded: l9" in feed.warning
    assert [item.title for item in feed.items] == ["a"]


@pytest.mark.parametrize(
    "declaration",
    [
        b'<?xml version="1.0" encoding="iso-8859-',  # as the fuzz bench cut and repeated it
        '<?xml version="1.0" encoding="utf-16b'.encode("utf-16-be"),
    ],
)
def test_a_first_line_of_repeated_declarations_is_refused(declaration: bytes) -> None:
    """Found by bench/fuzz_feeds.py --count 100000 --seed 2: 100-190 KB of unfinished XML
    declarations kept feedparser's encoding regex busy past 30 s."""
    with pytest.raises(PermanentFetchError, match="encoding declarations on its first line"):
        parse_feed(declaration * 2500, feed_url=FEED_URL, content_type=None)


def test_a_long_first_line_whose_declaration_never_ends_is_refused() -> None:
    """No "?>": the same regex tries every quote of the line (2 s for 137 KB)."""
    body = b'<?xml version="1.0" encoding="utf-8"><rss><channel>' + b'<title a="b">x</title>' * 4900
    with pytest.raises(PermanentFetchError, match="XML declaration never ends"):
        parse_feed(body, feed_url=FEED_URL, content_type=None)


def test_a_feed_on_one_line_with_its_declaration_still_parses() -> None:
    """Minified feeds are common: one long line with one finished declaration is fine."""
    items = "".join(
        f"<item><title>Story {n}</title><link>https://gazette.example/{n}</link></item>"
        for n in range(1500)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Gazette</title>{items}</channel></rss>"
    ).encode()
    assert b"\n" not in body
    feed = parse_feed(body, feed_url=FEED_URL, content_type=XML)
    assert len(feed.items) == 1500
