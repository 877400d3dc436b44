"""The metrics lease: which one process serves the series read from Redis.

Every ``pipeline worker``, ``schedule`` and ``pages`` process can serve ``/metrics``, and the
figures kept in Redis (write outcomes, queue depth, histograms...) are the same whichever
process reads them. If each served them, ``sum(pipeline_articles_total)`` over the scraped
processes would count every article once per process. So a scrape serves them only from the
process that holds this lease: taken when free, renewed by each scrape of its holder, and
given up when the holder stops or is no longer scraped for ``PIPELINE_METRICS_LEASE_SECONDS``
(then the next process scraped takes it over). ``pipeline_metrics_lease_held`` says which.
"""

from __future__ import annotations

import os
import socket
import uuid

from redis import Redis

from pipeline.settings import Settings

__all__ = ["MetricsLease"]

# Take the lease when free, renew it when ours: one atomic step, so two processes never
# both believe they hold it.
_HOLD = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class MetricsLease:
    """This process's claim to serve the Redis-derived series."""

    def __init__(self, redis: Redis, settings: Settings, holder: str | None = None) -> None:
        self.key = settings.key("metrics", "lease")
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.ttl_ms = int(settings.metrics_lease_seconds * 1000)
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    def hold(self) -> bool:
        """True when this process holds the lease (taken or renewed now)."""
        return bool(self._hold(keys=[self.key], args=[self.holder, self.ttl_ms]))

    def release(self) -> None:
        """Give the lease up (when this process stops), so another takes it at once."""
        self._release(keys=[self.key], args=[self.holder])
