"""What page fetching did, per host and in total, kept in Redis so operators read it
without the HTTP stack (``pipeline hosts``, ``pipeline stats``, the metrics).

Keys: ``pages:outcomes`` (hash: outcome -> count), ``pages:hoststats:<host>`` (hash:
outcome counts, ``latency_ms``/``timed`` for the average, ``retries``, ``last_error``,
``last_at``) and ``pages:hostnames`` (set of hosts seen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from pipeline.models import PageError
from pipeline.settings import Settings
from pipeline.telemetry.histograms import Observations

__all__ = [
    "OUTCOMES",
    "HostRecord",
    "PageOutcome",
    "count_shared",
    "read_hosts",
    "read_outcomes",
    "record_outcome",
    "record_retry",
]

PageOutcome = PageError | str
# Every outcome of a page fetch: the page, or why the feed's text was kept.
OUTCOMES = (
    "page",
    "robots",
    "http_4xx",
    "not_html",
    "too_large",
    "no_body",
    "private_address",
    "retries_exhausted",
)
_HOST_TTL = 30 * 86_400


def _keys(settings: Settings, host: str) -> tuple[str, str, str]:
    return (
        settings.key("pages", "outcomes"),
        settings.key("pages", "hoststats", host),
        settings.key("pages", "hostnames"),
    )


def record_outcome(
    redis: Redis,
    settings: Settings,
    host: str,
    outcome: str,
    *,
    latency: float | None,
    error: str | None = None,
) -> None:
    """Count one finished page fetch for ``host``, and its latency in the stage histogram."""
    totals, per_host, hosts = _keys(settings, host)
    with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(totals, outcome, 1)
        pipe.hincrby(per_host, outcome, 1)
        if latency is not None:
            pipe.hincrby(per_host, "latency_ms", int(latency * 1000))
            pipe.hincrby(per_host, "timed", 1)
            timing = Observations()
            timing.stage("page_fetch", latency, 1)
            timing.add_to(pipe, settings)
        mapping: dict[str, Any] = {"last_at": int(time.time())}
        if error:
            mapping["last_error"] = error[:300]
        pipe.hset(per_host, mapping=mapping)
        pipe.expire(per_host, _HOST_TTL)
        pipe.sadd(hosts, host)
        pipe.execute()


def record_retry(redis: Redis, settings: Settings, host: str, error: str) -> None:
    """Count one transient failure that will be retried."""
    totals, per_host, hosts = _keys(settings, host)
    with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(totals, "retries", 1)
        pipe.hincrby(per_host, "retries", 1)
        pipe.hset(per_host, mapping={"last_error": error[:300], "last_at": int(time.time())})
        pipe.expire(per_host, _HOST_TTL)
        pipe.sadd(hosts, host)
        pipe.execute()


def count_shared(redis: Redis, settings: Settings, links: int) -> None:
    """Count links not queued because they were already queued or fetched."""
    if links:
        redis.hincrby(settings.key("pages", "outcomes"), "shared", links)


def read_outcomes(redis: Redis, settings: Settings) -> dict[str, int]:
    """Page fetches by outcome, plus ``retries`` and ``shared`` links, zeros included."""
    raw = redis.hgetall(settings.key("pages", "outcomes"))
    counts = {k.decode(): int(v) for k, v in raw.items()}
    return {name: counts.get(name, 0) for name in (*OUTCOMES, "retries", "shared")}


@dataclass(frozen=True)
class HostRecord:
    """One host's page fetching, as an operator reads it."""

    host: str
    outcomes: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    average_ms: float | None = None
    last_error: str | None = None
    last_at: int | None = None
    queued: int = 0

    @property
    def pages(self) -> int:
        """Pages fetched and extracted."""
        return self.outcomes.get("page", 0)

    @property
    def fallbacks(self) -> int:
        """Items that kept the feed's text, for any reason."""
        return sum(n for name, n in self.outcomes.items() if name != "page")

    def as_json(self) -> dict[str, Any]:
        """Stable keys for ``pipeline hosts --json``."""
        return {
            "host": self.host,
            "pages": self.pages,
            "fallbacks": {name: self.outcomes.get(name, 0) for name in OUTCOMES[1:]},
            "robots_refusals": self.outcomes.get("robots", 0),
            "retries": self.retries,
            "average_latency_ms": None if self.average_ms is None else round(self.average_ms),
            "queued": self.queued,
            "last_error": self.last_error,
            "last_at": self.last_at,
        }


def read_hosts(redis: Redis, settings: Settings) -> list[HostRecord]:
    """Every host page fetching has talked to, busiest first."""
    hosts = sorted(h.decode() for h in redis.smembers(settings.key("pages", "hostnames")))
    with redis.pipeline(transaction=False) as pipe:
        for host in hosts:
            pipe.hgetall(settings.key("pages", "hoststats", host))
            pipe.llen(settings.key("pages", "q", host))
        replies = pipe.execute()
    records = []
    for i, host in enumerate(hosts):
        raw = {k.decode(): v.decode() for k, v in replies[2 * i].items()}
        if not raw:
            continue  # expired
        timed = int(raw.get("timed", 0))
        records.append(
            HostRecord(
                host=host,
                outcomes={name: int(raw.get(name, 0)) for name in OUTCOMES},
                retries=int(raw.get("retries", 0)),
                average_ms=int(raw.get("latency_ms", 0)) / timed if timed else None,
                last_error=raw.get("last_error"),
                last_at=int(raw["last_at"]) if "last_at" in raw else None,
                queued=int(replies[2 * i + 1]),
            )
        )
    records.sort(key=lambda r: (-(r.pages + r.fallbacks), r.host))
    return records
