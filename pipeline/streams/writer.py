"""The atomic write of a batch: exact and near-duplicate checks, XADD, the seen-set and the
near-duplicate index updated in one Lua step."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, Protocol

from hiredis import pack_command
from redis import Redis
from redis.connection import Connection
from redis.exceptions import NoScriptError

from pipeline.models import (
    SCHEMA_VERSION,
    WRITE_DECIDED_FIELDS,
    Article,
    DeadLetter,
    EnrichedArticle,
)
from pipeline.settings import Settings
from pipeline.streams.deadletters import dead_letter_key

__all__ = [
    "MARKER_MIN_TTL",
    "BatchResult",
    "BatchWriter",
    "NearKeys",
    "PendingWrite",
    "WriteOutcome",
    "written_marker_key",
]

Status = Literal["new", "duplicate", "near_duplicate", "revision", "repeat", "dead", "unenriched"]
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


_WRITE_DECIDED = set(WRITE_DECIDED_FIELDS)
# at most this many candidates are verified per article (the newest first): a story copied
# on thirty sites, or very common bands, cannot make one write slow
_CANDIDATES = 16


class NearKeys(Protocol):
    """What the write needs of an article's near-duplicate signature
    (``pipeline.similar.Signature``): the packed MinHash values and the band labels."""

    @property
    def minhash(self) -> bytes: ...

    @property
    def bands(self) -> tuple[str, ...]: ...


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


class PendingWrite:
    """A write sent to Redis whose reply has not been read yet."""

    def __init__(
        self,
        writer: BatchWriter,
        connection: Connection | None,
        keys: list[str],
        args: list[str | int | bytes],
        n_articles: int,
    ) -> None:
        self._writer = writer
        self._connection = connection
        self._keys, self._args = keys, args
        self._n_articles = n_articles

    def result(self) -> BatchResult:
        """Wait for the script's reply: the outcomes in input order."""
        if self._connection is None:
            return BatchResult()
        pool = self._writer.redis.connection_pool
        try:
            raw = self._connection.read_response()
        except NoScriptError:
            # a server that lost its scripts (restart, SCRIPT FLUSH) ran nothing: load, rerun
            raw = self._writer._script(keys=self._keys, args=self._args)
        except BaseException:
            self._connection.disconnect()
            raise
        finally:
            pool.release(self._connection)
            self._connection = None
        outcomes = [WriteOutcome(status=_decode(st), entry=_decode(en)) for st, en in raw]  # type: ignore[arg-type]
        n = self._n_articles
        return BatchResult(articles=outcomes[:n], dead=outcomes[n:])


class BatchWriter:
    """Writes batches of articles and dead letters; the script loads once per process."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._script = redis.register_script(_SCRIPT)
        self._ttl = max(1, int(settings.seen_days * _DAY))
        self._marker_ttl = max(self._ttl, MARKER_MIN_TTL)
        self._nd_window_ms = int(settings.neardup_days * _DAY * 1000)

    def write(
        self,
        articles: Sequence[EnrichedArticle],
        dead: Sequence[DeadLetter] = (),
        *,
        payload_key: str | None = None,
        signatures: Sequence[NearKeys | None] | None = None,
        unenriched: Sequence[bool] | None = None,
    ) -> BatchResult:
        """One round trip: each article written once (or counted as a repeat), each
        dead letter written once, and the batch's payload key (if any) replaced by its
        written-marker; safe to call again with the same batch.

        ``signatures`` (aligned with ``articles``; None: takes no part) link near copies;
        an article flagged in ``unenriched`` is written only as a repeat, else it comes
        back ``unenriched`` and the payload stays until it is written."""
        return self.send(
            articles,
            dead,
            payload_key=payload_key,
            signatures=signatures,
            unenriched=unenriched,
        ).result()

    def send(
        self,
        articles: Sequence[EnrichedArticle],
        dead: Sequence[DeadLetter] = (),
        *,
        payload_key: str | None = None,
        signatures: Sequence[NearKeys | None] | None = None,
        unenriched: Sequence[bool] | None = None,
    ) -> PendingWrite:
        """``write``, sent without waiting for Redis: the caller does other work while
        the script runs, then asks the returned PendingWrite for the result (before it
        sends the next write, so writes land in order)."""
        if not articles and not dead:
            if payload_key:
                with self.redis.pipeline() as pipe:  # MULTI: the marker replaces the payload
                    pipe.delete(payload_key)
                    pipe.set(written_marker_key(payload_key), "1", ex=self._marker_ttl)
                    pipe.execute()
            return PendingWrite(self, None, [], [], 0)
        keys, args = self._arguments(articles, dead, payload_key, signatures, unenriched)
        # ~500 arguments a part: hiredis packs them in one call (redis-py's packer checks
        # each in Python first, ~7 µs an article)
        command = pack_command(("EVALSHA", self._script.sha, len(keys), *keys, *args))
        connection = self.redis.connection_pool.get_connection()
        try:
            connection.send_packed_command([command])
        except BaseException:
            connection.disconnect()
            self.redis.connection_pool.release(connection)
            raise
        return PendingWrite(self, connection, keys, args, len(articles))

    def _arguments(
        self,
        articles: Sequence[EnrichedArticle],
        dead: Sequence[DeadLetter],
        payload_key: str | None,
        signatures: Sequence[NearKeys | None] | None,
        unenriched: Sequence[bool] | None,
    ) -> tuple[list[str], list[str | int | bytes]]:
        """The script's KEYS and ARGV (laid out at the top of write_batch.lua)."""
        s = self.settings
        keys = [s.articles_stream, s.dead_stream, s.key("stats"), payload_key or s.key("batch")]
        now_ms = int(time.time() * 1000)
        args: list[str | int | bytes] = [
            s.stream_maxlen,
            self._minid(),
            self._ttl,
            len(articles),
            len(dead),
            SCHEMA_VERSION,
            "1" if payload_key else "0",
            # the near-duplicate part: now, window start, window TTL, threshold, fan-out
            now_ms,
            now_ms - self._nd_window_ms,
            max(1, self._nd_window_ms // 1000),
            repr(s.neardup_threshold),
            _CANDIDATES,
        ]
        signatures = signatures or [None] * len(articles)
        unenriched = unenriched or [False] * len(articles)
        seen, fp, nd, nd_sig = (
            s.key("seen", ""),
            s.key("fp", ""),
            s.key("nd", ""),
            s.key("nd", "s", ""),
        )
        for article, signature, skipped in zip(articles, signatures, unenriched, strict=True):
            keys += [seen + article.id, fp + article.fingerprint]
            body = article.model_dump_json(exclude=_WRITE_DECIDED)
            args += [article.id, article.fingerprint, body[:-1], "r" if skipped else ""]
            if signature is None:
                args += ["", 0]
                continue
            keys.append(nd_sig + article.id)
            keys += [nd + label for label in signature.bands]
            args += [signature.minhash, len(signature.bands)]
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
        return keys, args

    def seen_unchanged(self, articles: Sequence[Article]) -> list[bool]:
        """Which articles the write would call repeats (same id, same text), in one round
        trip: their enrichment can be skipped. Only a hint: the write decides."""
        if not articles:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for article in articles:
                pipe.hget(self.settings.key("seen", article.id), "fp")
            stored = pipe.execute()
        return [
            fp is not None and fp.decode() == article.fingerprint
            for fp, article in zip(stored, articles, strict=True)
        ]

    def _minid(self) -> str:
        days = self.settings.stream_max_age_days
        if days <= 0:
            return ""
        return str(int((time.time() - days * _DAY) * 1000))
