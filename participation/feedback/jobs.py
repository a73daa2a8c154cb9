"""Scheduled work of the feedback feature. Both jobs are safe to run again for the same period:
publication is recorded per process (FeedbackReport) and reminders per staff member and day
(AnswerReminder), on top of the job_runs period key."""
from __future__ import annotations

from datetime import datetime

from participation.common.errors import DomainError
from participation.common.time import to_local, utcnow
from participation.feedback import queries, services


def publish_feedback(now: datetime | None = None) -> dict:
    """Publish the feedback report of every published process whose last phase has ended."""
    now = now or utcnow()
    published = notified = 0
    for process in queries.due_processes(to_local(now).date()):
        if not process.hosts("proposals"):
            continue
        try:
            report = services.publish_feedback(None, process, now)
        except DomainError:  # published meanwhile by staff or another run
            continue
        published += 1
        notified += report.notified_count
    return {"published": published, "notified": notified}


def answer_reminders(now: datetime | None = None) -> dict:
    """Email staff the proposals waiting longer than PROPOSAL_ANSWER_REMINDER_DAYS for an answer."""
    return services.send_answer_reminders(now or utcnow())
