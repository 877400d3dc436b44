"""The pipeline's exceptions: one root, split by what the caller should do.

PipelineError
 ├── ConfigurationError      bad settings or usage: fix and restart
 ├── InvalidInput            this item can never be processed: dead-letter it
 ├── BatchMissing            a queued batch's items are gone, never written: an alarm
 └── FetchError              a feed could not be fetched (recorded in its health)
      ├── TransientFetchError    try again later (timeouts, 5xx, 429, resets)
      └── PermanentFetchError    will not fix itself (refused address, 404, too big, malformed)
"""

from __future__ import annotations

__all__ = [
    "BatchMissing",
    "ConfigurationError",
    "FetchError",
    "InvalidInput",
    "PermanentFetchError",
    "PipelineError",
    "TransientFetchError",
]


class PipelineError(Exception):
    """Root of every error the pipeline raises on purpose."""


class ConfigurationError(PipelineError):
    """Settings or usage are wrong; the message says what to change."""


class InvalidInput(PipelineError):
    """An item that no retry will fix. ``stage`` names where it failed."""

    def __init__(self, reason: str, *, stage: str = "normalize", source: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.stage = stage
        self.source = source


class BatchMissing(PipelineError):
    """A batch job found neither its items nor the marker its write leaves: the items
    were deleted or expired before any run landed them. Replay their source."""


class FetchError(PipelineError):
    """A feed fetch failed; ``url`` says which feed."""

    def __init__(
        self,
        reason: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status  # HTTP status when the server answered
        self.retry_after = retry_after  # seconds the server asked us to wait (429/503)


class TransientFetchError(FetchError):
    """Worth retrying later."""


class PermanentFetchError(FetchError):
    """Will not fix itself by waiting."""
