"""The one registry of scheduled jobs.

A job is a plain function in its feature's ``jobs.py``. It runs inside an app context and a database
transaction opened for it (see ``runner``); it returns a dict of counts (shown on the staff page) or
None, and must be safe to run again for the same period. It may accept ``now`` (aware UTC datetime,
the moment the run is for) and/or ``period_key`` (str) as keyword arguments; nothing else is passed.

Each job has
* a **trigger**: APScheduler 3.x trigger keyword arguments, e.g. ``{"trigger": "interval", "minutes": 10}``
  or ``{"trigger": "cron", "hour": 3, "minute": 15}`` (cron fields are in the municipality's time zone).
  Deployments override them with the ``JOB_TRIGGERS`` setting: app config, or the environment variable
  of that name holding JSON, e.g. ``JOB_TRIGGERS='{"accounts.retention": {"trigger": "cron", "hour": 4}}'``.
* a **period**: what "once" means. One of ``PERIODS`` (``"10min"``, ``"hour"``, ``"day"``, ``"week"``,
  ``"month"``; computed in the municipality's time zone, e.g. ``"day"`` -> ``"2026-11-25"``), a callable
  ``period(now) -> str``, or ``fixed("key")`` for a job that runs once ever.

Settings (app config first, else the environment variable of the same name, else the default):
``JOB_TRIGGERS`` (JSON), ``JOB_MODULES`` (comma-separated modules imported to register extra jobs;
tests use it to add a job to a scheduler subprocess), ``SCHEDULER_LEASE_SECONDS``,
``SCHEDULER_HEARTBEAT_SECONDS``, ``JOB_STALE_RUNNING_MINUTES`` (a run still "running" after this long is
presumed dead and may be claimed again).
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from participation.common.time import as_utc, local_zone, utcnow

DEFAULTS: dict[str, Any] = {
    "JOB_TRIGGERS": {},
    "JOB_MODULES": (),
    "SCHEDULER_LEASE_SECONDS": 30,
    "SCHEDULER_HEARTBEAT_SECONDS": 5,
    "JOB_STALE_RUNNING_MINUTES": 120,
}


def setting(app, key: str):
    """App config, else the environment (JSON for JOB_TRIGGERS, a comma list for JOB_MODULES), else default."""
    if key in app.config:
        return app.config[key]
    raw = os.environ.get(key)
    if raw is None or raw.strip() == "":
        return DEFAULTS[key]
    if key == "JOB_TRIGGERS":
        return json.loads(raw)
    if key == "JOB_MODULES":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return float(raw)


# --- periods ---------------------------------------------------------------------------------------
def _local(now: datetime) -> datetime:
    return as_utc(now).astimezone(local_zone())


def _ten_minutes(now: datetime) -> str:
    local = _local(now)
    return local.strftime("%Y-%m-%dT%H:") + f"{local.minute // 10 * 10:02d}"


PERIODS: dict[str, Callable[[datetime], str]] = {
    "10min": _ten_minutes,
    "hour": lambda now: _local(now).strftime("%Y-%m-%dT%H"),
    "day": lambda now: _local(now).date().isoformat(),
    "week": lambda now: "{}-W{:02d}".format(*_local(now).isocalendar()[:2]),
    "month": lambda now: _local(now).strftime("%Y-%m"),
}


def fixed(key: str) -> Callable[[datetime], str]:
    """A period that never changes: the job runs once (until it succeeds)."""
    return lambda now: key


def previous_day(now: datetime) -> str:
    """The local date before `now`, for jobs that work on yesterday (e.g. daily snapshots)."""
    return (_local(now).date() - timedelta(days=1)).isoformat()


# --- specs ---------------------------------------------------------------------------------------------
@dataclass
class JobSpec:
    name: str
    func: Callable[..., dict | None] | str  # a callable or "package.module:function" (imported when run)
    trigger: dict
    period: str | Callable[[datetime], str] = "day"
    description: Any = ""  # str or lazy_gettext
    _resolved: Callable | None = field(default=None, repr=False, compare=False)

    def function(self) -> Callable[..., dict | None]:
        if self._resolved is None:
            if callable(self.func):
                self._resolved = self.func
            else:
                module, _, attr = self.func.partition(":")
                self._resolved = getattr(importlib.import_module(module), attr)
        return self._resolved

    def period_key(self, now: datetime | None = None) -> str:
        now = now or utcnow()
        period = PERIODS[self.period] if isinstance(self.period, str) else self.period
        return str(period(now))[:40]

    def call(self, *, now: datetime, period_key: str):
        func = self.function()
        accepted = inspect.signature(func).parameters
        kwargs = {key: value for key, value in (("now", now), ("period_key", period_key)) if key in accepted}
        return func(**kwargs)

    def trigger_args(self, app=None) -> dict:
        """The trigger's keyword arguments, with the deployment's JOB_TRIGGERS override applied."""
        overrides = setting(app, "JOB_TRIGGERS") if app is not None else {}
        args = dict(overrides.get(self.name) or self.trigger)
        if "trigger" not in args:
            raise ValueError(f"JOB_TRIGGERS[{self.name!r}] needs a 'trigger' key: 'cron', 'interval' or 'date'")
        return args

    def describe_trigger(self, app=None) -> str:
        try:
            args = self.trigger_args(app)
        except ValueError as error:
            return f"invalid: {error}"
        kind = args.pop("trigger", "?")
        return f"{kind}(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"


_JOBS: dict[str, JobSpec] = {}


def register(name: str, func, *, trigger: dict, period="day", description="") -> JobSpec:
    """Add a job. Registering the same name again replaces it (module reloads, tests)."""
    if isinstance(period, str) and period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {sorted(PERIODS)}, fixed(key) or a callable")
    if "trigger" not in trigger:
        raise ValueError("trigger needs a 'trigger' key: 'cron', 'interval' or 'date'")
    spec = JobSpec(name=name, func=func, trigger=dict(trigger), period=period, description=description)
    _JOBS[name] = spec
    return spec


def unregister(name: str) -> None:
    _JOBS.pop(name, None)


def load_extra_modules(app) -> None:
    """Import the JOB_MODULES of this deployment (each registers its jobs when imported)."""
    for module in setting(app, "JOB_MODULES"):
        importlib.import_module(module)


def all_jobs(app=None) -> list[JobSpec]:
    if app is not None:
        load_extra_modules(app)
    return sorted(_JOBS.values(), key=lambda spec: spec.name)


def get(name: str, app=None) -> JobSpec | None:
    if app is not None:
        load_extra_modules(app)
    return _JOBS.get(name)


def interval(**kwargs) -> dict:
    return {"trigger": "interval", **kwargs}


def cron(**kwargs) -> dict:
    return {"trigger": "cron", **kwargs}


# === The jobs ===========================================================================================
# One register(...) line per job; the function lives in its feature's jobs.py. Cron times are local
# (Asia/Tokyo by default) and spread over the night so that jobs do not start together.
register("processes.activate_phases", "participation.processes.jobs:activate_phases",
         trigger=cron(minute="*/10"), period="10min",
         description=_l("Switch each process's active phase when the calendar passes a phase boundary."))
register("accounts.retention", "participation.accounts.jobs:retention",
         trigger=cron(hour=3, minute=10), period="day",
         description=_l("Delete expired one-time tokens, accounts that were never confirmed and old data download "
                        "records."))
# Later jobs go here (answers publishing, notification digests, feedback reports, reminders,
# KPI snapshots and push, open data), e.g.:
# register("proposals.publish_answers", "participation.proposals.jobs:publish_answers",
#          trigger=interval(minutes=5), period="10min")
register("processes.publish_feedback", "participation.feedback.jobs:publish_feedback",
         trigger=cron(minute=20), period="hour",
         description=_l("Publish the feedback report of each process whose last phase has ended, and notify "
                        "its participants."))
register("proposals.answer_reminders", "participation.feedback.jobs:answer_reminders",
         trigger=cron(hour=8, minute=30), period="day",
         description=_l("Email staff the proposals waiting too long for an official answer."))
register("proposals.publish_answers", "participation.proposals.jobs:publish_scheduled_answers",
         trigger=interval(minutes=1), period=lambda now: as_utc(now).strftime("%Y-%m-%dT%H:%M"),
         description=_l("Publish official answers whose scheduled time has come."))
register("notifications.daily_digest", "participation.notifications.jobs:send_daily_digest",
         trigger=cron(hour=7, minute=5), period="day",
         description=_l("Email the daily summary of notifications to those who chose it."))
register("notifications.weekly_digest", "participation.notifications.jobs:send_weekly_digest",
         trigger=cron(day_of_week="mon", hour=7, minute=20), period="week",
         description=_l("Email the weekly summary of notifications to those who chose it."))
register("kpi.snapshots", "participation.kpi.jobs:snapshot_kpis", trigger=cron(hour=2, minute=30), period="day",
         description=_l("Store yesterday's KPI figures, this month's and this fiscal year's, and push them."))
register("kpi.open_data", "participation.kpi.jobs:regenerate_open_data", trigger=cron(hour=2, minute=50),
         period="day", description=_l("Regenerate the open-data ZIP file."))
