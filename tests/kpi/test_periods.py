from datetime import date, datetime, timezone

import pytest

from participation.kpi import periods as P


def test_fiscal_year_runs_april_to_march_and_its_bounds_are_tokyo_midnights(app):
    fy = P.fiscal_year(2026)
    assert (fy.start, fy.end, fy.key) == (date(2026, 4, 1), date(2027, 3, 31), "FY2026")
    # 2026-04-01 00:00 JST = 2026-03-31 15:00 UTC; the end is exclusive: 2027-04-01 00:00 JST.
    assert fy.start_utc == datetime(2026, 3, 31, 15, tzinfo=timezone.utc)
    assert fy.end_utc == datetime(2027, 3, 31, 15, tzinfo=timezone.utc)
    assert P.containing("fiscal_year", date(2027, 3, 31)) == fy
    assert P.containing("fiscal_year", date(2027, 4, 1)).key == "FY2027"


def test_month_and_day_keys_and_bounds(app):
    feb = P.month(2028, 2)
    assert (feb.start, feb.end, feb.key) == (date(2028, 2, 1), date(2028, 2, 29), "2028-02")
    dec = P.month(2026, 12)
    assert dec.end == date(2026, 12, 31) and dec.next().key == "2027-01"
    day = P.day(date(2026, 11, 24))
    assert day.key == "2026-11-24"
    assert day.start_utc == datetime(2026, 11, 23, 15, tzinfo=timezone.utc)
    assert day.end_utc == datetime(2026, 11, 24, 15, tzinfo=timezone.utc)


def test_parse_key_round_trips_and_rejects_nonsense(app):
    for key in ("2026-11-24", "2026-11", "FY2026", "2026-01-01..2026-03-31"):
        assert P.parse_key(key).key == key
    for bad in ("2026-13", "2026-02-30", "FY26", "yesterday", "2026-03-01..2026-01-01", ""):
        with pytest.raises(P.PeriodError):
            P.parse_key(bad)


def test_covering_lists_every_overlapping_period(app):
    months = P.covering("month", date(2026, 3, 15), date(2026, 5, 2))
    assert [p.key for p in months] == ["2026-03", "2026-04", "2026-05"]
    years = P.covering("fiscal_year", date(2026, 3, 31), date(2026, 4, 1))
    assert [p.key for p in years] == ["FY2025", "FY2026"]
    assert [p.key for p in P.covering("range", date(2026, 1, 1), date(2026, 1, 9))] == ["2026-01-01..2026-01-09"]
    assert len(P.covering("day", date(2026, 2, 27), date(2026, 3, 2))) == 4
