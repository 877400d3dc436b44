"""What one poll of one feed did: the line ``pipeline fetch`` prints, and what the
scheduler counts."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.fetch.feeds.health import Outcome

__all__ = ["FeedOutcome"]


@dataclass(frozen=True)
class FeedOutcome:
    """What one poll of one feed did."""

    url: str
    outcome: Outcome
    new_items: int = 0  # never seen before
    changed_items: int = 0  # seen before with other content: a revision
    skipped_items: int = 0  # seen before, unchanged
    jobs: int = 0
    error: str | None = None
    error_status: int | None = None
    warning: str | None = None
    next_poll: float | None = None
    elapsed: float = 0.0
    gap: bool = False  # every listed item was new: items were probably missed
    missed: int | None = None  # how many, estimated from the items' dates

    @property
    def enqueued(self) -> int:
        """Items that went on the queue."""
        return self.new_items + self.changed_items

    def describe(self) -> str:
        """One human line: what happened to this feed."""
        if self.outcome == "error":
            status = f" (HTTP {self.error_status})" if self.error_status else ""
            return f"error         {self.url}: {self.error}{status}"
        if self.outcome == "not_modified":
            return f"not modified  {self.url}"
        if self.outcome == "unchanged":
            return f"unchanged     {self.url}"
        detail = f"{self.new_items} new, {self.changed_items} changed, {self.skipped_items} seen"
        warning = f" [warning: {self.warning}]" if self.warning else ""
        if self.gap:
            missed = f"~{self.missed}" if self.missed is not None else "an unknown number of"
            warning += f" [gap: no listed item seen before, {missed} items probably missed]"
        return f"new items     {self.url}: {detail}{warning}"
