"""The scheduler process: APScheduler 3.x, in-memory job store, guarded by the leader lock.

Every scheduler process (any number of them: ``flask scheduler run`` on several hosts, or the
in-process scheduler of each web worker in development) schedules every registered job with its
trigger. A heartbeat job (every ``SCHEDULER_HEARTBEAT_SECONDS``) acquires or renews the leader lock.
When a job's trigger fires, the process runs it only if it holds the lock; the others keep trying to
become leader and take over within one lease (SQLite) or at once (PostgreSQL) when the leader dies.
``run_job`` then makes each (job, period) run once even if two processes ever both believed they lead.

APScheduler is told to coalesce missed fires and never to run two instances of one job at a time.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from participation.jobs import registry
from participation.jobs.leader import LeaderLock, make_lock
from participation.jobs.runner import RunResult, run_job

log = logging.getLogger(__name__)

HEARTBEAT_JOB_ID = "_scheduler.leader"


class JobScheduler:
    def __init__(self, app, lock: LeaderLock | None = None):
        self.app = app
        with app.app_context():
            self.lock = lock or make_lock(app)
            self.specs = registry.all_jobs(app)
        self.heartbeat_seconds = float(registry.setting(app, "SCHEDULER_HEARTBEAT_SECONDS"))
        self.scheduler = BackgroundScheduler(
            timezone=ZoneInfo(app.config.get("TIMEZONE", "Asia/Tokyo")),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        self._stopped = False

    # -- leadership --------------------------------------------------------------------------------
    def heartbeat(self) -> bool:
        try:
            return self.lock.refresh()
        except Exception:  # never let the heartbeat die: keep trying on the next beat
            log.exception("scheduler: leader heartbeat failed")
            return False

    def is_leader(self) -> bool:
        return self.lock.held()

    # -- running -----------------------------------------------------------------------------------
    def tick(self, name: str) -> RunResult | None:
        """A trigger fired: run the job if this process leads, else do nothing."""
        if not self.lock.held():
            return None
        with self.app.app_context():
            try:
                return run_job(name)
            except Exception:  # recording the run itself failed (database down...): try next time
                log.exception("scheduler: could not run job %s", name)
                return None

    def run_once(self) -> list[RunResult] | None:
        """`--once`: become leader if possible, run every job for its current period, give the lock back.
        None when another process leads."""
        results: list[RunResult] = []
        try:
            if not self.heartbeat():
                return None
            for spec in self.specs:
                result = self.tick(spec.name)
                if result is not None:
                    results.append(result)
        finally:
            self.lock.release()
        return results

    def start(self) -> None:
        for spec in self.specs:  # validate every trigger before anything starts
            kwargs = spec.trigger_args(self.app)
            trigger = kwargs.pop("trigger")
            self.scheduler.add_job(self.tick, trigger, args=[spec.name], id=spec.name, name=spec.name, **kwargs)
        self.heartbeat()
        self.scheduler.add_job(self.heartbeat, "interval", seconds=self.heartbeat_seconds, id=HEARTBEAT_JOB_ID,
                               name="leader heartbeat")
        self.scheduler.start()
        log.info("scheduler: started with %d jobs; leader: %s", len(self.specs), self.lock.held())

    def shutdown(self, wait: bool = True) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=wait)
        finally:
            self.lock.release()


def _under_cli_other_than_run() -> tuple[bool, object]:
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False, None
    return ctx.command.name != "run", ctx


def start_in_process(app) -> JobScheduler | None:
    """Development (``make run``): run the scheduler in a background thread of the web process.

    Not started for other ``flask`` commands (``db upgrade``, ``jobs run``, ``scheduler run``...), and
    under the Werkzeug reloader only in the child that serves requests (WERKZEUG_RUN_MAIN), not in the
    watching parent. Several web workers each starting one is harmless: only the leader runs jobs."""
    if "job_scheduler" in app.extensions:
        return app.extensions["job_scheduler"]
    other_command, ctx = _under_cli_other_than_run()
    if other_command:
        return None
    if ctx is not None:
        from flask.helpers import get_debug_flag

        reload = ctx.params.get("reload")
        use_reloader = get_debug_flag() if reload is None else reload
        if use_reloader and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            return None
    service = JobScheduler(app)
    service.start()
    app.extensions["job_scheduler"] = service
    atexit.register(service.shutdown, False)
    return service


def run_forever(app, max_seconds: float | None = None, stop: threading.Event | None = None) -> None:
    """`flask scheduler run`: run until SIGTERM/SIGINT, or for `max_seconds` (tests, cron-style use)."""
    import signal
    import time

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    service = JobScheduler(app)
    service.start()
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    try:
        while not stop.is_set():
            remaining = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if remaining <= 0:
                break
            stop.wait(remaining)
    finally:
        service.shutdown(wait=True)
        log.info("scheduler: stopped")
