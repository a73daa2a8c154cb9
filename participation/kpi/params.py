"""Parsing and validating the export filters (API and staff page). Errors carry a message for a 400."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from participation.common.numbers import parse_id
from participation.common.time import local_today
from participation.kpi import periods as P
from participation.kpi.registry import INDICATORS, SCOPE_TYPES, available_indicators

MAX_COMPUTED_PERIODS = 400  # periods computed on the fly in one request (snapshots are not limited)
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # keeps every period and UTC instant representable


class BadFilter(ValueError):
    pass


@dataclass(frozen=True)
class ExportQuery:
    period_type: str
    start: date
    end: date
    scope_type: str | None
    scope_id: int | None
    codes: tuple[str, ...] | None

    @property
    def periods(self) -> list[P.Period]:
        return P.covering(self.period_type, self.start, self.end)

    @property
    def scopes(self) -> list[tuple[str, int | None]]:
        types = [self.scope_type] if self.scope_type else list(SCOPE_TYPES)
        return [(scope_type, self.scope_id) for scope_type in types]


def _five_years_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 5)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 5, day=28)


def parse_export_args(args) -> ExportQuery:
    period_type = args.get("period_type") or "month"
    if period_type not in P.PERIOD_TYPES:
        raise BadFilter(f"period_type must be one of {', '.join(P.PERIOD_TYPES)}")
    try:
        end = P.parse_date(args["to"]) if args.get("to") else local_today()
        if args.get("from"):
            start = P.parse_date(args["from"])
        else:
            start = end if period_type == "range" else P.containing(period_type, end).start
    except P.PeriodError as error:
        raise BadFilter(f"from/to: {error}") from None
    if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
        raise BadFilter(f"dates must lie between {EARLIEST} and {LATEST}")
    if start > end:
        raise BadFilter("from must not be after to")
    if end > _five_years_after(start):
        raise BadFilter("the range from..to must not exceed 5 years")

    scope_type = args.get("scope_type") or None
    if scope_type is not None and scope_type not in SCOPE_TYPES:
        raise BadFilter(f"scope_type must be one of {', '.join(SCOPE_TYPES)}")
    scope_id = None
    raw_id = args.get("scope_id")
    if raw_id:
        scope_id = parse_id(raw_id)
        if scope_id is None:
            raise BadFilter("scope_id must be a number")
        if scope_type not in ("process", "area"):
            raise BadFilter("scope_id needs scope_type process or area")

    codes = None
    if args.get("codes"):
        codes = tuple(dict.fromkeys(code.strip() for code in args["codes"].split(",") if code.strip()))
        available = {ind.code for ind in available_indicators()}
        unknown = [code for code in codes if code not in available]
        if unknown:
            raise BadFilter(f"unknown indicator codes: {', '.join(sorted(unknown))[:300]}")
        if scope_type and not any(scope_type in INDICATORS[code].scopes for code in codes):
            raise BadFilter(f"none of these indicators has a {scope_type} scope")
    return ExportQuery(period_type, start, end, scope_type, scope_id, codes)
