"""Opening the pipeline's Redis connections: timeouts from the settings, retries with back-off."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from redis import Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from pipeline.settings import Settings

__all__ = ["ReconnectBackoff", "open_redis", "redacted"]


def open_redis(settings: Settings) -> Redis:
    """A client whose commands give up after ``redis_timeout`` seconds and are retried
    (connection reset, timeout) with jittered exponential back-off.

    A retried command may already have run once (its reply was lost): every write the
    pipeline retries this way is idempotent (the atomic write, the batch marker)."""
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=2.0), retries=5),
        health_check_interval=30,
    )


def redacted(url: str) -> str:
    """The Redis URL without its user name and password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


class ReconnectBackoff:
    """How long a long-running loop waits before it starts again when Redis goes away:
    1 s, 2 s, ... up to 30 s; after a run that lasted a minute, from 1 s again."""

    FIRST = 1.0
    LONGEST = 30.0
    HEALTHY_RUN = 60.0

    def __init__(self) -> None:
        self._wait = self.FIRST

    def next_wait(self, started: float) -> float:
        """The wait after a run that began at ``started`` (time.monotonic())."""
        if time.monotonic() - started > self.HEALTHY_RUN:
            self._wait = self.FIRST
        wait = self._wait
        self._wait = min(wait * 2, self.LONGEST)
        return wait
