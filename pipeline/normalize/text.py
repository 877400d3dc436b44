"""Text clean-up: HTML or plain text in, NFC plain text with clean paragraphs out."""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy

from pipeline.normalize.html import html_to_text, looks_like_html

__all__ = ["clean_line", "clean_text", "looks_broken", "strip_invisible"]

# One scan collects every character that may need work (anything but printable ASCII,
# tab and newline); clean articles have none, or a few curly quotes and dashes.
_UNUSUAL = re.compile("[^\t\n\x20-\x7e]")
# Removed outright: BOM/zero-width no-break space, zero-width space, word joiner, soft
# hyphen, Mongolian vowel separator, C0 controls but tab, line feed, VT and FF, and lone
# surrogates (they cannot be encoded). ZWJ and ZWNJ (U+200C/U+200D) are kept: they carry
# meaning in Persian, Indic scripts and emoji.
_INVISIBLE = re.compile("[\ufeff\u200b\u2060\u00ad\u180e\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")
_INVISIBLE_CHARS = frozenset(
    "\ufeff\u200b\u2060\u00ad\u180e\x7f"
    + "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0xD800, 0xE000)]))
)
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_LINE_SEPARATORS = frozenset("\u2028\u0085\x0b\x0c")  # also vertical tab, form feed
_PARAGRAPH_SEPARATOR = "\u2029"
_SPACES = frozenset(c for c in map(chr, range(0x80, 0x3001)) if c.isspace())
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
_SUSPECTS = frozenset(map(chr, range(0x80, 0xA0))) | frozenset(map(chr, range(0xC2, 0xF5)))
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
    lines = text.split("\n")
    return "\n".join(ftfy.fix_text(p, _FTFY_CONFIG) if looks_broken(p) else p for p in lines)


def _to_plain(text: str) -> tuple[str, bool]:
    """Plain text, and whether entities in plain text were decoded."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        return html_to_text(text), False
    if "&" in text and _ENTITY.search(text):
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        # Escaped markup (double-encoded feeds) is markup too: never let tags through.
        if looks_like_html(text):
            return html_to_text(text), True
        return text, True
    return text, False


def _paragraphs(text: str) -> str:
    # str.split() splits on every Unicode space (NBSP, narrow NBSP, ideographic...), so
    # this collapses whitespace, turns those spaces into plain ones and joins the lines
    # of a paragraph; a line with nothing but spaces ends one.
    paragraphs: list[str] = []
    words: list[str] = []
    for line in text.split("\n"):
        line_words = line.split()
        if line_words:
            words += line_words
        elif words:
            paragraphs.append(" ".join(words))
            words = []
    if words:
        paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)


def _is_tidy(text: str) -> bool:
    # Already one space between words and one blank line between paragraphs (as seed files
    # and most feeds are): then _paragraphs would return it unchanged, at 4x the cost.
    return (
        "  " not in text
        and "\t" not in text
        and " \n" not in text
        and "\n " not in text
        and "\n\n\n" not in text
        and text.count("\n") == 2 * text.count("\n\n")
    )


# Passes of clean-up at most: see clean_text.
_MAX_PASSES = 3


def clean_text(text: str) -> str:
    """Plain NFC text, paragraphs separated by one blank line, lines joined, whitespace
    collapsed, mojibake repaired; ``""`` when nothing readable is left."""
    cleaned, heuristic = _clean(text)
    # Entity decoding and mojibake repair can leave text that calls for them again
    # ("&amp;amp;", "\x9dÂ\x80" -> "Â€"): repeat until nothing changes (bounded), so
    # cleaning clean text changes nothing. Most text takes neither step: one pass.
    passes = 1
    while heuristic and passes < _MAX_PASSES:
        again, heuristic = _clean(cleaned)
        passes += 1
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean(text: str) -> tuple[str, bool]:
    """One pass of clean_text, and whether it decoded entities or repaired mojibake."""
    text, heuristic = _to_plain(text)
    unusual = set(_UNUSUAL.findall(text))
    if unusual:
        if not _INVISIBLE_CHARS.isdisjoint(unusual):
            text = _INVISIBLE.sub("", text)
        if not _SUSPECTS.isdisjoint(unusual) and looks_broken(text):
            heuristic = True
            text = _C1_CONTROLS.sub("", _fix_mojibake(text))
            # The repair makes characters the first scan never saw ("Â " is a no-break
            # space, "ï»¿" a BOM): scan again so they are handled like the rest.
            unusual = set(_UNUSUAL.findall(text))
            if not _INVISIBLE_CHARS.isdisjoint(unusual):
                text = _INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFC", text)
        if _PARAGRAPH_SEPARATOR in unusual:
            text = text.replace(_PARAGRAPH_SEPARATOR, "\n\n")
        for separator in _LINE_SEPARATORS.intersection(unusual):
            text = text.replace(separator, "\n")
    text = text.strip()
    if _SPACES.isdisjoint(unusual) and _is_tidy(text):
        return text, heuristic
    return _paragraphs(text), heuristic


def strip_invisible(text: str) -> str:
    """``text`` without surrounding white space and without the characters that cannot be
    seen or encoded (controls, zero-width characters, lone surrogates): for URLs and ids."""
    text = text.strip()
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


def clean_line(text: str) -> str:
    """Like ``clean_text`` but on one line: for titles, names and labels."""
    line = " ".join(clean_text(text).split())
    # Paragraphs joined into one line are one context for mojibake repair, which may then
    # read them differently: settle it (bounded), so cleaning a clean line changes nothing.
    for _ in range(_MAX_PASSES - 1):
        if _SUSPECTS.isdisjoint(line) and "&" not in line:
            break
        again = " ".join(clean_text(line).split())
        if again == line:
            break
        line = again
    return line
