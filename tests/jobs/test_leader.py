"""Acceptance 2 (leader): a leader that dies loses the lock within its lease and another process takes
over; on PostgreSQL the advisory lock goes with the holder's connection."""
from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from participation.common.time import utcnow
from participation.jobs.leader import AdvisoryLock, LeaseLock, make_lock
from participation.jobs.models import SchedulerLock
from tests.jobs.conftest import recorded, wait_for


def test_lease_lock_one_holder_renewal_and_takeover_after_expiry(app, db):
    a = LeaseLock(db.engine, lease_seconds=30, holder="a")
    b = LeaseLock(db.engine, lease_seconds=30, holder="b")
    assert a.refresh() and a.held()
    assert not b.refresh() and not b.held()
    with time_machine.travel(utcnow() + timedelta(seconds=20)):
        assert a.refresh()  # the leader renews ...
        assert not b.refresh()
    with time_machine.travel(utcnow() + timedelta(seconds=45)):
        assert not b.refresh()  # ... so 45 s after the start its lease (renewed at 20 s) still holds
    with time_machine.travel(utcnow() + timedelta(seconds=51)):
        assert not a.held()  # a leader that stopped renewing stops acting as leader by itself
        assert b.refresh() and b.held()  # and another process takes over
        assert not a.refresh()
    row = db.session.get(SchedulerLock, "scheduler")
    assert row.holder == "b"


def test_lease_lock_release_lets_another_take_it_at_once(app, db):
    a = LeaseLock(db.engine, holder="a")
    b = LeaseLock(db.engine, holder="b")
    assert a.refresh()
    a.release()
    assert not a.held()
    assert b.refresh()


def test_make_lock_picks_the_backend(app, db, is_postgres):
    lock = make_lock(app)
    try:
        assert isinstance(lock, AdvisoryLock if is_postgres else LeaseLock)
    finally:
        lock.release()


def test_advisory_lock_follows_its_connection(app, db, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    a, b = AdvisoryLock(db.engine.url), AdvisoryLock(db.engine.url)
    try:
        assert a.refresh() and a.refresh()  # holding it: refresh only checks the connection
        assert not b.refresh()
        pid = a._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as conn:  # the server drops the leader's connection
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        assert wait_for(b.refresh, timeout=5)
        assert not a.refresh() and not a.held()  # a notices, and cannot take it back
    finally:
        a.release()
        b.release()


def test_a_leader_killed_with_sigkill_loses_the_lock_and_another_scheduler_takes_over(
        app, db, spawn, tmp_path, is_postgres):
    lease = 4
    procs = [spawn("scheduler", "run", "--max-seconds", "25", SCHEDULER_LEASE_SECONDS=str(lease))
             for _ in range(2)]
    runs = tmp_path / "runs.txt"
    assert wait_for(lambda: recorded(runs, "test.tick"), timeout=30), [open(p.log_path).read() for p in procs]
    leader_pid = recorded(runs, "test.tick")[0][1]
    leader = next(p for p in procs if str(p.pid) == leader_pid)
    other = next(p for p in procs if p is not leader)

    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=10)
    killed_at = time.monotonic()
    if not is_postgres:
        # Right after the crash the lease still stands: nobody may take the lock yet ...
        assert db.session.get(SchedulerLock, "scheduler").holder.split(":")[1] == leader_pid
        assert not LeaseLock(db.engine, lease_seconds=lease, holder="probe").refresh()

        def holder_pid():
            db.session.rollback()  # a fresh read each time
            row = db.session.get(SchedulerLock, "scheduler")
            return row is not None and row.holder.split(":")[1] == str(other.pid)

        # ... and once it ran out (plus one heartbeat), the other scheduler holds it.
        assert wait_for(holder_pid, timeout=lease + 5)
        assert time.monotonic() - killed_at < lease + 1.5

    def other_ran():
        return [pid for _period, pid in recorded(runs, "test.tick") if pid == str(other.pid)]

    assert wait_for(other_ran, timeout=lease + 8), open(other.log_path).read()
    if is_postgres:  # the server released the advisory lock with the dead leader's connection
        assert time.monotonic() - killed_at < 4
    assert {pid for _period, pid in recorded(runs, "test.tick")} == {leader_pid, str(other.pid)}
    other.send_signal(signal.SIGTERM)
    assert other.wait(timeout=30) == 0
    if not is_postgres:  # a clean stop gives the lease back
        assert db.session.scalar(select(SchedulerLock).where(SchedulerLock.name == "scheduler")) is None
