"""Time in the simulation: seconds and day numbers since 1970-01-01 UTC, calendar
quarters (the fiscal year of the sample company starts in January) and where the
drops fall (`Clock`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sample_exports.simulation.scales import AS_OF, Scale

DAY = 86_400
WEEK = 7 * DAY
EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=None)
def fmt_day(day: int) -> str:
    """A day number (days since 1970-01-01) as YYYY-MM-DD."""
    return (EPOCH + timedelta(days=day)).isoformat()


def fmt_ts(ts: int) -> str:
    """Seconds since 1970-01-01 UTC as YYYY-MM-DD HH:MM:SS."""
    day, sec = divmod(ts, DAY)
    hour, sec = divmod(sec, 3600)
    minute, sec = divmod(sec, 60)
    return f"{fmt_day(day)} {hour:02d}:{minute:02d}:{sec:02d}"


def day_number(d: date) -> int:
    return (d - EPOCH).days


def weekday(day: int) -> int:
    """0 = Monday; 1970-01-01 was a Thursday."""
    return (day + 3) % 7


@lru_cache(maxsize=None)
def quarter_of(day: int) -> tuple[int, int]:
    d = EPOCH + timedelta(days=day)
    return d.year, (d.month - 1) // 3 + 1


@lru_cache(maxsize=None)
def quarter_bounds(year: int, quarter: int) -> tuple[int, int]:
    """First and last day of a calendar quarter (the fiscal year starts in January)."""
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return day_number(first), day_number(nxt) - 1


def fiscal_period(year: int, quarter: int) -> str:
    return f"FY{year}-Q{quarter}"


def month_end(day: int) -> int:
    d = EPOCH + timedelta(days=day)
    nxt = date(d.year + (d.month == 12), 1 if d.month == 12 else d.month + 1, 1)
    return day_number(nxt) - 1


def fmt_money(x: float) -> str:
    return f"{x:.2f}"


@dataclass(frozen=True)
class Clock:
    """Where the history starts, where the drops fall and where the data ends."""

    start: int  # history start, seconds (a Monday 00:00 UTC)
    first_drop: int  # the full drop's date, seconds
    end: int  # AS_OF, seconds: nothing happens on or after it
    weeks: int  # weekly delta drops

    @classmethod
    def for_scale(cls, spec: Scale, weeks: int) -> Clock:
        end = day_number(AS_OF) * DAY
        first = end - weeks * WEEK
        return cls(first - spec.pre_weeks * WEEK, first, end, weeks)

    @property
    def drop_names(self) -> list[str]:
        return [fmt_day((self.first_drop + k * WEEK) // DAY) for k in range(self.weeks + 1)]

    @property
    def history_weeks(self) -> int:
        return (self.end - self.start) // WEEK

    def drop_of(self, ts: int) -> int | None:
        """The drop a change at `ts` is exported in: 0 = the full drop; None = after AS_OF."""
        if ts < self.first_drop:
            return 0
        if ts >= self.end:
            return None
        return (ts - self.first_drop) // WEEK + 1

