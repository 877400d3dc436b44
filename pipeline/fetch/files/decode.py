"""Telling a file's encoding from its byte-order mark, and showing bytes that did not decode."""

from __future__ import annotations

import codecs

__all__ = ["excerpt", "sniff"]

# Longest first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def sniff(head: bytes) -> tuple[str, str, int]:
    """(codec, name, BOM length) from a byte-order mark; UTF-8 when there is none."""
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return codec, label, len(bom)
    return "utf-8", "UTF-8", 0


def excerpt(data: bytes, limit: int, codec: str) -> tuple[str, bool]:
    """At most ``limit`` bytes of ``data`` as text, bad bytes escaped; and whether it was cut."""
    cut = len(data) > limit
    decoder = codecs.getincrementaldecoder(codec)("backslashreplace")
    # Not final when cut: a character split by the cut is dropped rather than shown as bad bytes.
    return decoder.decode(data[:limit], final=not cut), cut
