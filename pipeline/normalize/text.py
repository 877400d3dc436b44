"""Text clean-up: HTML or plain text in, NFC plain text with clean paragraphs out."""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy

from pipeline.normalize.html import html_to_text, looks_like_html

__all__ = ["clean_line", "clean_text", "looks_broken"]

# Removed outright: BOM/zero-width no-break space, zero-width space, word joiner, soft
# hyphen, Mongolian vowel separator, and C0 controls other than tab and newline. ZWJ and
# ZWNJ (U+200C/U+200D) are kept: they carry meaning in Persian, Indic scripts and emoji.
_INVISIBLE = re.compile("[\ufeff\u200b\u2060\u00ad\u180e\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_LINE_SEPARATORS = re.compile("[\u2028\u0085]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\u2029")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# What UTF-8 read as Latin-1/Windows-1252 looks like: a lead byte (Â..ô) followed by the
# right number of continuation bytes, each shown as a Latin-1/cp1252 character; or stray C1
# controls. Only paragraphs matching this pay for ftfy, which costs ~1-2 ms per article.
_CONT = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}|\u00e2\u20ac"
)
# A lead byte then one continuation: a single-charset prefix, which the regex engine scans
# fast, so clean non-ASCII text (French, curly quotes) is cleared in microseconds.
_MOJIBAKE_START = re.compile(f"[\u00c2-\u00f4]{_CONT}")
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=False,
    explain=False,
)


def looks_broken(text: str) -> bool:
    """True when ``text`` shows signs of mojibake (UTF-8 decoded as Latin-1/cp1252)."""
    if text.isascii():
        return False
    if _C1_CONTROLS.search(text):
        return True
    return any(_MOJIBAKE.match(text, m.start()) for m in _MOJIBAKE_START.finditer(text))


def _fix_mojibake(text: str) -> str:
    paragraphs = _PARAGRAPH_BREAK.split(text)
    fixed = [ftfy.fix_text(p, _FTFY_CONFIG) if looks_broken(p) else p for p in paragraphs]
    return "\n\n".join(fixed)


def _to_plain(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if looks_like_html(text):
        return html_to_text(text)
    if "&" in text and _ENTITY.search(text):
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        # Escaped markup (double-encoded feeds) is markup too: never let tags through.
        if looks_like_html(text):
            return html_to_text(text)
    return text


def clean_text(text: str) -> str:
    """Plain NFC text, paragraphs separated by one blank line, lines joined, whitespace
    collapsed, mojibake repaired; ``""`` when nothing readable is left."""
    text = _to_plain(text)
    if looks_broken(text):
        text = _fix_mojibake(text)
        text = _C1_CONTROLS.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _LINE_SEPARATORS.search(text):
            text = _LINE_SEPARATORS.sub("\n", text)
    # str.split() splits on every Unicode space (NBSP, narrow NBSP, ideographic...), so
    # this both collapses whitespace and turns those spaces into plain ones.
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def clean_line(text: str) -> str:
    """Like ``clean_text`` but on one line: for titles, names and labels."""
    return " ".join(clean_text(text).split())
