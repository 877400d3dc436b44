"""Publication dates: parsed to aware UTC, with sanity checks that flag, never replace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from dateutil.parser import isoparse

from pipeline.models import format_utc

__all__ = ["EARLIEST_PLAUSIBLE", "date_warning", "parse_date"]

EARLIEST_PLAUSIBLE = datetime(1900, 1, 1, tzinfo=UTC)


def _parse_any(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)  # the common case, and the fastest
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)  # RFC 822/2822, as RSS feeds give it
    except (TypeError, ValueError, IndexError):
        pass
    return isoparse(value)  # ISO forms fromisoformat refuses (e.g. nanoseconds)


def parse_date(value: str) -> datetime:
    """An ISO 8601 date or date-time (naive means UTC) or an RFC 822 date, as aware UTC;
    raises ValueError when ``value`` is neither."""
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    try:
        parsed = _parse_any(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not an ISO 8601 or RFC 822 date: {value!r}") from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"date out of range: {value!r}") from exc


def _describe(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n]
    return " ".join(parts) or "less than a minute"


def date_warning(published: datetime, *, now: datetime, future_tolerance: timedelta) -> str | None:
    """Why ``published`` is doubtful (too far in the future, before 1900), or None."""
    ahead = published - now
    if ahead > future_tolerance:
        return (
            f"published {format_utc(published)} is {_describe(ahead)} in the future "
            f"(checked at {format_utc(now)}, tolerance {_describe(future_tolerance)}): "
            "kept as given; check the source's clock or time zone"
        )
    if published < EARLIEST_PLAUSIBLE:
        return f"published {published.date().isoformat()} is before 1900: kept as given"
    return None
