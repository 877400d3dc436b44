"""The article body and metadata of a page: CPU work, run in a worker pool, never on the
fetcher's event loop. Pure: bytes in, :class:`ExtractedPage` out.

The body comes from trafilatura (the reference extractor) with ``favor_precision`` on and
reader comments left out: we want the article, not the page around it (on the labelled
benchmark, ``bench/extract.py``, this is the difference between F1 0.962 and 0.976).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import trafilatura
from trafilatura.utils import load_html

from pipeline.fetch.pages.metadata import PageMetadata, read_metadata

__all__ = ["ExtractedPage", "extract_body", "extract_page"]

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ExtractedPage:
    """The body (paragraphs separated by blank lines; "" when none) and the metadata."""

    text: str
    metadata: PageMetadata = field(default_factory=PageMetadata)


def _decode(body: bytes, content_type: str | None) -> str | bytes:
    match = _CHARSET.search(content_type or "")
    if match:
        try:
            return body.decode(match.group(1), errors="replace")
        except LookupError:
            pass
    return body  # trafilatura guesses the encoding (UTF-8 first, then detection)


def extract_body(tree: Any, url: str | None = None) -> str:
    """trafilatura's text of the article in ``tree``, paragraphs separated by blank lines."""
    text = trafilatura.extract(
        tree,
        url=url,
        favor_precision=True,
        include_comments=False,
        with_metadata=False,
    )
    lines = (line.strip() for line in (text or "").splitlines())
    return "\n\n".join(line for line in lines if line)


def _split_headline(text: str, headlines: list[str]) -> tuple[str | None, str]:
    """(heading, body): a first paragraph that is the page's own headline comes off the
    body (the title has its own field, and the benchmark's article bodies do not repeat it)."""
    first, _, rest = text.partition("\n\n")
    if not rest or len(first.split()) > 40:
        return None, text
    heading = " ".join(first.split()).casefold()
    if any(heading and heading in " ".join(h.split()).casefold() for h in headlines):
        return first, rest
    return None, text


def extract_page(
    body: bytes, url: str, content_type: str | None = None, *, max_bytes: int = 5 * 1024 * 1024
) -> ExtractedPage:
    """Extract the article of an HTML page fetched from ``url`` (a body that is itself
    compressed is inflated to at most ``max_bytes``)."""
    tree = load_html(_decode(body, content_type), max_size=max_bytes)
    if tree is None:
        return ExtractedPage("")
    metadata = read_metadata(tree)  # first: extraction prunes the tree it is given
    heading, text = _split_headline(extract_body(tree, url), metadata.headlines)
    title = metadata.title or heading or metadata.page_title
    return ExtractedPage(text, replace(metadata, title=title))
