"""KPI periods: day, month, fiscal year (April-March) and free ranges.

Boundaries are local dates in the configured time zone (Asia/Tokyo by default); the engine
turns them into UTC instants [start_utc, end_utc) where end_utc is the local midnight that
follows the last day. In the export the end date is inclusive."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from participation.common.time import fiscal_year_of, local_midnight_utc

PERIOD_TYPES = ("day", "month", "fiscal_year", "range")
MAX_RANGE_DAYS = 5 * 366  # "ranges over 5 years" are refused


class PeriodError(ValueError):
    """A period that cannot be understood (bad key, end before start)."""


@dataclass(frozen=True)
class Period:
    type: str
    start: date  # first local day
    end: date    # last local day (inclusive)

    def __post_init__(self):
        if self.type not in PERIOD_TYPES:
            raise PeriodError(f"unknown period type {self.type!r}")
        if self.end < self.start:
            raise PeriodError("the period ends before it starts")

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Exclusive upper bound: the local midnight after the last day."""
        return local_midnight_utc(self.end + timedelta(days=1))

    @property
    def key(self) -> str:
        if self.type == "day":
            return self.start.isoformat()
        if self.type == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.type == "fiscal_year":
            return f"FY{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def next(self) -> "Period":
        if self.type == "range":
            raise PeriodError("a range has no successor")
        return containing(self.type, self.end + timedelta(days=1))


def day(value: date) -> Period:
    return Period("day", value, value)


def month(year: int, month_number: int) -> Period:
    start = date(year, month_number, 1)
    following = date(year + (month_number == 12), month_number % 12 + 1, 1)
    return Period("month", start, following - timedelta(days=1))


def fiscal_year(year: int) -> Period:
    """FY2026 = 2026-04-01 .. 2027-03-31."""
    return Period("fiscal_year", date(year, 4, 1), date(year + 1, 3, 31))


def date_range(start: date, end: date) -> Period:
    return Period("range", start, end)


def containing(period_type: str, value: date) -> Period:
    """The day / month / fiscal year that contains a local date."""
    if period_type == "day":
        return day(value)
    if period_type == "month":
        return month(value.year, value.month)
    if period_type == "fiscal_year":
        return fiscal_year(fiscal_year_of(value))
    raise PeriodError(f"no calendar period of type {period_type!r}")


def covering(period_type: str, start: date, end: date) -> list[Period]:
    """Every period of a type that overlaps [start, end], oldest first ('range' gives one)."""
    if end < start:
        raise PeriodError("the end comes before the start")
    if period_type == "range":
        return [date_range(start, end)]
    periods, current = [], containing(period_type, start)
    while current.start <= end:
        periods.append(current)
        current = current.next()
    return periods


_KEY_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII), lambda m: day(date(*map(int, m.groups())))),
    (re.compile(r"^(\d{4})-(\d{2})$", re.ASCII), lambda m: month(int(m.group(1)), int(m.group(2)))),
    (re.compile(r"^FY(\d{4})$", re.IGNORECASE | re.ASCII), lambda m: fiscal_year(int(m.group(1)))),
)


def parse_key(key: str) -> Period:
    """'2026-11-24' (day), '2026-11' (month), 'FY2026' (fiscal year), 'YYYY-MM-DD..YYYY-MM-DD' (range)."""
    key = (key or "").strip()
    if ".." in key:
        left, _, right = key.partition("..")
        return date_range(parse_date(left), parse_date(right))
    for pattern, build in _KEY_PATTERNS:
        match = pattern.match(key)
        if match:
            try:
                return build(match)
            except ValueError as exc:
                raise PeriodError(str(exc)) from exc
    raise PeriodError(f"not a period: {key!r}")


def parse_date(value: str) -> date:
    value = (value or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        raise PeriodError(f"not a date (YYYY-MM-DD): {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PeriodError(str(exc)) from exc
