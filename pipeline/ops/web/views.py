"""What the status page shows, as plain data: built by ``snapshot``, rendered by ``render``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.settings import Settings
from pipeline.telemetry.minutes import MinuteCounts

__all__ = ["ArticleView", "DeadLetterView", "FeedView", "GroupView", "HostView", "Status"]


@dataclass(frozen=True)
class ArticleView:
    """One landed article as the page lists it (fields as the stream holds them)."""

    entry_id: str
    article: dict[str, Any]
    original_title: str | None = None  # of the article this one copies, when known
    original_entry: str | None = None

    @property
    def copy_kind(self) -> str | None:
        """``exact`` or ``near`` for a copy of another article, else None."""
        if not self.article.get("duplicate_of"):
            return None
        return str(self.article.get("duplicate_kind") or "exact")


@dataclass(frozen=True)
class FeedView:
    """A feed that is failing or gapped, and why."""

    url: str
    name: str | None
    state: str
    reason: str | None
    status: int | None
    failures: int
    since: float | None
    next_poll: float | None


@dataclass(frozen=True)
class HostView:
    """A host whose feeds or pages fail: failures by reason, the last error when known."""

    host: str
    kind: str  # "feeds" or "pages"
    total: int
    failures: dict[str, int]
    last_error: str | None = None
    last_at: float | None = None


@dataclass(frozen=True)
class DeadLetterView:
    """One dead letter: when, at which stage, from where, and why."""

    entry_id: str
    at: str
    stage: str
    source: str
    error: str
    reason: str


@dataclass(frozen=True)
class GroupView:
    """A consumer group of the articles stream: how far behind it is."""

    name: str
    consumers: int
    pending: int
    lag: int | None  # None: Redis cannot tell (older than 7.0, or entries trimmed unread)
    last_delivered: str


@dataclass
class Status:
    """The whole page's data."""

    at: float
    settings: Settings
    counters: dict[str, int]
    queue: dict[str, int]
    oldest_job_seconds: float
    pages: dict[str, int]
    workers: dict[str, int]
    streams: dict[str, int]
    minutes: list[MinuteCounts]
    feed_states: dict[str, int]
    articles: list[ArticleView] = field(default_factory=list)
    feeds: list[FeedView] = field(default_factory=list)
    hosts: list[HostView] = field(default_factory=list)
    dead: list[DeadLetterView] = field(default_factory=list)
    groups: list[GroupView] = field(default_factory=list)
