"""The page queue in Redis: tasks per host, leases, retries, the "fetched once" window.

Producers add links (:meth:`Frontier.add`); fetchers claim what may start now
(:meth:`Frontier.claim`) and settle each claimed task (:meth:`Frontier.settle`). The
decisions are made in ``frontier.lua``, one atomic step each, so several fetcher processes
share one set of per-host limits. Redis only: no HTTP, no RQ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

from redis import Redis

from pipeline.models import RawItem
from pipeline.normalize.urls import canonical_url
from pipeline.settings import Settings

__all__ = ["Claim", "Frontier", "FrontierDepth", "PageTask", "link_host", "task_id"]

_SCRIPT = resources.files("pipeline.fetch.pages").joinpath("frontier.lua").read_text("utf-8")
_DAY = 86_400


def task_id(url: str) -> str:
    """The task of a link: a hash of its canonical URL, so one page is one task."""
    canonical = canonical_url(url) or url
    return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def link_host(url: str) -> str:
    """The host politeness is kept per: the link's host name, lower-cased (no port)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return (host or "").lower() or "unknown"


@dataclass(frozen=True)
class PageTask:
    """A claimed link: the item that wants its page, and how often it was tried."""

    id: str
    url: str
    host: str
    attempts: int
    item: RawItem


@dataclass(frozen=True)
class Claim:
    """What a claim gave: tasks to start now, and when to ask again (epoch seconds)."""

    tasks: list[PageTask]
    wake: float | None


@dataclass(frozen=True)
class FrontierDepth:
    """How much page work is waiting or running."""

    queued: int
    in_flight: int
    retry_waiting: int

    @property
    def empty(self) -> bool:
        """Nothing queued, nothing in flight, no retry pending."""
        return not (self.queued or self.in_flight or self.retry_waiting)


class Frontier:
    """The page queue of one pipeline (its key prefix)."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.prefix = settings.key("pages", "")
        self._script = redis.register_script(_SCRIPT)
        self.window = max(1, int(settings.seen_days * _DAY))

    def add(self, items: Sequence[RawItem], *, now: float) -> list[bool]:
        """Queue each item's link; False for a link already queued, in flight or fetched
        within the window (a link several feeds carry is fetched once)."""
        args: list[str | float] = [self.prefix, "add", now, self.window]
        for item in items:
            assert item.url is not None
            args += [
                task_id(item.url),
                link_host(item.url),
                item.url,
                item.updated or "",
                item.model_dump_json(),
            ]
        return [bool(flag) for flag in self._script(keys=[], args=args)]

    def claim(self, *, now: float, most: int, lease: float) -> Claim:
        """Tasks that may start now, within every host's limits, at most ``most``."""
        s = self.settings
        reply = self._script(
            keys=[],
            args=[self.prefix, "claim", now, s.pages_per_host, s.pages_host_delay, lease, most],
        )
        wake = float(reply[0]) if reply[0] else None
        tasks = []
        for i in range(1, len(reply), 5):
            tid, url, host, attempts, item = reply[i : i + 5]
            tasks.append(
                PageTask(
                    id=_text(tid),
                    url=_text(url),
                    host=_text(host),
                    attempts=int(attempts),
                    item=RawItem.model_validate_json(item),
                )
            )
        return Claim(tasks, wake)

    def settle(
        self,
        task: PageTask,
        how: Literal["free", "done", "retry", "requeue"],
        *,
        now: float,
        due: float | None = None,
        host_not_before: float | None = None,
        host_delay: float | None = None,
    ) -> bool:
        """Finish a claimed task: ``free`` (its request is over: the host's slot is given
        back, the task stays leased), ``done`` (starts the done window), ``retry`` at
        ``due``, or ``requeue`` (given back untried); optionally hold the whole host back
        until ``host_not_before`` (Retry-After) or set its delay (Crawl-delay)."""
        value = self.window if how == "done" else (due if due is not None else now)
        held = self._script(
            keys=[],
            args=[
                self.prefix,
                "settle",
                now,
                task.id,
                task.host,
                how,
                value,
                "" if host_not_before is None else host_not_before,
                "" if host_delay is None else host_delay,
            ],
        )
        return bool(held)

    def depth(self) -> FrontierDepth:
        """Tasks queued, in flight (leased) and waiting for a retry."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.prefix + "count", "queued")
            pipe.zcard(self.prefix + "leases")
            pipe.zcard(self.prefix + "delayed")
            queued, leased, delayed = pipe.execute()
        return FrontierDepth(max(0, int(queued or 0)), int(leased), int(delayed))

    def queued_for(self, host: str) -> int:
        """Tasks waiting for ``host``."""
        return int(self.redis.llen(self.prefix + "q:" + host))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
