"""`flask jobs list|run`, `flask scheduler run --once`, the staff page and the in-process scheduler."""
from __future__ import annotations

import os

import click
import pytest
from sqlalchemy import select

from participation.jobs import registry
from participation.jobs.models import JobRun
from participation.jobs.scheduler import start_in_process


def test_jobs_list_shows_every_job_with_trigger_and_last_run(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "cron(minute=*/10)" in lines["processes.activate_phases"] and "never" in lines["processes.activate_phases"]
    assert "accounts.retention" in lines

    assert runner.invoke(args=["jobs", "run", "accounts.retention", "--period", "2026-11-25"]).exit_code == 0
    result = runner.invoke(args=["jobs", "list"])
    assert "succeeded 2026-11-25" in result.output
    assert "never" in result.output  # activate_phases has not run


def test_jobs_run_once_per_period_and_reports_failures(app, db, job):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "processes.activate_phases"])
    assert result.exit_code == 0 and "succeeded (changed=0)" in result.output, result.output
    result = runner.invoke(args=["jobs", "run", "processes.activate_phases"])
    assert result.exit_code == 0 and "skipped" in result.output
    result = runner.invoke(args=["jobs", "run", "processes.activate_phases", "--period", "manual-1"])
    assert "[manual-1]: succeeded" in result.output

    def broken():
        raise ValueError("no such column")

    job("test.broken", broken)
    result = runner.invoke(args=["jobs", "run", "test.broken"])
    assert result.exit_code == 1 and "failed: ValueError: no such column" in result.output
    assert db.session.scalars(select(JobRun.status).where(JobRun.name == "test.broken")).one() == "failed"


@pytest.mark.parametrize("args, message", [
    (["jobs", "run", "no.such.job"], "Unknown job 'no.such.job'"),
    (["jobs", "run", "accounts.retention", "--period", "x" * 41], "1 to 40 characters"),
    (["jobs", "run", "accounts.retention", "--period", "  "], "1 to 40 characters"),
])
def test_jobs_run_bad_input(app, db, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalars(select(JobRun)).first() is None


def test_scheduler_run_once_runs_every_job_once(app, db):
    from datetime import datetime, timezone

    import time_machine

    runner = app.test_cli_runner()
    from participation.jobs import registry

    names = sorted(spec.name for spec in registry.all_jobs(app))  # every registered job, whoever adds one
    # Early in a minute: both runs fall in the same period of the every-minute job.
    with time_machine.travel(datetime(2026, 11, 25, 1, 0, 5, tzinfo=timezone.utc)):
        result = runner.invoke(args=["scheduler", "run", "--once"])
        assert result.exit_code == 0, result.output
        assert "accounts.retention" in result.output and "processes.activate_phases" in result.output
        assert {"accounts.retention", "processes.activate_phases", "kpi.snapshots", "kpi.open_data"} <= set(names)
        assert sorted(db.session.scalars(select(JobRun.name))) == names
        assert set(db.session.scalars(select(JobRun.status))) == {"succeeded"}
        result = runner.invoke(args=["scheduler", "run", "--once"])
    assert result.output.count("skipped") == len(names)


def test_staff_page_lists_runs_and_failures(app, db, client, login, make_user, job):
    from participation.jobs.runner import run_job

    def broken():
        raise RuntimeError("smtp <refused>")

    job("test.broken", broken)
    run_job("test.broken", period_key="2026-11-24")
    run_job("accounts.retention", period_key="2026-11-24")
    login(make_user("staff"))

    page = client.get("/staff/jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "processes.activate_phases" in html and "accounts.retention" in html
    assert "RuntimeError: smtp &lt;refused&gt;" in html  # escaped
    assert "tokens: 0" in html

    failures = client.get("/staff/jobs?status=failed").get_data(as_text=True)
    assert "smtp" in failures and "tokens: 0" not in failures
    one_job = client.get("/staff/jobs?name=accounts.retention").get_data(as_text=True)
    assert "smtp" not in one_job and "tokens: 0" in one_job
    for query in ("?status=bogus", "?page=abc", "?page=99999"):
        assert client.get("/staff/jobs" + query).status_code == 200
    assert client.get("/staff/jobs?name=%00").status_code == 400  # NUL in a URL is refused app-wide


def test_staff_page_is_staff_only(app, client, login, make_user):
    assert client.get("/staff/jobs").status_code == 302  # guests sign in first
    login(make_user("resident"))
    assert client.get("/staff/jobs").status_code == 403


def test_staff_page_paginates(app, db, client, login, make_user):
    from participation.common.time import utcnow

    db.session.add_all([JobRun(name="accounts.retention", period_key=f"p{n:03d}", status="succeeded",
                               started_at=utcnow(), finished_at=utcnow(), counts={"n": n}) for n in range(60)])
    db.session.commit()
    login(make_user("staff"))
    first = client.get("/staff/jobs").get_data(as_text=True)
    second = client.get("/staff/jobs?page=2").get_data(as_text=True)
    assert "<td>p059</td>" in first and "<td>p010</td>" in first and "<td>p009</td>" not in first
    assert "<td>p009</td>" in second and "<td>p000</td>" in second and "<td>p059</td>" not in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def _cli_context(name: str, **params):
    ctx = click.Context(click.Command(name))
    ctx.params.update(params)
    return ctx


def test_in_process_scheduler_starts_once_and_leads(app, db):
    service = start_in_process(app)
    try:
        assert service is not None and service.scheduler.running and service.is_leader()
        assert start_in_process(app) is service  # a second call does not start another
        assert service.scheduler.get_job("processes.activate_phases") is not None
    finally:
        service.shutdown()
        app.extensions.pop("job_scheduler", None)


def test_in_process_scheduler_is_not_started_by_other_commands_or_the_reloader_parent(app, monkeypatch):
    with _cli_context("upgrade"):
        assert start_in_process(app) is None
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    with _cli_context("run", reload=None):
        assert start_in_process(app) is None  # the reloader's watching parent
    assert "job_scheduler" not in app.extensions
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    with _cli_context("run", reload=None):
        service = start_in_process(app)  # the child that serves requests
    try:
        assert service is not None and service.scheduler.running
    finally:
        service.shutdown()
        app.extensions.pop("job_scheduler", None)
