"""How much markup a feed body may hold before feedparser is let near it.

feedparser is pure Python: 20-90 µs per tag (more with xml:base to resolve), twice over
when the strict parser gives up and the loose one starts again, and the standard
library's SAX attributes make every attribute of a tag cost a scan of all the others
(quadratic: one tag with 40,000 attributes took minutes). A body the fetcher accepts (up
to ``PIPELINE_FETCH_MAX_BYTES``) can hold millions of tags, so the parse path measures
first, with C-speed byte scans, and refuses a body that would take more than about a
second to parse, or holds a tag longer than any feed needs. Real feeds list recent items
and sit well below these limits (an estimate: 50 items of full HTML articles at ~50 tags
each are 2,500 tags)."""

from __future__ import annotations

import re

from pipeline.errors import PermanentFetchError

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_BODY_BYTES",
    "MAX_EQUALS",
    "MAX_MARKUP",
    "MAX_TAG_BYTES",
    "check_budget",
]

# The body: feedparser's loose parser and sanitiser cost about 0.25 s per MB of text.
MAX_BODY_BYTES = 4 * 1024 * 1024

# Tags, and escaped tags (feedparser unescapes and sanitises them as HTML too): 8,000
# of the slowest kind seen (relative links under xml:base) took 0.7 s.
MAX_MARKUP = 10_000
# Attributes in one tag (a channel with many namespace declarations has ~20).
MAX_ATTRIBUTES = 64
# "=" in the whole body: bounds the total of attributes, so the quadratic cost stays small.
MAX_EQUALS = 100_000
# A tag with more than MAX_ATTRIBUTES "=" before its end. Possessive: each "<" is scanned
# once up to the next "<" or ">", so the search is linear in the body.
_CROWDED_TAG = re.compile(rb"<(?:[^<>=]*+=){%d}" % (MAX_ATTRIBUTES + 1))
# One tag (with its attributes) longer than this: expat rescans an unfinished token each
# time feedparser hands it the next 64 KB, so a 12 MB attribute cost over a second.
MAX_TAG_BYTES = 1024 * 1024
_LONG_TAG = re.compile(rb"<[^<>]{%d}" % MAX_TAG_BYTES)


def check_budget(body: bytes, *, feed_url: str) -> None:
    """Raise PermanentFetchError when ``body`` holds more markup than parses in about a
    second; the reason says which limit and what to do."""
    if len(body) > MAX_BODY_BYTES:
        raise PermanentFetchError(
            f"feed too large to parse: {len(body):,} bytes, over the {MAX_BODY_BYTES:,}-byte "
            "limit; ask the publisher for a feed of recent items only",
            url=feed_url,
        )
    markup = body.count(b"<") + body.count(b"&lt;")
    if markup > MAX_MARKUP:
        raise PermanentFetchError(
            f"feed too large to parse: {markup:,} tags, over the {MAX_MARKUP:,}-tag limit; "
            "ask the publisher for a feed of recent items only",
            url=feed_url,
        )
    equals = body.count(b"=")
    if equals > MAX_EQUALS:
        raise PermanentFetchError(
            f"feed too large to parse: {equals:,} attributes, over the {MAX_EQUALS:,} limit",
            url=feed_url,
        )
    long_tag = _LONG_TAG.search(body)
    if long_tag is not None:
        raise PermanentFetchError(
            f"malformed feed: a tag longer than {MAX_TAG_BYTES:,} bytes "
            f"(at byte {long_tag.start():,})",
            url=feed_url,
        )
    crowded = _CROWDED_TAG.search(body)
    if crowded is not None:
        raise PermanentFetchError(
            f"malformed feed: a tag with more than {MAX_ATTRIBUTES} attributes "
            f"(at byte {crowded.start():,})",
            url=feed_url,
        )
