"""Feedback writes: publish a process's feedback report (and tell its participants, once), and email
staff the proposals waiting too long for an answer (once per staff member and day).

Each function changes the session; the caller (one request or one job run) commits."""
from __future__ import annotations

from datetime import datetime
from itertools import groupby

from flask import current_app, render_template
from flask_babel import force_locale, gettext, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participation.accounts.models import User
from participation.common.errors import DomainError
from participation.common.time import to_local, utcnow
from participation.extensions import db
from participation.feedback import queries
from participation.feedback.models import AnswerReminder, FeedbackReport
from participation.moderation.services import record_audit
from participation.notifications.mail import queue_mail
from participation.notifications.services import KIND_LABELS, absolute_url, notify
from participation.processes.models import Process

FEEDBACK_KIND = "feedback_published"
# The notifications package shows a label per kind; this feature adds its own (a registry, like FIGURES).
KIND_LABELS.setdefault(FEEDBACK_KIND, _l("What happened to the proposals of a process you took part in"))


def feedback_path(process: Process) -> str:
    """The report's public address (a URL contract: it is printed in mails and must keep working)."""
    return f"/processes/{process.slug}/feedback"


def publish_feedback(actor: User | None, process: Process, now: datetime | None = None) -> FeedbackReport:
    """Publish the process's feedback report and notify everyone who took part, exactly once.

    `actor` is the staff member who asked, or None for the scheduled job (the last phase ended).
    A second call (or a concurrent one: the unique process_id decides) raises a DomainError."""
    if not process.hosts("proposals"):
        raise DomainError(_l("This process does not take proposals, so it has no feedback report."), 404)
    if not process.is_published:
        raise DomainError(_l("Publish the process before its feedback report."))
    if queries.is_published(process):
        raise DomainError(_l("The feedback report of this process is already published."), 409)
    now = now or utcnow()
    report = FeedbackReport(process_id=process.id, published_at=now,
                            published_by_id=actor.id if actor is not None else None)
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:  # published at the same moment by the job or another staff member
        raise DomainError(_l("The feedback report of this process is already published."), 409) from None
    record_audit(actor, "process.feedback_publish", process,
                 {"slug": process.slug, "by": "staff" if actor is not None else "job"})
    report.notified_count = notify_participants(process)
    return report


def notify_participants(process: Process) -> int:
    """One in-app notification per participant (and an email by their preference), written in each
    person's language."""
    people = sorted(queries.participants(process), key=lambda user: user.locale or "ja")
    notified = 0
    for locale, group in groupby(people, key=lambda user: user.locale or "ja"):
        with force_locale(locale):
            title = gettext("What happened to the proposals of \u201c%(title)s\u201d", title=process.title)
            body = gettext("The process has ended. See the state of each proposal and the city's answers.")
        notified += len(notify(list(group), FEEDBACK_KIND, target_type="process", target_id=process.id,
                               title=title, body=body, url=feedback_path(process)))
    return notified


# --- response-time reminders -------------------------------------------------------------------------
def reminder_days() -> int:
    return int(current_app.config.get("PROPOSAL_ANSWER_REMINDER_DAYS", 14))


def send_answer_reminders(now: datetime | None = None) -> dict:
    """Email every active staff member the proposals published more than PROPOSAL_ANSWER_REMINDER_DAYS
    ago without a published answer, grouped by process. At most one email per person and local day
    (AnswerReminder is unique per user and day), none when nothing is overdue."""
    now = now or utcnow()
    days = reminder_days()
    day = to_local(now).date()
    groups = queries.overdue_proposals(queries.reminder_cutoff(now, days))
    if not groups:
        return {"overdue": 0, "emails": 0}
    total = sum(group.total for group in groups)
    already = queries.reminded_on(day)
    sent = 0
    for user in queries.active_staff():
        if user.id in already:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(AnswerReminder(user_id=user.id, day=day, sent_at=now, proposals_count=total))
                db.session.flush()
        except IntegrityError:  # another run reminded this person today
            continue
        _mail_reminder(user, groups, total, days)
        sent += 1
    return {"overdue": total, "emails": sent}


def _mail_reminder(user: User, groups, total: int, days: int) -> None:
    with force_locale(user.locale or "ja"):
        text = render_template("mail/answer_reminder.txt", user=user, groups=groups, total=total, days=days,
                               absolute_url=absolute_url)
        subject = gettext("%(count)d proposals are waiting for an answer", count=total)
        queue_mail(user.email, subject[:200], text)
