"""What the feedback jobs store so that each of them happens once.

* FeedbackReport: one row per process once its feedback report is published (by the job when the
  last phase has ended, or by staff). The unique process_id makes publication, and so the
  participants' notification, happen exactly once.
* AnswerReminder: one row per staff member and local day a response-time reminder was emailed.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.common.models import UTCDateTime
from participation.common.time import utcnow
from participation.extensions import db
from participation.processes.models import Process


class FeedbackReport(db.Model):
    __tablename__ = "process_feedback_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None when the scheduled job published it (the process's last phase ended).
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notified_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    process: Mapped[Process] = relationship()
    published_by: Mapped[User | None] = relationship()


class AnswerReminder(db.Model):
    __tablename__ = "answer_reminders"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # the municipality's local date
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposals_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("user_id", "day"),)
