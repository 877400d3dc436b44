"""Neutralise a feed's DOCTYPE before parsing: no entity may expand to more than a few
dozen characters, however often it is referenced.

XML parsers expand internal entities; a 60 KB feed with one large entity referenced
many times expands to hundreds of MB (feedparser's loose fallback parser took 887 MB and
6 s on one). The internal subset is rewritten: only short, reference-free general
entities survive (the shape feedparser's own DOCTYPE handling keeps), every other
declaration goes, and references to the dropped entities are removed from the document
so the strict parser can still read it. The DOCTYPE's external id stays (it tells
feedparser a Netscape RSS 0.91 feed) and is never fetched.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["neutralise", "neutralise_doctype"]

# An entity whose value is longer than this, or refers to anything, is dropped.
_MAX_ENTITY_VALUE = 64

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
_UTF8_BOM_AS_LATIN1 = codecs.BOM_UTF8.decode("latin-1")


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


def _doctype_span(text: str, i: int = 0) -> tuple[int, int, int | None, int | None] | None:
    """Find the DOCTYPE in the prolog from ``i`` on: (start, end, subset_start,
    subset_end), or None."""
    n = len(text)
    if i == 0 and text.startswith(_UTF8_BOM_AS_LATIN1):
        i = len(_UTF8_BOM_AS_LATIN1)  # a UTF-8 body is read as Latin-1 here: skip its BOM
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
    declared = set(_ENTITY_NAME.findall(subset))
    # A second DOCTYPE makes the document ill-formed, but a parser may still read its
    # entities (a billion laughs behind a harmless first DOCTYPE): any further DOCTYPE in
    # the prolog goes whole, and its entities count as dropped.
    pieces, position = [], end
    while (extra := _doctype_span(text, position)) is not None:
        extra_start, extra_end, extra_subset_start, extra_subset_end = extra
        pieces.append(text[position:extra_start])
        if extra_subset_start is not None:
            declared |= set(_ENTITY_NAME.findall(text[extra_subset_start:extra_subset_end]))
        position = extra_end
    rest = "".join(pieces) + text[position:]
    kept = {name for name, _ in entities} | _PREDEFINED
    dropped = sorted(declared - kept)
    used: list[str] = []
    if dropped:
        # A reference to an entity that no longer exists would make the document
        # ill-formed and send it to feedparser's slow loose parser: remove the references.
        pattern = re.compile("&(" + "|".join(map(re.escape, dropped)) + ");")
        used = sorted(set(pattern.findall(rest)))
        rest = pattern.sub("", rest) if used else rest
    return text[:start] + replacement + ">" + rest, used


def neutralise(body: bytes) -> tuple[bytes, list[str]]:
    """The body with its DOCTYPE rewritten, and the dropped entities it referenced."""
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
    return neutralise(body)[0]
