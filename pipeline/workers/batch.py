"""The pure part of a job: raw item dicts in, enriched articles (with their near-duplicate
signatures) and dead letters out."""

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
from pipeline.similar import Signature, sign_many

__all__ = ["ProcessedBatch", "enrich_articles", "process_items"]

log = structlog.get_logger()

# Which of these articles the write will call repeats (same id, same text): asked once
# per batch, so their enrichment can be skipped.
SeenUnchanged = Callable[[Sequence[Article]], Sequence[bool]]


@dataclass
class ProcessedBatch:
    """Articles ready to write, and the items that failed a stage.

    ``signatures``, ``unenriched`` and ``inputs`` are aligned with ``articles``: the
    near-duplicate signature (None: takes no part), whether enrichment was skipped
    because the article was already seen unchanged, and the item it came from."""

    articles: list[EnrichedArticle] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    signatures: list[Signature | None] = field(default_factory=list)
    unenriched: list[bool] = field(default_factory=list)
    inputs: list[Any] = field(default_factory=list)


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


def _signatures(articles: Sequence[Article]) -> list[Signature | None]:
    # issue 9 adds text_source (title/summary when no full text was found)
    return sign_many([(a.text, getattr(a, "text_source", None)) for a in articles])


def enrich_articles(
    normalized: Sequence[tuple[Any, Article]],
    enricher: Enricher | None,
    *,
    on_stage: StageTimer | None = None,
) -> ProcessedBatch:
    """Enrich and sign normalised articles (``(input item, article)`` pairs); an article
    whose enrichment fails becomes a dead letter. ``on_stage`` is told how long NER and
    dates took."""
    out = ProcessedBatch()
    if enricher is None:
        results: list[Any] = [None] * len(normalized)
    else:
        results = enricher.enrich(
            [
                EnrichInput(text=a.text, published=a.published, language=a.language)
                for _, a in normalized
            ],
            on_stage=on_stage,
        )
    for (obj, article), result in zip(normalized, results, strict=True):
        if result is None:
            enriched = EnrichedArticle(**dict(article))
        elif result.error is not None:
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
        else:
            # a dict merge, not keywords: a second-round article already has these fields
            enriched = EnrichedArticle(
                **{**dict(article), "entities": result.entities, "dates": result.dates}
            )
        out.articles.append(enriched)
        out.unenriched.append(False)
        out.inputs.append(obj)
    out.signatures = _signatures(out.articles)
    return out


def process_items(
    items: Sequence[Any],
    *,
    enricher: Enricher | None,
    now: datetime | None = None,
    future_tolerance: timedelta = timedelta(minutes=15),
    normalize: Callable[..., Article] = normalize_item,
    seen_unchanged: SeenUnchanged | None = None,
    on_stage: StageTimer | None = None,
) -> ProcessedBatch:
    """Validate, normalise, enrich and sign a batch; one bad item never sinks the others.

    Articles that ``seen_unchanged`` names are passed on unenriched and unsigned (the
    write will count them as repeats, or hand them back). ``on_stage`` is told how long
    each stage took over how many items."""
    now = now or utc_now()
    started = time.perf_counter()
    dead: list[DeadLetter] = []
    normalized: list[tuple[Any, Article]] = []
    for obj in items:
        try:
            raw = RawItem.model_validate(obj)
        except ValidationError as exc:
            dead.append(_dead("validate", f"not a valid item: {exc}", "ValidationError", obj))
            continue
        try:
            normalized.append((obj, normalize(raw, now=now, future_tolerance=future_tolerance)))
        except InvalidInput as exc:
            dead.append(_dead(exc.stage, exc.reason, type(exc).__name__, obj))
        except Exception as exc:  # a normaliser bug must not sink the batch
            log.exception("normalize_crashed", source=raw.source)
            dead.append(_dead("normalize", f"{type(exc).__name__}: {exc}", type(exc).__name__, obj))
    if on_stage is not None:
        on_stage("normalize", time.perf_counter() - started, len(items))

    if seen_unchanged is None:
        known = [False] * len(normalized)
    else:
        known = list(seen_unchanged([a for _, a in normalized]))
    repeats = [pair for pair, is_known in zip(normalized, known, strict=True) if is_known]
    out = enrich_articles(
        [pair for i, pair in enumerate(normalized) if not known[i]], enricher, on_stage=on_stage
    )
    out.dead[:0] = dead
    for obj, article in repeats:
        out.articles.append(EnrichedArticle(**dict(article)))
        out.signatures.append(None)
        out.unenriched.append(True)
        out.inputs.append(obj)
    return out
