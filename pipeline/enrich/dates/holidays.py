"""Named days whose date is known from the year: fixed ones and a few movable ones."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["FIXED", "NAMES", "date_of", "key"]

FIXED: dict[str, tuple[int, int]] = {
    "new year's day": (1, 1),
    "new year's eve": (12, 31),
    "valentine's day": (2, 14),
    "independence day": (7, 4),
    "july fourth": (7, 4),
    "fourth of july": (7, 4),
    "halloween": (10, 31),
    "veterans day": (11, 11),
    "christmas eve": (12, 24),
    "christmas day": (12, 25),
    "christmas": (12, 25),
    "boxing day": (12, 26),
}

_MOVABLE = (
    "thanksgiving day",
    "thanksgiving",
    "easter sunday",
    "easter",
    "labor day",
    "memorial day",
)

NAMES = [n.title().replace("'S", "'s").replace("Of", "of") for n in (*FIXED, *_MOVABLE)]


def key(name: str) -> str:
    """The lookup key of a holiday name as written."""
    return name.lower().replace("’", "'")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.isoweekday()) % 7, weeks=n - 1)


def _easter(year: int) -> date:
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher)
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def date_of(name: str, year: int) -> date:
    """The date of the holiday ``name`` in ``year``."""
    k = key(name)
    if k in FIXED:
        return date(year, *FIXED[k])
    if k.startswith("thanksgiving"):
        return _nth_weekday(year, 11, 4, 4)
    if k.startswith("easter"):
        return _easter(year)
    if k == "labor day":
        return _nth_weekday(year, 9, 1, 1)
    last_may = date(year, 5, 31)
    return last_may - timedelta(days=(last_may.isoweekday() - 1) % 7)  # memorial day
