"""Working days (工作日) with China's public holidays and adjusted working days.

The arrangement of each year is data (the State Council publishes the next year's around
November). For a year with no arrangement the calendar falls back to Monday–Friday and says
so (`estimated`), rather than failing a request. Dates are Beijing dates: time limits run
by the office's calendar, whatever the server's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import Field, model_validator

from chalicelib.domain.common import BEIJING, Strict

__all__ = ["BEIJING", "WorkingCalendar", "YearArrangement", "beijing_date"]


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


class YearArrangement(Strict):
    """One year's official arrangement: days off that would be working days, and weekend
    days that are working days (调休上班)."""

    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(max_length=120)
    workdays: list[date] = Field(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def _consistent(self) -> YearArrangement:
        for label, days in (("holidays", self.holidays), ("workdays", self.workdays)):
            if any(d.year != self.year for d in days):
                raise ValueError(f"every date in {label} must fall in {self.year}")
        if set(self.holidays) & set(self.workdays):
            raise ValueError("a date cannot be both a holiday and a working day")
        if any(d.weekday() < 5 for d in self.workdays):
            raise ValueError("adjusted working days are weekend days")
        return self


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    _cache: dict[date, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls, national: list[YearArrangement], local: list[YearArrangement] | None = None
    ) -> WorkingCalendar:
        """The national arrangements, with a county's own days added. A year is known (its
        dates not estimated) only once the State Council's arrangement for it is loaded: a
        county's local day does not make its year official."""
        arrangements = [*national, *(local or [])]
        return cls(
            holidays=frozenset(d for a in arrangements for d in a.holidays),
            workdays=frozenset(d for a in arrangements for d in a.workdays),
            known_years=frozenset(a.year for a in national),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def knows(self, day: date) -> bool:
        return day.year in self.known_years

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (time limits run from the next day, as the
        Administrative Licensing Law counts them); 0 days: `start` itself."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when `end` is not after `start`."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def estimated(self, *days: date) -> bool:
        """True when any of `days` lies in a year whose arrangement is not loaded yet."""
        return any(not self.knows(d) for d in days)
