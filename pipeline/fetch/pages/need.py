"""Which items are fetched from their page: pure rules, no I/O."""

from __future__ import annotations

import re

from pipeline.models import RawItem, TextSource

__all__ = ["feed_fallback", "needs_page", "word_count"]

# A text that ends like this was cut by the publisher: the page has the rest.
_TRUNCATED = re.compile(
    r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\)|read more|continue reading"
    r"|read the full (?:story|article)|continued)\W*\s*$",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    """Words in ``text``, markup ignored (a rough count: the threshold is all it feeds)."""
    return len(_WORD.findall(_TAG.sub(" ", text)))


def _truncated(text: str) -> bool:
    return bool(_TRUNCATED.search(_TAG.sub(" ", text[-400:])))


def needs_page(item: RawItem, min_words: int) -> bool:
    """True when ``item`` should become the article its link points to.

    A feed item whose text is shorter than ``min_words`` or ends in a truncation marker;
    a JSON line that gave a link and no text. Never an item without a link, a file, or an
    item the page fetcher already produced.
    """
    if not item.url or item.text_source is not None:
        return False
    if item.kind == "jsonl":
        return not item.text.strip()
    if item.kind != "feed":
        return False
    return word_count(item.text) < min_words or _truncated(item.text)


def feed_fallback(item: RawItem) -> tuple[str, TextSource] | None:
    """What the feed gave, best first (summary, else title), when the page is not to be
    had: (text, text_source), or None when the item carries no text at all."""
    text = item.text.strip()
    if text:
        if item.summary is not None and item.text == item.summary:
            return item.text, "summary"
        if item.title is not None and item.text == item.title:
            return item.text, "title"
        return item.text, "feed"
    if item.summary and item.summary.strip():
        return item.summary, "summary"
    if item.title and item.title.strip():
        return item.title, "title"
    return None
