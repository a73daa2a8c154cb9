"""Run one job for one period, exactly once, and record it in ``job_runs``.

1. Claim: INSERT (name, period_key, status='running') in its own committed transaction. When the unique
   constraint says the row exists, re-claim it with a conditional UPDATE only if it failed (or has been
   "running" for longer than JOB_STALE_RUNNING_MINUTES, i.e. its process died). Otherwise the period is
   done or in progress elsewhere: report "skipped" and change nothing.
2. Run the function with the app's session. Its work and the row's ``succeeded`` status commit together
   in one transaction, so a period is never recorded as done without its work, nor the reverse.
3. On any exception the job's work is rolled back and the row records ``failed`` with the traceback
   (truncated); the next run for that period (next tick, or ``flask jobs run``) re-claims it.
"""
from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from participation.common.time import utcnow
from participation.extensions import db
from participation.jobs import registry
from participation.jobs.models import JobRun

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 8000


class UnknownJob(LookupError):
    pass


@dataclass
class RunResult:
    name: str
    period_key: str
    status: str  # 'succeeded' | 'failed' | 'skipped'
    run_id: int | None = None
    counts: dict | None = None
    error: str | None = None


def _claim(name: str, period_key: str, started: datetime) -> int | None:
    """The id of the row we now own for (name, period_key), or None when someone else has it."""
    table = JobRun.__table__
    stale = started - timedelta(minutes=float(registry.setting(current_app, "JOB_STALE_RUNNING_MINUTES")))
    try:
        with db.engine.begin() as conn:
            result = conn.execute(insert(table).values(name=name, period_key=period_key, started_at=started,
                                                       status="running", attempts=1))
            return result.inserted_primary_key[0]
    except IntegrityError:
        pass
    with db.engine.begin() as conn:
        reclaimed = conn.execute(
            update(table)
            .where(table.c.name == name, table.c.period_key == period_key,
                   or_(table.c.status == "failed",
                       and_(table.c.status == "running", table.c.started_at < stale)))
            .values(status="running", started_at=started, finished_at=None, error=None, counts=None,
                    attempts=table.c.attempts + 1)
        ).rowcount
        if reclaimed != 1:
            return None
        return conn.execute(select(table.c.id).where(table.c.name == name,
                                                     table.c.period_key == period_key)).scalar_one()


def _jsonable(counts) -> dict | None:
    if counts is None:
        return None
    if not isinstance(counts, dict):
        counts = {"result": counts}
    return json.loads(json.dumps(counts, default=str))


def run_job(name: str, period_key: str | None = None, now: datetime | None = None) -> RunResult:
    """Run job `name` for `period_key` (default: the period containing `now`). Needs an app context."""
    spec = registry.get(name, current_app)
    if spec is None:
        raise UnknownJob(name)
    now = now or utcnow()
    key = (period_key or spec.period_key(now))[:40]
    # Start from a clean session: nothing uncommitted of the caller's leaks into (or blocks) the job.
    db.session.rollback()
    run_id = _claim(name, key, utcnow())
    if run_id is None:
        log.info("job %s [%s]: skipped (already done or running)", name, key)
        return RunResult(name, key, "skipped")
    try:
        counts = _jsonable(spec.call(now=now, period_key=key))
        db.session.execute(
            update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
            .values(status="succeeded", finished_at=utcnow(), counts=counts, error=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        error = traceback.format_exc()
        if len(error) > ERROR_MAX_CHARS:
            error = "...\n" + error[-ERROR_MAX_CHARS:]
        with db.engine.begin() as conn:
            conn.execute(update(JobRun.__table__).where(JobRun.__table__.c.id == run_id)
                         .values(status="failed", finished_at=utcnow(), error=error))
        log.error("job %s [%s]: failed\n%s", name, key, error)
        return RunResult(name, key, "failed", run_id=run_id, error=error)
    log.info("job %s [%s]: succeeded %s", name, key, counts or "")
    return RunResult(name, key, "succeeded", run_id=run_id, counts=counts)


def last_runs() -> dict[str, JobRun]:
    """The most recent run of each job name (one query)."""
    ids = select(db.func.max(JobRun.id)).group_by(JobRun.name).scalar_subquery()
    return {run.name: run for run in db.session.scalars(select(JobRun).where(JobRun.id.in_(ids)))}
