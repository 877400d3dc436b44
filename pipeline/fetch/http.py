"""Hardened HTTP fetch of one feed: total deadline, size cap, checked redirects, guard."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from pipeline.fetch.guard import Resolver
from pipeline.settings import Settings

__all__ = ["FetchLimits", "FetchResponse", "build_client", "fetch_feed"]


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost, and where it may go."""

    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "news-pipeline"
    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    proxy: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        """Limits from the pipeline settings."""
        raise NotImplementedError


@dataclass(frozen=True)
class FetchResponse:
    """A successful fetch: 200 with a body, or 304 without one."""

    url: str
    final_url: str
    status: int
    body: bytes | None
    headers: dict[str, str]
    etag: str | None
    last_modified: str | None
    elapsed: float


def build_client(limits: FetchLimits, *, resolver: Resolver | None = None) -> httpx.Client:
    """An httpx client whose every connection goes through the address guard."""
    raise NotImplementedError


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResponse:
    """Fetch ``url`` once, conditionally; raise a FetchError saying why on failure."""
    raise NotImplementedError
