"""The KPI jobs are registered and run through the job runner, once per day and idempotently."""
from sqlalchemy import func, select

from participation.jobs import registry
from participation.jobs.runner import run_job
from participation.kpi import opendata
from participation.kpi.jobs import snapshot_kpis
from participation.kpi.models import KpiSnapshot
from tests.kpi.conftest import jst


def _snapshot_rows(db):
    return sorted(db.session.execute(select(
        KpiSnapshot.code, KpiSnapshot.scope_type, KpiSnapshot.scope_id, KpiSnapshot.dimension_value,
        KpiSnapshot.period_type, KpiSnapshot.period_start, KpiSnapshot.value, KpiSnapshot.suppressed)).all())


def test_kpi_jobs_are_registered_daily():
    snapshots, open_data = registry.get("kpi.snapshots"), registry.get("kpi.open_data")
    assert snapshots.trigger == {"trigger": "cron", "hour": 2, "minute": 30}
    assert snapshots.period_key(jst(2026, 11, 25, 2, 30)) == "2026-11-25"
    assert open_data.trigger["trigger"] == "cron" and open_data.period == "day"


def test_snapshot_job_runs_once_per_day_and_a_forced_rerun_changes_nothing(app, db, add_user):
    for day in range(1, 8):                       # 7 sign-ups on 1..7 November, one on 24 November (JST)
        add_user(jst(2026, 11, day, 12))
    add_user(jst(2026, 11, 24, 23, 59))
    now = jst(2026, 11, 25, 2, 30)
    first = run_job("kpi.snapshots", now=now)
    assert first.status == "succeeded", first.error
    # yesterday (24 Nov), November and FY2026 (yesterday and today fall in the same month and year)
    assert first.counts["periods"] == 3
    rows = _snapshot_rows(db)
    registrations = {(r.period_type, r.period_start.isoformat()): r for r in rows
                     if r.code == "new_registrations" and r.scope_type == "platform"}
    assert registrations[("month", "2026-11-01")].value == 8
    assert registrations[("fiscal_year", "2026-04-01")].value == 8
    day = registrations[("day", "2026-11-24")]
    assert day.value is None and day.suppressed                 # 1 person: suppressed
    assert run_job("kpi.snapshots", now=now).status == "skipped"  # same period key: not run again
    # Forced: the job's work itself run again for the same day (as a re-run after a reset would) replaces the
    # same rows with the same figures and adds none.
    again = snapshot_kpis(now=jst(2026, 11, 25, 9), period_key="2026-11-25")
    db.session.commit()
    assert again["periods"] == 3
    assert _snapshot_rows(db) == rows
    assert db.session.scalar(select(func.count()).select_from(KpiSnapshot)) == len(rows)


def test_snapshot_job_for_an_explicit_day_stores_the_day_before(app, db, add_user):
    from participation.jobs.models import JobRun

    result = run_job("kpi.snapshots", period_key="2026-04-01", now=jst(2026, 11, 25, 2, 30))
    assert result.status == "succeeded", result.error
    stored = {(r.period_type, r.period_start.isoformat()) for r in _snapshot_rows(db)}
    # 31 March closes March and FY2025; 1 April opens April and FY2026
    assert stored == {("day", "2026-03-31"), ("month", "2026-03-01"), ("fiscal_year", "2025-04-01"),
                      ("month", "2026-04-01"), ("fiscal_year", "2026-04-01")}
    assert db.session.scalar(select(JobRun.status).where(JobRun.name == "kpi.snapshots")) == "succeeded"


def test_open_data_job_writes_the_zip_through_the_runner(app, db):
    path = opendata.cached_path()
    try:
        result = run_job("kpi.open_data", now=jst(2026, 11, 25, 2, 50))
        assert result.status == "succeeded", result.error
        assert result.counts["bytes"] == path.stat().st_size > 0
        assert run_job("kpi.open_data", now=jst(2026, 11, 25, 3)).status == "skipped"
    finally:
        path.unlink(missing_ok=True)
