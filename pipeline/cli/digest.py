"""A human-readable digest of an output entry, for the demo and the terminal."""

from __future__ import annotations

import textwrap
from collections import defaultdict

from redis import Redis

from pipeline.models import EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams.reader import recorded_entry

__all__ = ["digest", "original_of"]

_WIDTH = 100
_LABELS = ("PERSON", "ORG", "LOCATION", "MISC")


def _wrap(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=f"  {label:<10}", subsequent_indent=" " * 12
    ) or [f"  {label:<10}-"]


def _status(article: EnrichedArticle) -> str:
    if article.duplicate_of:
        kind = article.duplicate_kind or "exact"
        similarity = f", similarity {article.similarity:.2f}" if kind == "near" else ""
        story = (
            f", story {article.cluster}"
            if article.cluster not in (None, article.duplicate_of)
            else ""
        )
        return f"{kind} copy of {article.duplicate_of}{similarity}{story}"
    if article.revision > 1:
        return f"revision {article.revision}"
    return "original"


def digest(entry_id: str, article: EnrichedArticle, original: EnrichedArticle | None = None) -> str:
    """A few lines saying what an entry holds: who, when, where it came from; a copy
    names its original (``original``: the article it copies, when still known)."""
    status = _status(article)
    published = article.published.isoformat() if article.published else "unknown"
    lines = [f"── entry {entry_id}  id {article.id}  ({status})"]
    lines += _wrap("title", article.title or "-")
    if original is not None:
        lines += _wrap("copy of", f"{original.title or '-'} ({original.source})")
    lines += _wrap(
        "about",
        f"published {published} ({article.published_provenance}); dateline "
        f"{article.dateline or '-'}; language {article.language or '?'}; "
        f"{article.word_count} words; source {article.source}",
    )
    by_label: dict[str, list[str]] = defaultdict(list)
    for entity in article.entities:
        alias = f" ({', '.join(entity.aliases)})" if entity.aliases else ""
        count = f" ×{len(entity.mentions)}" if len(entity.mentions) > 1 else ""
        by_label[entity.label].append(f"{entity.name}{alias}{count}")
    for label in _LABELS:
        if by_label[label]:
            lines += _wrap(label, "; ".join(by_label[label]))
    if article.dates:
        shown = [
            f'"{d.text}" → {d.value}' + (f" ({d.mod})" if d.mod else "") for d in article.dates
        ]
        lines += _wrap("dates", "; ".join(shown))
    return "\n".join(lines)


def original_of(
    redis: Redis, settings: Settings, article: EnrichedArticle
) -> EnrichedArticle | None:
    """The article a copy copies, read back from the stream (None for an original, or
    when it is no longer there)."""
    if not article.duplicate_of:
        return None
    entry = recorded_entry(
        redis, settings.articles_stream, settings.key("seen", article.duplicate_of)
    )
    return entry.article() if entry else None
