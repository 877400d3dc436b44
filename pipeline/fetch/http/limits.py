"""How much one fetch may cost, and where it may go."""

from __future__ import annotations

from dataclasses import dataclass, field

import pipeline
from pipeline.settings import Settings

__all__ = ["FetchLimits", "user_agent"]


def user_agent(contact: str = "") -> str:
    """The honest User-Agent: product token ``news-pipeline/<version>``, then the contact."""
    agent = f"news-pipeline/{pipeline.__version__}"
    return f"{agent} (+{contact})" if contact else agent


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost, and where it may go."""

    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = field(default_factory=user_agent)
    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    proxy: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        """Limits from the pipeline settings."""
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            user_agent=user_agent(settings.fetch_contact),
            allow_private=settings.fetch_allow_private,
            allowed_hosts=frozenset(
                h.strip().lower() for h in settings.fetch_allowed_hosts.split(",") if h.strip()
            ),
            proxy=settings.fetch_proxy or None,
        )
