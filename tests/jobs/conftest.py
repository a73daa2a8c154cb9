"""Fixtures for the scheduler tests: in-process test jobs, and scheduler subprocesses."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from participation.jobs import registry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def job(app):
    """job(name, func, period=..., trigger=...) registers a job for this test only."""
    names = []

    def factory(name, func, *, period="day", trigger=None):
        names.append(name)
        return registry.register(name, func, trigger=trigger or registry.interval(hours=1), period=period)

    yield factory
    for name in names:
        registry.unregister(name)


@pytest.fixture
def is_postgres(database_url):
    return database_url.startswith("postgresql")


@pytest.fixture
def scheduler_env(database_url, tmp_path):
    """The environment of a `flask scheduler run` subprocess on the test database, with test.record
    registered every second (through the JOB_TRIGGERS override) and writing to `tmp_path/runs.txt`."""
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PYTHONPATH": str(REPO),
        "JOB_MODULES": "tests.jobs.testjobs",
        "JOB_TRIGGERS": json.dumps({"test.record": {"trigger": "interval", "seconds": 1},
                                    "test.tick": {"trigger": "interval", "seconds": 1},
                                    # keep the real jobs quiet while the test runs
                                    "processes.activate_phases": {"trigger": "interval", "hours": 24},
                                    "accounts.retention": {"trigger": "interval", "hours": 24}}),
        "JOBS_TEST_RECORD_FILE": str(tmp_path / "runs.txt"),
        "SCHEDULER_LEASE_SECONDS": "4",
        "SCHEDULER_HEARTBEAT_SECONDS": "0.5",
        "SCHEDULER_IN_PROCESS": "0",
    })
    env.pop("WERKZEUG_RUN_MAIN", None)
    return env


@pytest.fixture
def spawn(scheduler_env, tmp_path):
    """spawn(*flask_args) starts `python -m flask ...` in the repo, in a new process group; each group is
    killed at teardown."""
    processes = []

    def start(*args, **extra_env):
        env = dict(scheduler_env, **extra_env)
        log = open(tmp_path / f"proc-{len(processes)}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log_path = log.name
        processes.append((proc, log))
        return proc

    yield start
    for proc, log in processes:
        try:  # the process and anything it started (the reloader's child), by its own process group
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        log.close()


def recorded(path: Path, name: str = "test.record") -> list[tuple[str, str]]:
    """(period_key, pid) of each run of test job `name` (see testjobs.py)."""
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(period, pid) for job, period, pid in lines if job == name]


def wait_for(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
