"""Acceptance 1: scheduler processes started at once against one database run each due job exactly
once per period key (SQLite here, PostgreSQL when TEST_DATABASE_URL points at one)."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from participation.accounts.models import Area
from participation.jobs.models import JobRun
from tests.jobs.conftest import recorded


def test_two_schedulers_started_at_once_run_each_period_once(app, db, spawn, tmp_path):
    procs = [spawn("scheduler", "run", "--max-seconds", "7") for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=90) == 0, open(proc.log_path).read()

    runs = recorded(tmp_path / "runs.txt")
    periods = Counter(period for period, _pid in runs)
    assert len(periods) >= 2, runs  # the job came due in several periods ...
    assert all(count == 1 for count in periods.values()), runs  # ... and ran once in each
    # Only the leader runs jobs: test.tick has a new period (its own instant) at every tick, so every
    # process running jobs leaves lines. On a loaded machine a heartbeat can miss the lease and leadership
    # may pass to the other process once; that is allowed, running side by side is not.
    ticks = recorded(tmp_path / "runs.txt", "test.tick")
    assert len(ticks) >= 3, ticks
    # Ticks in time order: two schedulers running jobs together would interleave their pids (A B A B);
    # a handover shows as one change of pid.
    in_order = [pid for _period, pid in sorted(ticks)]
    switches = sum(1 for before, after in zip(in_order, in_order[1:]) if before != after)
    assert switches <= 1, in_order
    leaders = {pid for _period, pid in ticks + runs}
    assert leaders <= {str(proc.pid) for proc in procs}, (ticks, runs)

    rows = db.session.execute(select(JobRun.period_key, JobRun.status, JobRun.attempts)
                              .where(JobRun.name == "test.record")).all()
    assert sorted(rows) == sorted((period, "succeeded", 1) for period in periods)
    # The job's own writes happened once per period too.
    assert db.session.scalar(select(func.count(Area.id)).where(Area.name_ja.startswith("job-"))) == len(periods)


def test_many_processes_running_one_job_for_one_period_run_it_once(app, db, spawn, tmp_path):
    """Without the leader lock (`flask jobs run` does not take it), the claim row alone keeps it to one run."""
    procs = [spawn("jobs", "run", "test.record", "--period", "race-1") for _ in range(4)]
    outputs = []
    for proc in procs:
        proc.wait(timeout=90)
        outputs.append(open(proc.log_path).read())
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert sum("succeeded" in out for out in outputs) == 1, outputs
    assert sum("skipped" in out for out in outputs) == 3, outputs
    assert recorded(tmp_path / "runs.txt") and len(recorded(tmp_path / "runs.txt")) == 1
    run = db.session.scalars(select(JobRun).where(JobRun.name == "test.record")).one()
    assert (run.period_key, run.status, run.counts) == ("race-1", "succeeded", {"recorded": 1})


def test_make_run_starts_the_scheduler_in_process_once_under_the_reloader(app, db, spawn, tmp_path):
    """`make run` = `flask run` with SCHEDULER_IN_PROCESS=1; with --debug the reloader's watching parent
    must not run a scheduler of its own, the serving child does."""
    import signal
    import socket

    from tests.jobs.conftest import wait_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = spawn("run", "--debug", "--port", str(port), SCHEDULER_IN_PROCESS="1")
    ticks = wait_for(lambda: recorded(tmp_path / "runs.txt", "test.tick")[2:], timeout=40)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    assert ticks, open(proc.log_path).read()
    pids = {pid for _period, pid in recorded(tmp_path / "runs.txt", "test.tick")}
    assert len(pids) == 1 and str(proc.pid) not in pids  # the child (WERKZEUG_RUN_MAIN), not the parent
