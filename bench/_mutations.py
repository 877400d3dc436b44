"""Mutated feed bodies for ``bench/fuzz_feeds.py``: each mutation is a pure function of a
seeded ``random.Random``, a source body and the corpus, so a seed and an index always give
the same bytes.

The mutations are the hostile inputs a feed fetcher meets: damaged bytes (flips, junk
inserted, truncation, two files spliced), deep nesting, huge attributes and text, entity
tricks (exponential and quadratic expansion, external and parameter entities, bad
character references), wrong encodings (re-encoded bodies under a stale declaration,
bogus declarations and Content-Types, wrong byte-order marks) and repeated entries. A
body never exceeds the fetcher's byte limit: a bigger one would be refused before
parsing, so it would test nothing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["MUTATIONS", "Mutant", "Source", "mutate"]


@dataclass(frozen=True)
class Source:
    """One fixture feed: its name (relative path), bytes and the Content-Type to send."""

    name: str
    body: bytes
    content_type: str | None


@dataclass(frozen=True)
class Mutant:
    """A mutated body, the Content-Type it is parsed with, and what was done to it."""

    body: bytes
    content_type: str | None
    mutation: str


Mutation = Callable[[random.Random, bytes, Sequence[Source]], tuple[bytes, str]]

_CONTENT_TYPES = [
    None,
    "application/rss+xml",
    "application/atom+xml; charset=utf-8",
    "text/xml",
    "text/xml; charset=iso-8859-1",
    "application/xml; charset=utf-16",
    "text/html; charset=windows-1252",
    "application/json",
    "text/plain; charset=shift_jis",
    "application/xml; charset=x-no-such-charset",
    'application/xml; charset="utf-8',
]
_JUNK = [
    b"<", b">", b"&", b"]]>", b"<![CDATA[", b"</", b"<!--", b"-->", b"\x00", b"\xff\xfe",
    b"\xc3", b"\xed\xa0\x80", b"&#0;", b"&#xD800;", b"&#1114112;", b"&#99999999999999;",
    b"&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;", b"&lt;img src=x onerror=alert(1)&gt;",
    b"<?xml version='1.0'?>", b"<!DOCTYPE x>", b'"', b"'", b"\r", b"\x1b[2J", b"\xef\xbb\xbf",
    b"{", b"[", b"}", b"]", b'"\\ud800"', b"1e99999", b"-0", b"null",
]  # fmt: skip
_ENCODINGS = [
    "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be", "cp1252", "latin-1", "shift_jis",
    "euc-jp", "koi8-r", "cp500", "utf-7", "gb18030", "big5", "iso-8859-8",
]  # fmt: skip
_DECLARED = [*_ENCODINGS, "x-bogus", "", "utf-8\x00", "ebcdic", "UTF-8 ", "utf-8'"]
_BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"]
_XML_DECL = re.compile(rb"^\s*(\xef\xbb\xbf)?<\?xml[^>]*\?>")
_ENCODING_ATTR = re.compile(rb"""encoding\s*=\s*["'][^"']*["']""")
_TAG = re.compile(rb"<[A-Za-z][\w:.-]*")
_ITEM = re.compile(rb"<(item|entry)\b.*?</\1\s*>", re.S)
_JSON_ITEMS = re.compile(rb'"items"\s*:\s*\[')
# No mutation builds more than this: the bench's own copies would otherwise count in the
# peak RSS it measures for the parser (an 12 MB item repeated 1,000 times is 12 GB).
_CAP = 24 * 1024 * 1024


def _times(times: int, unit: bytes) -> int:
    return max(1, min(times, _CAP // max(1, len(unit))))


def _spot(rng: random.Random, body: bytes) -> int:
    return rng.randrange(len(body) + 1)


def _insert(body: bytes, at: int, data: bytes) -> bytes:
    return body[:at] + data + body[at:]


def _after_a_tag(rng: random.Random, body: bytes) -> int:
    """A position just after the name of a random start tag (or anywhere, if none)."""
    tags = list(_TAG.finditer(body[:200_000]))
    return rng.choice(tags).end() if tags else _spot(rng, body)


def _after_tag_close(rng: random.Random, body: bytes) -> int:
    at = _after_a_tag(rng, body)
    close = body.find(b">", at)
    return close + 1 if close >= 0 else at


# ----------------------------------------------------------------------- damaged bytes


def byte_flips(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    data = bytearray(body)
    n = rng.choice([1, 2, 4, 16, 64])
    for _ in range(n if data else 0):
        data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
    return bytes(data), f"byte_flips({n})"


def junk_inserts(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    n = rng.choice([1, 3, 10])
    for _ in range(n):
        body = _insert(body, _spot(rng, body), rng.choice(_JUNK))
    return body, f"junk_inserts({n})"


def truncate(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    at = _spot(rng, body)
    return body[:at], f"truncate({at})"


def splice(rng: random.Random, body: bytes, corpus: Sequence[Source]) -> tuple[bytes, str]:
    other = rng.choice(corpus)
    head, tail = _spot(rng, body), _spot(rng, other.body)
    return body[:head] + other.body[tail:], f"splice({other.name})"


# ------------------------------------------------------------------ structure and size


def deep_nesting(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    depth = rng.choice([100, 1_000, 10_000, 100_000, 500_000])
    kind = rng.choice(["elements", "unclosed", "escaped_html", "json"])
    if kind == "elements":
        blob = b"<x>" * depth + b"deep" + b"</x>" * depth
    elif kind == "unclosed":
        blob = b"<div><b>" * depth
    elif kind == "escaped_html":
        # inside a description: feedparser unescapes it and the sanitiser parses it as HTML
        blob = b"<description>" + b"&lt;div&gt;" * depth + b"</description>"
    else:
        blob = b'{"a":[' * depth
    return _insert(body, _after_tag_close(rng, body), blob), f"deep_nesting({kind},{depth})"


def huge_attribute(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    size = rng.choice([10_000, 1_000_000, 4_000_000, 12_000_000])
    kind = rng.choice(["value", "many", "text", "href"])
    if kind == "value":
        blob = b' a="' + b"A" * size + b'"'
    elif kind == "many":
        count = size // 100
        blob = b"".join(b' a%d="%d"' % (i, i) for i in range(count))
    elif kind == "href":
        blob = b' href="http://127.0.0.1/' + b"%41" * (size // 3) + b'"'
    else:
        at = _after_tag_close(rng, body)
        return _insert(body, at, b"<title>" + b"word " * (size // 5) + b"</title>"), (
            f"huge_attribute(text,{size})"
        )
    return _insert(body, _after_a_tag(rng, body), blob), f"huge_attribute({kind},{size})"


def repeat_entries(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    times = rng.choice([100, 1_000, 10_000])
    match = _ITEM.search(body)
    if match is None:
        json_items = _JSON_ITEMS.search(body)
        if json_items is None:
            times = _times(min(times, 50), body)
            return body * times, f"repeat_body({times})"
        entry = b'{"id":"x","content_text":"t"},'
        return _insert(body, json_items.end(), entry * times), f"repeat_entries(json,{times})"
    times = _times(times, match.group())
    return _insert(body, match.end(), match.group() * times), f"repeat_entries({times})"


# ----------------------------------------------------------------------------- entities


def _with_doctype(body: bytes, doctype: bytes) -> bytes:
    decl = _XML_DECL.match(body)
    at = decl.end() if decl else 0
    return body[:at] + doctype + body[at:]


def entity_tricks(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    kind = rng.choice(["laughs", "quadratic", "external", "parameter", "undefined", "charrefs"])
    ref = b""
    if kind == "laughs":
        decls = b'<!ENTITY l0 "lol">' + b"".join(
            b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10)
        )
        doctype, ref = b"<!DOCTYPE rss [" + decls + b"]>", b"&l9;"
    elif kind == "quadratic":
        doctype = b'<!DOCTYPE rss [<!ENTITY big "' + b"B" * 50_000 + b'">]>'
        ref = b"&big;" * 20_000
    elif kind == "external":
        target = rng.choice([b"file:///etc/passwd", b"http://127.0.0.1:9/x", b"/dev/zero"])
        doctype = b'<!DOCTYPE rss [<!ENTITY ext SYSTEM "' + target + b'">]>'
        ref = b"&ext;"
    elif kind == "parameter":
        doctype = (
            b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd">'
            b"<!ENTITY % q \"<!ENTITY leak '%p;'>\">%q;]>"
        )
        ref = b"&leak;"
    elif kind == "undefined":
        doctype, ref = b"", b"&nbsp;&copy;&undefined;&amp&#;&#x;&"
    else:
        doctype = b""
        ref = b"&#0;&#x1;&#xD800;&#xDFFF;&#x110000;&#65535;&#99999999999999999999;&#x7f;"
    body = _with_doctype(body, doctype) if doctype else body
    return _insert(body, _after_tag_close(rng, body), ref), f"entity_tricks({kind})"


# ---------------------------------------------------------------------------- encodings


def wrong_encoding(rng: random.Random, body: bytes, _c: Sequence[Source]) -> tuple[bytes, str]:
    kind = rng.choice(["reencode", "declare", "bom", "bom_reencode"])
    if kind in ("reencode", "bom_reencode"):
        codec = rng.choice(_ENCODINGS)
        text = body.decode("utf-8", errors=rng.choice(["replace", "surrogateescape"]))
        encoded = text.encode(codec, errors="replace")
        if kind == "bom_reencode":
            encoded = rng.choice(_BOMS) + encoded
        return encoded, f"wrong_encoding({kind},{codec})"
    if kind == "declare":
        name = rng.choice(_DECLARED).encode("latin-1")
        if _ENCODING_ATTR.search(body[:300]):
            return _ENCODING_ATTR.sub(b'encoding="' + name + b'"', body, count=1), (
                f"wrong_encoding(declare,{name!r})"
            )
        return b'<?xml version="1.0" encoding="' + name + b'"?>' + body, (
            f"wrong_encoding(declare,{name!r})"
        )
    return rng.choice(_BOMS) + body, "wrong_encoding(bom)"


MUTATIONS: dict[str, Mutation] = {
    "byte_flips": byte_flips,
    "junk_inserts": junk_inserts,
    "truncate": truncate,
    "splice": splice,
    "deep_nesting": deep_nesting,
    "huge_attribute": huge_attribute,
    "repeat_entries": repeat_entries,
    "entity_tricks": entity_tricks,
    "wrong_encoding": wrong_encoding,
}


def mutate(rng: random.Random, corpus: Sequence[Source], max_bytes: int) -> tuple[Source, Mutant]:
    """One mutant: a random source, one to three random mutations, a random Content-Type
    now and then; cut to ``max_bytes`` (the fetcher refuses anything bigger unparsed)."""
    source = rng.choice(corpus)
    body, labels = source.body, []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        name = rng.choice(sorted(MUTATIONS))
        body, label = MUTATIONS[name](rng, body[:_CAP], corpus)
        body = body[:max_bytes]
        labels.append(label)
    content_type = rng.choice(_CONTENT_TYPES) if rng.random() < 0.25 else source.content_type
    return source, Mutant(body, content_type, "+".join(labels))
