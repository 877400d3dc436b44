"""robots.txt, as RFC 9309 says, with protego as the parser.

Rules are looked up for the product token ``news-pipeline`` (the User-Agent is
``news-pipeline/<version> (+contact)``), cached per origin in this process and in Redis
(so every fetcher process and a restart share them) for a day. A 4xx answer means no
rules (everything allowed); a 5xx, a network failure or an unreadable answer means
"disallow for a while": the page waits and is retried, and the origin is not asked again
for :data:`UNREACHABLE_TTL` seconds. Crawl-delay lengthens the host's delay.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import structlog
from protego import Protego
from redis import Redis

from pipeline.errors import FetchError, PermanentFetchError, TransientFetchError
from pipeline.fetch.http import FetchLimits, fetch_url_async
from pipeline.fetch.http.guard import AddressRefused
from pipeline.settings import Settings

__all__ = ["ROBOTS_TOKEN", "RobotsRefused", "RobotsRules", "origin_of"]

log = structlog.get_logger()

ROBOTS_TOKEN = "news-pipeline"
RULES_TTL = 86_400
UNREACHABLE_TTL = 300
MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay is held to this, or one host would stall
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB


class RobotsRefused(PermanentFetchError):
    """robots.txt does not allow this URL for our product token."""


@dataclass(frozen=True)
class _Entry:
    kind: str  # "rules" | "allow" | "unreachable"
    body: str = ""
    reason: str = ""


def origin_of(url: str) -> str:
    """scheme://host[:port] of ``url``: robots.txt is per origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class RobotsRules:
    """Answers "may this URL be fetched?" for one fetcher, fetching robots.txt on demand."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        limits: FetchLimits,
        redis: Redis,
        settings: Settings,
        *,
        unreachable_ttl: float = UNREACHABLE_TTL,
    ) -> None:
        self._client = client
        self._limits = FetchLimits(
            timeout=limits.timeout,
            max_bytes=_ROBOTS_MAX_BYTES,
            max_redirects=limits.max_redirects,
            user_agent=limits.user_agent,
            allow_private=limits.allow_private,
            allowed_hosts=limits.allowed_hosts,
            proxy=limits.proxy,
        )
        self._redis = redis
        self._settings = settings
        self._unreachable_ttl = unreachable_ttl
        self._cache: dict[str, tuple[_Entry, Protego | None, float]] = {}
        self._pending: dict[str, asyncio.Future[tuple[_Entry, Protego | None]]] = {}

    async def check(self, url: str) -> float | None:
        """The origin's Crawl-delay (None when it sets none) if ``url`` may be fetched;
        raises RobotsRefused, or TransientFetchError while robots.txt cannot be had."""
        entry, parser = await self._rules(origin_of(url))
        if entry.kind == "unreachable":
            raise TransientFetchError(
                f"robots.txt of {origin_of(url)} could not be read ({entry.reason}): "
                "waiting before fetching from this site (RFC 9309)",
                url=url,
            )
        if parser is None:
            return None
        if not parser.can_fetch(url, ROBOTS_TOKEN):
            raise RobotsRefused(f"robots.txt of {origin_of(url)} disallows it", url=url)
        delay = parser.crawl_delay(ROBOTS_TOKEN)
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY)

    async def check_hop(self, url: str) -> None:
        """For redirects: refuse a target its own robots.txt disallows."""
        await self.check(url)

    async def _rules(self, origin: str) -> tuple[_Entry, Protego | None]:
        cached = self._cache.get(origin)
        if cached is not None and cached[2] > time.monotonic():
            return cached[0], cached[1]
        pending = self._pending.get(origin)
        if pending is not None:  # one look-up per origin, however many pages wait on it
            return await asyncio.shield(pending)
        future: asyncio.Future[tuple[_Entry, Protego | None]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[origin] = future
        try:
            entry, ttl = await self._load(origin)
            parser = Protego.parse(entry.body) if entry.kind == "rules" else None
            self._cache[origin] = (entry, parser, time.monotonic() + ttl)
            future.set_result((entry, parser))
            return entry, parser
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._pending[origin]

    def _key(self, origin: str) -> str:
        return self._settings.key("pages", "robots", origin)

    async def _load(self, origin: str) -> tuple[_Entry, float]:
        raw = await asyncio.to_thread(self._redis.get, self._key(origin))
        if raw is not None:
            ttl = await asyncio.to_thread(self._redis.ttl, self._key(origin))
            return _Entry(**json.loads(raw)), max(1.0, float(ttl))
        entry = await self._fetch(origin)
        ttl = self._unreachable_ttl if entry.kind == "unreachable" else RULES_TTL
        payload = json.dumps(entry.__dict__)
        await asyncio.to_thread(self._redis.set, self._key(origin), payload, ex=max(1, int(ttl)))
        log.info("robots_fetched", origin=origin, outcome=entry.kind, reason=entry.reason or None)
        return entry, ttl

    async def _fetch(self, origin: str) -> _Entry:
        url = origin + "/robots.txt"
        try:
            response = await fetch_url_async(
                self._client, url, limits=self._limits, headers={"Accept": "text/plain, */*"}
            )
        except AddressRefused:
            raise  # the page is refused for the same reason: say so, do not wait
        except PermanentFetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return _Entry("allow", reason=f"HTTP {exc.status}: no rules")
            if "redirect" in exc.reason:
                return _Entry("allow", reason=f"{exc.reason}: no rules")
            return _Entry("unreachable", reason=exc.reason)
        except FetchError as exc:
            return _Entry("unreachable", reason=exc.reason)
        body = (response.body or b"").decode("utf-8", errors="replace")
        return _Entry("rules", body=body)
