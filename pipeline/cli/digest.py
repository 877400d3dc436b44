"""A human-readable digest of an output entry, for the demo and the terminal."""

from __future__ import annotations

import textwrap
from collections import defaultdict

from pipeline.models import EnrichedArticle

__all__ = ["digest"]

_WIDTH = 100
_LABELS = ("PERSON", "ORG", "LOCATION", "MISC")


def _wrap(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=f"  {label:<10}", subsequent_indent=" " * 12
    ) or [f"  {label:<10}-"]


def digest(entry_id: str, article: EnrichedArticle) -> str:
    """A few lines saying what an entry holds: who, when, where it came from."""
    status = (
        f"copy of {article.duplicate_of}"
        if article.duplicate_of
        else f"revision {article.revision}"
        if article.revision > 1
        else "original"
    )
    published = article.published.isoformat() if article.published else "unknown"
    lines = [f"── entry {entry_id}  id {article.id}  ({status})"]
    lines += _wrap("title", article.title or "-")
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
