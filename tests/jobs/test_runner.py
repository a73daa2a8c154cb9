"""Acceptance 2 (runs): a failing job records its error and runs again next time; a job run twice
for one period changes nothing the second time. Also periods, stale runs and trigger overrides."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from participation.accounts.models import AccountToken, Area
from participation.common.time import utcnow
from participation.jobs import registry
from participation.jobs.models import JobRun
from participation.jobs.runner import UnknownJob, run_job
from participation.jobs.scheduler import JobScheduler


def area_count(db) -> int:
    return db.session.scalar(select(func.count(Area.id)))


def test_failing_job_records_the_error_rolls_back_and_succeeds_next_time(app, db, job):
    calls = []

    def flaky():
        calls.append(1)
        db.session.add(Area(name_ja=f"区{len(calls)}", name_en=f"Ward {len(calls)}"))
        db.session.flush()
        if len(calls) == 1:
            raise RuntimeError("the mail server is down")
        return {"areas": 1}

    job("test.flaky", flaky, period="day")
    service = JobScheduler(app)
    assert service.heartbeat()  # this process leads; ticks go through the scheduler path
    try:
        first = service.tick("test.flaky")
        assert first.status == "failed"
        run = db.session.scalars(select(JobRun).where(JobRun.name == "test.flaky")).one()
        assert run.status == "failed" and run.finished_at is not None and run.attempts == 1
        assert "RuntimeError: the mail server is down" in run.error
        assert "Traceback" in run.error
        assert run.error_summary == "RuntimeError: the mail server is down"
        assert area_count(db) == 0  # the failed run's work was rolled back

        second = service.tick("test.flaky")  # the next time the trigger fires
    finally:
        service.shutdown()
    assert second.status == "succeeded" and second.period_key == first.period_key
    db.session.expire_all()
    run = db.session.scalars(select(JobRun).where(JobRun.name == "test.flaky")).one()
    assert (run.status, run.attempts, run.counts, run.error) == ("succeeded", 2, {"areas": 1}, None)
    assert area_count(db) == 1


def test_a_job_run_twice_for_one_period_changes_nothing_the_second_time(app, db, job):
    def once(period_key):
        db.session.add(Area(name_ja=f"地区 {period_key}", name_en=period_key))
        return {"areas": 1}

    job("test.once", once, period="day")
    first = run_job("test.once", period_key="2026-11-25")
    row = db.session.scalars(select(JobRun)).one()
    before = (row.id, row.status, row.started_at, row.finished_at, row.counts, row.attempts)

    second = run_job("test.once", period_key="2026-11-25")

    assert (first.status, second.status) == ("succeeded", "skipped")
    db.session.expire_all()
    row = db.session.scalars(select(JobRun)).one()
    assert (row.id, row.status, row.started_at, row.finished_at, row.counts, row.attempts) == before
    assert area_count(db) == 1
    # Another period is another run.
    assert run_job("test.once", period_key="2026-11-26").status == "succeeded"
    assert area_count(db) == 2


def test_retention_job_runs_once_per_day(app, db, make_user):
    user = make_user()
    db.session.add(AccountToken(user_id=user.id, purpose="reset", token_hash="x" * 64,
                                expires_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    first = run_job("accounts.retention")
    assert first.status == "succeeded" and first.counts == {"tokens": 1, "unconfirmed_accounts": 0, "data_exports": 0}
    db.session.add(AccountToken(user_id=user.id, purpose="reset", token_hash="y" * 64,
                                expires_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert run_job("accounts.retention").status == "skipped"
    assert db.session.scalar(select(func.count(AccountToken.id))) == 1  # untouched by the skipped run


def test_a_running_row_is_left_alone_unless_stale(app, db, job):
    ran = []
    job("test.stale", lambda: ran.append(1) or {}, period="day")
    db.session.add(JobRun(name="test.stale", period_key="p1", status="running", started_at=utcnow()))
    db.session.add(JobRun(name="test.stale", period_key="p2", status="running",
                          started_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    assert run_job("test.stale", period_key="p1").status == "skipped"  # may still be running elsewhere
    assert run_job("test.stale", period_key="p2").status == "succeeded"  # its process died long ago
    assert ran == [1]
    row = db.session.scalars(select(JobRun).where(JobRun.period_key == "p2")).one()
    assert (row.status, row.attempts) == ("succeeded", 2)


def test_unknown_job_is_refused(app):
    with pytest.raises(UnknownJob):
        run_job("no.such.job")


def test_job_receives_now_and_period_key_and_non_json_counts_are_stored(app, db, job):
    seen = {}

    def work(now, period_key):
        seen.update(now=now, period_key=period_key)
        return {"when": now}

    job("test.args", work, period="day")
    now = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)  # 00:30 on the 25th in Tokyo
    result = run_job("test.args", now=now)
    assert seen == {"now": now, "period_key": "2026-11-25"}
    assert result.counts == {"when": str(now)}


@pytest.mark.parametrize("period, now, expected", [
    ("day", datetime(2026, 11, 24, 14, 59, tzinfo=timezone.utc), "2026-11-24"),
    ("day", datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc), "2026-11-25"),
    ("hour", datetime(2026, 11, 24, 15, 59, tzinfo=timezone.utc), "2026-11-25T00"),
    ("10min", datetime(2026, 11, 24, 15, 39, 59, tzinfo=timezone.utc), "2026-11-25T00:30"),
    ("week", datetime(2026, 12, 31, 15, 0, tzinfo=timezone.utc), "2026-W53"),
    ("month", datetime(2026, 3, 31, 15, 0, tzinfo=timezone.utc), "2026-04"),
])
def test_periods_are_local_time(app, period, now, expected):
    assert registry.PERIODS[period](now) == expected


def test_fixed_and_previous_day_periods(app):
    now = datetime(2026, 4, 30, 15, 0, tzinfo=timezone.utc)  # 2026-05-01 00:00 in Tokyo
    assert registry.fixed("backfill-2026")(now) == "backfill-2026"
    assert registry.previous_day(now) == "2026-04-30"


def test_register_refuses_unknown_period_and_missing_trigger_kind():
    with pytest.raises(ValueError):
        registry.register("test.bad", lambda: None, trigger={"minutes": 5}, period="day")
    with pytest.raises(ValueError):
        registry.register("test.bad", lambda: None, trigger=registry.interval(minutes=5), period="fortnight")
    assert registry.get("test.bad") is None


def test_job_triggers_config_overrides_the_registered_trigger(app):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    app.config["JOB_TRIGGERS"] = {"accounts.retention": {"trigger": "interval", "minutes": 5}}
    service = JobScheduler(app)
    service.start()
    try:
        retention = service.scheduler.get_job("accounts.retention").trigger
        phases = service.scheduler.get_job("processes.activate_phases").trigger
    finally:
        service.shutdown()
    assert isinstance(retention, IntervalTrigger) and retention.interval == timedelta(minutes=5)
    assert isinstance(phases, CronTrigger)  # not overridden: the registered trigger


@pytest.mark.parametrize("override, message", [
    ({"trigger": "cron", "hour": 25}, "25"),
    ({"hour": 2}, "needs a 'trigger' key"),
])
def test_scheduler_run_refuses_a_bad_trigger_override(app, override, message):
    app.config["JOB_TRIGGERS"] = {"accounts.retention": override}
    result = app.test_cli_runner().invoke(args=["scheduler", "run", "--max-seconds", "0"])
    assert result.exit_code == 1 and "Could not start the scheduler" in result.output and message in result.output
