"""Publication dates: ISO 8601 and RFC 822 to aware UTC; doubtful ones flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.normalize.published import date_warning, parse_date

NOW = datetime(2025, 12, 2, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-12-01", datetime(2025, 12, 1, tzinfo=UTC)),
        ("2025-12-01T09:30:00", datetime(2025, 12, 1, 9, 30, tzinfo=UTC)),
        ("2025-12-01T09:30:00Z", datetime(2025, 12, 1, 9, 30, tzinfo=UTC)),
        ("2025-12-01T09:30:00+02:00", datetime(2025, 12, 1, 7, 30, tzinfo=UTC)),
        ("2025-12-01T01:30:00-05:00", datetime(2025, 12, 1, 6, 30, tzinfo=UTC)),
        ("2025-12-01 09:30", datetime(2025, 12, 1, 9, 30, tzinfo=UTC)),
        ("2025-12-01T09:30:00.123456789Z", datetime(2025, 12, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        (" 2025-12-01T09:30:00Z\n", datetime(2025, 12, 1, 9, 30, tzinfo=UTC)),
        ("Mon, 01 Dec 2025 10:00:00 +0100", datetime(2025, 12, 1, 9, 0, tzinfo=UTC)),
        ("Mon, 01 Dec 2025 10:00:00 GMT", datetime(2025, 12, 1, 10, 0, tzinfo=UTC)),
        ("Mon, 01 Dec 2025 10:00:00 EST", datetime(2025, 12, 1, 15, 0, tzinfo=UTC)),
        ("01 Dec 25 10:00 -0000", datetime(2025, 12, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_dates_parse_to_aware_utc(value: str, expected: datetime) -> None:
    """Every accepted form lands on the same instant in UTC; naive means UTC."""
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value", ["xyz", "", "2025-13-01", "12/01/2025", "Mon, 32 Dec 2025", "yesterday"]
)
def test_unparsable_dates_raise(value: str) -> None:
    """Ambiguous or malformed dates are refused, not guessed."""
    with pytest.raises(ValueError):
        parse_date(value)


def test_date_slightly_ahead_is_within_tolerance() -> None:
    """Clock skew of a few minutes is not worth a warning."""
    assert date_warning(NOW + timedelta(minutes=10), now=NOW, future_tolerance=TOLERANCE) is None


def test_future_date_is_flagged_with_how_far_ahead() -> None:
    """A date a day and a half ahead is flagged, saying by how much."""
    warning = date_warning(
        NOW + timedelta(days=1, hours=12, minutes=5), now=NOW, future_tolerance=TOLERANCE
    )
    assert warning is not None
    assert "1 d 12 h 5 min in the future" in warning
    assert "2025-12-04T00:05:00Z" in warning


def test_dates_before_1900_are_flagged() -> None:
    """A publication date in 1850 is kept but called doubtful."""
    warning = date_warning(datetime(1850, 1, 1, tzinfo=UTC), now=NOW, future_tolerance=TOLERANCE)
    assert warning is not None and "before 1900" in warning


def test_ordinary_past_date_has_no_warning() -> None:
    """Yesterday's news is just news."""
    assert date_warning(NOW - timedelta(days=1), now=NOW, future_tolerance=TOLERANCE) is None
