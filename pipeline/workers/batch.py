"""The pure part of a job: raw item dicts in, enriched articles and dead letters out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from pydantic import ValidationError

from pipeline.enrich.enricher import Enricher, EnrichInput, StageTimer
from pipeline.errors import InvalidInput
from pipeline.models import Article, DeadLetter, EnrichedArticle, RawItem, utc_now
from pipeline.normalize import normalize_item

__all__ = ["ProcessedBatch", "process_items"]

log = structlog.get_logger()


@dataclass
class ProcessedBatch:
    """Articles ready to write, and the items that failed a stage."""

    articles: list[EnrichedArticle] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


def _dead(
    stage: str, reason: str, error: str, obj: Any, *, article_id: str | None = None
) -> DeadLetter:
    source = obj.get("source") if isinstance(obj, dict) else None
    return DeadLetter(
        stage=stage,
        reason=reason,
        error=error,
        source=str(source) if source else "unknown",
        input=json.dumps(obj, ensure_ascii=False, default=str),
        article_id=article_id,
    )


def process_items(
    items: Sequence[Any],
    *,
    enricher: Enricher | None,
    now: datetime | None = None,
    future_tolerance: timedelta = timedelta(minutes=15),
    normalize: Callable[..., Article] = normalize_item,
    on_stage: StageTimer | None = None,
) -> ProcessedBatch:
    """Validate, normalise and enrich a batch; one bad item never sinks the others.
    ``on_stage`` is told how long each stage took over how many items."""
    now = now or utc_now()
    out = ProcessedBatch()
    started = time.perf_counter()
    normalized: list[tuple[Any, Article]] = []
    for obj in items:
        try:
            raw = RawItem.model_validate(obj)
        except ValidationError as exc:
            out.dead.append(_dead("validate", f"not a valid item: {exc}", "ValidationError", obj))
            continue
        try:
            normalized.append((obj, normalize(raw, now=now, future_tolerance=future_tolerance)))
        except InvalidInput as exc:
            out.dead.append(_dead(exc.stage, exc.reason, type(exc).__name__, obj))
        except Exception as exc:  # a normaliser bug must not sink the batch
            log.exception("normalize_crashed", source=raw.source)
            out.dead.append(
                _dead("normalize", f"{type(exc).__name__}: {exc}", type(exc).__name__, obj)
            )

    if on_stage is not None:
        on_stage("normalize", time.perf_counter() - started, len(items))
    if enricher is None:
        out.articles = [EnrichedArticle(**dict(a)) for _, a in normalized]
        return out
    results = enricher.enrich(
        [
            EnrichInput(text=a.text, published=a.published, language=a.language)
            for _, a in normalized
        ],
        on_stage=on_stage,
    )
    for (obj, article), result in zip(normalized, results, strict=True):
        if result.error is not None:
            out.dead.append(
                _dead(
                    "enrich",
                    result.error,
                    result.error_type or "Exception",
                    obj,
                    article_id=article.id,
                )
            )
            continue
        out.articles.append(
            EnrichedArticle(**dict(article), entities=result.entities, dates=result.dates)
        )
    return out
