"""The atomic write of a batch: dedup check, XADD and seen-set update in one Lua step."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from redis import Redis

from pipeline.models import SCHEMA_VERSION, WRITE_DECIDED_FIELDS, DeadLetter, EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams.deadletters import dead_letter_key

__all__ = ["BatchResult", "BatchWriter", "WriteOutcome"]

Status = Literal["new", "duplicate", "revision", "repeat", "dead"]
_SCRIPT = resources.files("pipeline.streams").joinpath("write_batch.lua").read_text("utf-8")
_DAY = 86_400


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one article or dead letter, and its stream entry id."""

    status: Status
    entry: str | None


@dataclass(frozen=True)
class BatchResult:
    """Outcomes in input order: articles first, then dead letters."""

    articles: list[WriteOutcome] = field(default_factory=list)
    dead: list[WriteOutcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each status, e.g. {"new": 98, "repeat": 2}."""
        counts: Counter[str] = Counter(o.status for o in self.articles)
        counts["dead"] = sum(1 for o in self.dead if o.status == "dead")
        return dict(counts)


def _decode(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class BatchWriter:
    """Writes batches of articles and dead letters; the script loads once per process."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._script = redis.register_script(_SCRIPT)
        self._ttl = max(1, int(settings.seen_days * _DAY))

    def write(
        self,
        articles: Sequence[EnrichedArticle],
        dead: Sequence[DeadLetter] = (),
        *,
        payload_key: str | None = None,
    ) -> BatchResult:
        """One round trip: each article written once (or counted as a repeat), each
        dead letter written once, and the batch's payload key (if any) deleted; safe to
        call again with the same batch."""
        s = self.settings
        if not articles and not dead:
            if payload_key:
                self.redis.delete(payload_key)
            return BatchResult()
        keys = [s.articles_stream, s.dead_stream, s.key("stats"), payload_key or s.key("batch")]
        args: list[str | int] = [
            s.stream_maxlen,
            self._minid(),
            self._ttl,
            len(articles),
            len(dead),
            SCHEMA_VERSION,
            "1" if payload_key else "0",
        ]
        for article in articles:
            keys += [s.key("seen", article.id), s.key("fp", article.fingerprint)]
            body = article.model_dump_json(exclude=set(WRITE_DECIDED_FIELDS))
            args += [article.id, article.fingerprint, body[:-1]]
        for letter in dead:
            keys.append(
                s.key("deadseen", dead_letter_key(letter.stage, letter.source, letter.input))
            )
            args += [
                letter.stage,
                letter.reason,
                letter.error,
                letter.source,
                letter.model_dump(mode="json")["at"],
                letter.input,
                letter.article_id or "",
            ]
        raw = self._script(keys=keys, args=args)
        outcomes = [WriteOutcome(status=_decode(st), entry=_decode(en)) for st, en in raw]  # type: ignore[arg-type]
        return BatchResult(articles=outcomes[: len(articles)], dead=outcomes[len(articles) :])

    def _minid(self) -> str:
        days = self.settings.stream_max_age_days
        if days <= 0:
            return ""
        return str(int((time.time() - days * _DAY) * 1000))
