"""DTD entities are never expanded beyond a few dozen characters: entity bombs parse fast."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from pipeline.fetch.feeds.parse.doctype import neutralise_doctype
from pipeline.fetch.feeds.parse.feed import parse_feed
from tests.conftest import RESOURCES

FEED_URL = "https://bomb.example/feed.xml"


def one_big_entity_feed() -> bytes:
    """About 60 KB: one 10,000-character entity referenced 10,000 times (100 MB expanded)."""
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 10_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>Bomb</title><item><title>Boom</title>'
        b"<description>" + b"&big;" * 10_000 + b"</description></item></channel></rss>"
    )


def nested_laughs_feed() -> bytes:
    """The classic billion laughs: ten levels of entities, each ten of the one before."""
    decls = [b'<!ENTITY lol0 "lol">']
    decls += [b'<!ENTITY lol%d "' % i + (b"&lol%d;" % (i - 1)) * 10 + b'">' for i in range(1, 10)]
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        + b"\n".join(decls)
        + b'\n]>\n<rss version="2.0"><channel><title>Laughs</title><item><title>t</title>'
        b"<description>&lol9;</description></item></channel></rss>"
    )


@pytest.mark.parametrize("make", [one_big_entity_feed, nested_laughs_feed])
def test_entity_bomb_parses_fast_with_little_memory(make: object) -> None:
    """Milliseconds and a few MB, where expanding the entities would take hundreds of MB."""
    body = make()  # type: ignore[operator]
    tracemalloc.start()
    started = time.perf_counter()
    feed = parse_feed(body, feed_url=FEED_URL, content_type="application/rss+xml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024
    assert feed.items, "the entries around the bomb are still delivered"
    assert len(feed.items[0].text) < 200_000  # nothing was expanded
    assert feed.warning is not None
    assert feed.warning.startswith("entities not expanded: ")


def test_declared_but_unused_entities_parse_cleanly() -> None:
    """A feed that declares entities it does not use parses with no warning at all."""
    body = (RESOURCES / "feeds" / "unused_entities.xml").read_bytes()
    feed = parse_feed(body, feed_url=FEED_URL, content_type="application/rss+xml")
    assert feed.warning is None
    assert feed.title == "Entities Harbour Gazette"  # a short entity is still expanded
    assert [i.title for i in feed.items] == ["Declared, unused entities"]


def test_rewritten_doctype_keeps_only_short_plain_entities() -> None:
    """Long, nested, parameter and external entities go; short literal ones stay."""
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC '
        b'"-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd" [\n'
        b'<!ENTITY ok "fine">\n<!ENTITY copy "&#169;">\n<!ENTITY nested "&ok;&ok;">\n'
        b'<!ENTITY ext SYSTEM "file:///etc/passwd">\n<!ENTITY % pe "x">\n'
        b'<!-- a ] and a > inside a comment -->\n<!ENTITY long "' + b"x" * 100 + b'">\n]>\n<rss/>'
    )
    out = neutralise_doctype(body)
    assert b'<!ENTITY ok "fine">' in out
    assert b'<!ENTITY copy "&#169;">' in out
    for gone in (b"nested", b"ext", b"/etc/passwd", b"% pe", b"long"):
        assert gone not in out
    assert b"Netscape" in out  # the external id still tells feedparser the version
    assert out.endswith(b"]>\n<rss/>")


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    """A SYSTEM entity pointing at a local file does not pull the file into the feed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "'
        + secret.as_uri().encode()
        + b'">\n]>\n<rss version="2.0"><channel><title>X</title><item><title>t</title>'
        b"<description>before &xxe; after</description></item></channel></rss>"
    )
    feed = parse_feed(body, feed_url=FEED_URL, content_type="application/rss+xml")
    assert "TOP-SECRET" not in feed.items[0].text
    assert "before" in feed.items[0].text


def test_utf16_bomb_is_neutralised_too() -> None:
    """A UTF-16 feed cannot hide its DOCTYPE from the byte-level rewrite."""
    body = one_big_entity_feed().decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    encoded = body.encode("utf-16")  # with a BOM
    out = neutralise_doctype(encoded)
    assert "A" * 10_000 not in out.decode("utf-16")
    started = time.perf_counter()
    feed = parse_feed(encoded, feed_url=FEED_URL, content_type="application/rss+xml")
    assert time.perf_counter() - started < 1.0
    assert feed.items


def test_feed_without_doctype_is_left_byte_for_byte() -> None:
    """No DOCTYPE: the bytes go to the parser untouched."""
    body = (RESOURCES / "feeds" / "rss2_full.xml").read_bytes()
    assert neutralise_doctype(body) is body
