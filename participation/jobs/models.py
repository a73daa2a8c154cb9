"""Job runs and the SQLite scheduler lock.

``job_runs`` has one row per (job name, period key): the unique constraint is what makes a period run
once, whatever the number of processes. A failed row is re-claimed by a conditional UPDATE
(``status = 'failed'``) so that two processes can never both retry it.

``scheduler_locks`` holds the leader lease on databases without advisory locks (SQLite)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from participation.common.models import UTCDateTime
from participation.common.time import utcnow
from participation.extensions import db

JOB_STATUSES = ("running", "succeeded", "failed")


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("name", "period_key"),
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
        Index("ix_job_runs_status_started_at", "status", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    period_key: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="running")
    attempts: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    counts: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None or self.started_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def error_summary(self) -> str:
        """The last line of the traceback: the exception and its message."""
        lines = [line for line in (self.error or "").strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


class SchedulerLock(db.Model):
    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
