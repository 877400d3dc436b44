"""Run entity and date extraction over a batch of texts with one ``nlp.pipe`` call."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from pipeline.enrich.dates import extract_dates
from pipeline.enrich.entities import extract_entities
from pipeline.enrich.nlp import load_nlp
from pipeline.models import DateMention, Entity

__all__ = ["EnrichInput", "Enricher", "Enrichment", "StageTimer"]

log = structlog.get_logger()

ENGLISH = "en"
# Told how long a stage took over how many texts: ("ner" | "dates", seconds, texts).
StageTimer = Callable[[str, float, int], None]


@dataclass(frozen=True)
class EnrichInput:
    """One text to enrich. ``language`` None means unknown: treated as English."""

    text: str
    published: datetime | None = None
    language: str | None = ENGLISH


@dataclass(frozen=True)
class Enrichment:
    """The result for one input: entities and dates, or the error that stopped it (what
    happened, and the exception type)."""

    entities: list[Entity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None


class Enricher:
    """Entities and dates for batches of texts; the spaCy pipeline loads once."""

    def __init__(
        self, model_name: str, *, batch_size: int = 64, max_chars: int | None = None
    ) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.nlp = load_nlp(model_name)
        # spaCy refuses texts over nlp.max_length (1,000,000 characters by default);
        # a longer article is enriched on its first max_chars and still lands.
        self.max_chars = max_chars or int(self.nlp.max_length)

    def enrich(
        self, inputs: Sequence[EnrichInput], *, on_stage: StageTimer | None = None
    ) -> list[Enrichment]:
        """One Enrichment per input, in order; a failing input never sinks the others.
        ``on_stage`` is told the time spent in NER (the model and the entity logic) and in
        the date grammar."""
        results: list[Enrichment] = [Enrichment() for _ in inputs]
        english = [i for i, item in enumerate(inputs) if _is_english(item.language)]
        if not english:
            return results
        started = time.perf_counter()
        texts = [self._ner_text(inputs[i].text) for i in english]
        try:
            docs: list[Any] = list(self.nlp.pipe(texts, batch_size=self.batch_size))
        except Exception:  # one bad text must not sink the batch: retry one by one
            log.warning("nlp_batch_failed", size=len(texts), exc_info=True)
            docs = [self._parse_one(text) for text in texts]
        clock = _Clock(time.perf_counter() - started)
        for i, doc in zip(english, docs, strict=True):
            results[i] = self._enrich_doc(inputs[i], doc, clock)
        if on_stage is not None:
            on_stage("ner", clock.ner, len(english))
            on_stage("dates", clock.dates, len(english))
        return results

    def _ner_text(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        log.warning("text_truncated_for_ner", chars=len(text), max_chars=self.max_chars)
        return text[: self.max_chars]

    def _parse_one(self, text: str) -> Any:
        try:
            return self.nlp(text)
        except Exception as exc:
            return exc

    def _enrich_doc(self, item: EnrichInput, doc: Any, clock: _Clock) -> Enrichment:
        if isinstance(doc, Exception):
            return Enrichment(
                error=f"NER failed: {type(doc).__name__}: {doc}", error_type=type(doc).__name__
            )
        try:
            started = time.perf_counter()
            entities = extract_entities(doc)
            middle = time.perf_counter()
            dates = extract_dates(item.text, item.published)
            clock.ner += middle - started
            clock.dates += time.perf_counter() - middle
            return Enrichment(entities=entities, dates=dates)
        except Exception as exc:
            log.warning("enrich_failed", exc_info=True)
            return Enrichment(
                error=f"enrichment failed: {type(exc).__name__}: {exc}",
                error_type=type(exc).__name__,
            )


@dataclass
class _Clock:
    """Seconds spent so far in NER and in the date grammar, over one batch."""

    ner: float = 0.0
    dates: float = 0.0


def _is_english(language: str | None) -> bool:
    return language is None or language == ENGLISH
