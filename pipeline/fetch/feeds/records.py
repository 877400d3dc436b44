"""What feed polling did, by outcome and by host, kept in Redis for the metrics and the
status page (``feeds:outcomes``, ``feeds:hoststats:<host>``, ``feeds:hostnames``), and how
long parsing took (the ``read`` stage of the latency histogram).

The outcome of a poll is one word: ``new``, ``not_modified``, ``unchanged`` when it worked;
otherwise why not, from the error (a bounded set, so it can be a metric label).
"""

from __future__ import annotations

from redis import Redis

from pipeline.settings import Settings
from pipeline.telemetry.histograms import Observations

__all__ = ["POLL_OUTCOMES", "read_feed_hosts", "read_poll_outcomes", "record_poll"]

# Every outcome of a poll: the three that worked, then the reasons one did not.
POLL_OUTCOMES = (
    "new",
    "not_modified",
    "unchanged",
    "http_4xx",
    "http_5xx",
    "rate_limited",
    "refused",
    "too_large",
    "network",
    "invalid",
    "crashed",
)
_HOST_TTL = 30 * 86_400


def record_poll(
    redis: Redis,
    settings: Settings,
    host: str,
    outcome: str,
    *,
    parse_seconds: float | None = None,
    items: int = 0,
) -> None:
    """Count one poll of a feed on ``host``; a parse's time is shared over its items."""
    per_host = settings.key("feeds", "hoststats", host)
    with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(settings.key("feeds", "outcomes"), outcome, 1)
        pipe.hincrby(per_host, outcome, 1)
        pipe.expire(per_host, _HOST_TTL)
        pipe.sadd(settings.key("feeds", "hostnames"), host)
        if parse_seconds is not None:
            timing = Observations()
            timing.stage("read", parse_seconds, max(1, items))
            timing.add_to(pipe, settings)
        pipe.execute()


def read_poll_outcomes(redis: Redis, settings: Settings) -> dict[str, int]:
    """Polls of every feed by outcome, zeros included."""
    raw = redis.hgetall(settings.key("feeds", "outcomes"))
    counts = {k.decode(): int(v) for k, v in raw.items()}
    return {name: counts.get(name, 0) for name in POLL_OUTCOMES}


def read_feed_hosts(redis: Redis, settings: Settings) -> dict[str, dict[str, int]]:
    """Polls by outcome for every host feeds were polled on (expired hosts left out)."""
    hosts = sorted(h.decode() for h in redis.smembers(settings.key("feeds", "hostnames")))
    with redis.pipeline(transaction=False) as pipe:
        for host in hosts:
            pipe.hgetall(settings.key("feeds", "hoststats", host))
        replies = pipe.execute()
    return {
        host: {k.decode(): int(v) for k, v in raw.items()}
        for host, raw in zip(hosts, replies, strict=True)
        if raw
    }
