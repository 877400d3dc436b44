"""Human and JSON views of feed health and of a fetch run, for the CLI to print."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.fetch.feeds.health import FEED_STATES, FeedHealth, feed_state, is_gapped, is_silent
from pipeline.fetch.feeds.outcome import FeedOutcome
from pipeline.models import format_utc

__all__ = ["by_urgency", "format_health_table", "health_records", "summarize_outcomes"]


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return format_utc(datetime.fromtimestamp(ts, UTC))


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    seconds = now - ts
    text = _duration(abs(seconds))
    return f"in {text}" if seconds < 0 else f"{text} ago"


def by_urgency(healths: Sequence[FeedHealth], now: float) -> list[FeedHealth]:
    """Failing feeds first, then gapped, silent, new and ok ones; by URL within each."""
    return sorted(healths, key=lambda h: (FEED_STATES.index(feed_state(h, now)), h.url))


def _rate(health: FeedHealth) -> str:
    if not health.rate_known:
        return "items/day not known yet"
    return f"{health.items_per_day:.1f} items/day"


def health_records(healths: Sequence[FeedHealth], now: float) -> list[dict[str, Any]]:
    """JSON-able records for ``pipeline feeds --json``: every field, ISO times, state; the
    most urgent first."""
    records = []
    for health in by_urgency(healths, now):
        record = health.to_json()
        for key in (
            "first_seen",
            "last_fetch",
            "last_success",
            "last_error_at",
            "next_poll",
            "last_new_item",
            "newest_item_at",
            "last_gap_at",
        ):
            record[key] = _iso(record[key])
        record["state"] = feed_state(health, now)
        record["silent"] = is_silent(health, now)
        record["gapped"] = is_gapped(health, now)
        records.append(record)
    return records


def _gap_line(health: FeedHealth, now: float) -> str:
    missed = (
        f"~{health.last_gap_missed} items probably missed"
        if health.last_gap_missed is not None
        else "items probably missed (the feed gives no dates to count them)"
    )
    listed = f" (of {health.listed})" if health.listed else ""
    total = f"; {health.gaps} gaps, ~{health.missed_total} missed in all" if health.gaps > 1 else ""
    return (
        f"         gap {_ago(health.last_gap_at, now)}: no listed item{listed} seen before,"
        f" {missed}{total}"
    )


def _error_line(health: FeedHealth, now: float) -> str:
    status = f" HTTP {health.last_error_status}" if health.last_error_status else ""
    wait = (
        f"; server asked to wait {_duration(health.retry_after)} (Retry-After)"
        if health.retry_after is not None
        else ""
    )
    return (
        f"         last error {_ago(health.last_error_at, now)}"
        f" ({health.last_error_kind}{status}): {health.last_error}{wait}"
    )


def format_health_table(healths: Sequence[FeedHealth], now: float) -> str:
    """The text table of ``pipeline feeds``: one block per feed, the most urgent first."""
    if not healths:
        return "no feeds known yet (run `pipeline fetch` or `pipeline schedule`)"
    lines = []
    for health in by_urgency(healths, now):
        state = feed_state(health, now)
        name = health.name or health.title or ""
        interval = f" | normal interval {_duration(health.interval)}" if health.interval else ""
        lines.append(f"{state.upper():8} {health.url}" + (f"  ({name})" if name else ""))
        lines.append(
            f"         last success {_ago(health.last_success, now)}"
            f" | next poll {_ago(health.next_poll, now)}"
            f" | {_rate(health)}"
            f" | failure weight {health.failure_weight:.1f}"
            f" ({health.consecutive_failures} in a row){interval}"
        )
        if health.last_error:
            lines.append(_error_line(health, now))
        if health.last_gap_at is not None:
            lines.append(_gap_line(health, now))
        if health.last_warning:
            lines.append(f"         warning: {health.last_warning}")
        if state == "silent":
            lines.append(
                f"         silent: no new item for {_ago(health.last_new_item, now)[:-4]},"
                f" usually {health.usual_rate or 0:.1f}/day"
            )
    counts = Counter(feed_state(h, now) for h in healths)
    lines.append(", ".join(f"{counts[state]} {state}" for state in FEED_STATES if counts[state]))
    return "\n".join(lines)


def summarize_outcomes(outcomes: Sequence[FeedOutcome]) -> str:
    """The closing line of ``pipeline fetch``: counts by outcome and items enqueued."""
    counts = Counter(o.outcome for o in outcomes)
    items = sum(o.enqueued for o in outcomes)
    return (
        f"{len(outcomes)} feeds: {counts['new']} with items, {counts['not_modified']} not"
        f" modified, {counts['unchanged']} unchanged, {counts['error']} errors;"
        f" {items} items enqueued"
    )
