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
    "MAX_FIRST_LINE_ENCODINGS",
    "MAX_MARKUP",
    "MAX_TAG_BYTES",
    "MAX_UNFINISHED_DECLARATION_LINE",
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
# feedparser reads the declared encoding with a regex anchored at the start of the body
# whose backtracking grows with the cube of the number of "encoding=" on the first line
# (100 KB of repeated, unfinished declarations took over 30 s): a real feed has one.
MAX_FIRST_LINE_ENCODINGS = 4
_ENCODING_ATTRIBUTE = re.compile(rb"\x00?".join(bytes([c]) for c in b"encoding") + rb"\x00?=")
# The same regex backtracks over every quote of the first line when the declaration has no
# "?>" (2 s for 137 KB): such a line is refused past this length (a short one costs little).
MAX_UNFINISHED_DECLARATION_LINE = 4096
_DECLARATION_START = re.compile(rb"(?:\xef\xbb\xbf|\xfe\xff|\xff\xfe)?[\s\x00]*<\x00?\?")
_DECLARATION_END = re.compile(rb"\?\x00?>")


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
    end = body.find(b"\n")
    first_line = body if end < 0 else body[:end]  # in UTF-16 too: "\n" is one of its bytes
    encodings = len(_ENCODING_ATTRIBUTE.findall(first_line))
    if encodings > MAX_FIRST_LINE_ENCODINGS:
        raise PermanentFetchError(
            f"malformed feed: {encodings:,} encoding declarations on its first line "
            "(an XML declaration is written once, at the start)",
            url=feed_url,
        )
    if (
        len(first_line) > MAX_UNFINISHED_DECLARATION_LINE
        and _DECLARATION_START.match(first_line)
        and not _DECLARATION_END.search(first_line)
    ):
        raise PermanentFetchError(
            "malformed feed: its XML declaration never ends (no ?> on a first line of "
            f"{len(first_line):,} bytes)",
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
