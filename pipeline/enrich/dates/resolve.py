"""Anchoring relative expressions on the publication date, using the sentence's tense."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.enrich.dates.tense import Tense

__all__ = ["Anchor", "add_months"]

# A sentence may name a month up to this far on the "wrong" side of its tense (a past
# sentence announcing next month's date); chosen on TBAQ, where strict tense did worse.
MONTH_GRACE = 90
_SEASON_MONTH = {"SP": 4, "SU": 7, "FA": 10, "WI": 1}  # the middle month


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    """(year, month) moved by ``delta`` months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Anchor:
    """The publication date (None when unknown) and the arithmetic relative to it."""

    dct: date | None

    @property
    def year(self) -> int | None:
        """The publication year, None when unknown."""
        return None if self.dct is None else self.dct.year

    def shift_days(self, days: int) -> date | None:
        """The publication date moved by ``days``."""
        return None if self.dct is None else self.dct + timedelta(days=days)

    def weekday(self, weekday: int, tense: Tense | None) -> date | None:
        """The date of a bare weekday (1 = Monday): the latest on or before the publication
        date, unless the sentence is in the future tense (then the next, or that day)."""
        if self.dct is None:
            return None
        delta = weekday - self.dct.isoweekday()
        if tense == "FUTURE":
            return self.dct + timedelta(days=delta % 7)
        return self.dct - timedelta(days=(-delta) % 7)

    def weekday_near(self, weekday: int, weeks: int) -> date | None:
        """The weekday of the week ``weeks`` away from the publication week ("next Monday")."""
        if self.dct is None:
            return None
        monday = self.dct - timedelta(days=self.dct.isoweekday() - 1)
        return monday + timedelta(weeks=weeks, days=weekday - 1)

    def month_year(self, month: int, tense: Tense | None, day: int = 0) -> int | None:
        """The year of a month (and day) named without one: the occurrence nearest the
        publication date, looking back in a past sentence and ahead in a future one."""
        if self.dct is None:
            return None
        dct = self.dct
        candidates = []
        for year in (dct.year - 1, dct.year, dct.year + 1):
            when = date(year, month, min(day, 28) or 15)
            if day == 0 and (year, month) == (dct.year, dct.month):
                when = dct
            if tense == "PAST" and when > dct + timedelta(days=MONTH_GRACE):
                continue
            if tense == "FUTURE" and when < dct - timedelta(days=MONTH_GRACE):
                continue
            candidates.append((abs((when - dct).days), year))
        return min(candidates)[1] if candidates else dct.year

    def quarter(self) -> int | None:
        """The quarter (1-4) of the publication date."""
        return None if self.dct is None else (self.dct.month - 1) // 3 + 1

    def quarter_year(self, quarter: int, tense: Tense | None) -> int | None:
        """The year of a quarter named without one: a quarter not yet begun is last year's
        in a past sentence, this year's otherwise."""
        current = self.quarter()
        if self.dct is None or current is None:
            return None
        if quarter > current and tense == "PAST":
            return self.dct.year - 1
        return self.dct.year

    def season_year(self, season: str, offset: int, tense: Tense | None) -> int | None:
        """The year of a season: ``offset`` -1 for "last", +1 for "next", 0 for "this" / bare."""
        if self.dct is None:
            return None
        month = _SEASON_MONTH[season]
        year, now = self.dct.year, self.dct.month
        over = now > month + 1
        begun = now >= month - 1
        if offset < 0:
            return year if over else year - 1
        if offset > 0:
            return year + 1 if begun else year
        if tense == "PAST" and not begun:
            return year - 1
        return year
