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

__all__ = ["MARKER_MIN_TTL", "BatchResult", "BatchWriter", "WriteOutcome", "written_marker_key"]

Status = Literal["new", "duplicate", "revision", "repeat", "dead"]
_SCRIPT = resources.files("pipeline.streams").joinpath("write_batch.lua").read_text("utf-8")
_DAY = 86_400
# A written batch's marker outlives every run its job may still have: retries take minutes,
# and a failed job stays re-queueable for 7 days (pipeline.queueing.FAILURE_TTL).
MARKER_MIN_TTL = 8 * _DAY


def written_marker_key(payload_key: str) -> str:
    """The marker the atomic write leaves for a landed batch: ``<prefix>written:<job id>``
    for the payload key ``<prefix>batch:<job id>``."""
    head, _, job_id = payload_key.rpartition("batch:")
    return f"{head}written:{job_id}"


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
        self._marker_ttl = max(self._ttl, MARKER_MIN_TTL)

    def write(
        self,
        articles: Sequence[EnrichedArticle],
        dead: Sequence[DeadLetter] = (),
        *,
        payload_key: str | None = None,
    ) -> BatchResult:
        """One round trip: each article written once (or counted as a repeat), each
        dead letter written once, and the batch's payload key (if any) replaced by its
        written-marker; safe to call again with the same batch."""
        s = self.settings
        if not articles and not dead:
            if payload_key:
                with self.redis.pipeline() as pipe:  # MULTI: the marker replaces the payload
                    pipe.delete(payload_key)
                    pipe.set(written_marker_key(payload_key), "1", ex=self._marker_ttl)
                    pipe.execute()
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
        # last KEY and ARGV: the batch marker (a placeholder when there is no payload)
        keys.append(written_marker_key(payload_key) if payload_key else s.key("written"))
        args.append(self._marker_ttl)
        raw = self._script(keys=keys, args=args)
        outcomes = [WriteOutcome(status=_decode(st), entry=_decode(en)) for st, en in raw]  # type: ignore[arg-type]
        return BatchResult(articles=outcomes[: len(articles)], dead=outcomes[len(articles) :])

    def _minid(self) -> str:
        days = self.settings.stream_max_age_days
        if days <= 0:
            return ""
        return str(int((time.time() - days * _DAY) * 1000))
