"""Scheduled KPI work: daily snapshots (and their push) and the open-data ZIP."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from participation.common.time import local_zone, utcnow
from participation.kpi import opendata, periods, services


def snapshot_kpis(now: datetime | None = None, period_key: str | None = None) -> dict:
    """Store yesterday's day figures and the month and fiscal year of yesterday and of today
    (month-to-date), then push the new records. Re-running replaces the same rows.

    `period_key` is the local date of the run (the scheduler's "day" period): `flask jobs run kpi.snapshots
    --period 2026-11-20` stores 2026-11-19 and the month and fiscal year around it."""
    now = now or utcnow()
    today = now.astimezone(local_zone()).date()
    if period_key:
        try:
            today = date.fromisoformat(period_key)
        except ValueError:
            pass
    yesterday = today - timedelta(days=1)
    chosen = [periods.day(yesterday)]
    for kind in ("month", "fiscal_year"):
        for period in (periods.containing(kind, yesterday), periods.containing(kind, today)):
            if period not in chosen:
                chosen.append(period)
    records = []
    for period in chosen:
        records.extend(services.snapshot(period, now))
    pushed = services.push(records, period_key=yesterday.isoformat())
    return {"periods": len(chosen), "records": len(records), "pushed": int(pushed)}


def regenerate_open_data(now: datetime | None = None) -> dict:
    return {"bytes": opendata.regenerate()}
