"""Response-time reminders: proposals published more than PROPOSAL_ANSWER_REMINDER_DAYS ago without a
published answer are emailed to every active staff member, grouped by process, once a day."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from participation.common.time import utcnow
from participation.feedback import services
from participation.feedback.models import AnswerReminder
from participation.jobs.runner import run_job
from participation.proposals.models import ProposalAnswer

JOB = "proposals.answer_reminders"
# 10:00 JST on 2026-11-20 (a local day that is not the UTC day boundary).
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _at(db, proposal, published_at):
    """Back-date a proposal's publication (the factory publishes it now)."""
    proposal.published_at = published_at
    db.session.commit()
    return proposal


def _answer(db, proposal, state, *, published: bool):
    db.session.add(ProposalAnswer(proposal_id=proposal.id, state_id=state.id, body="回答",
                                  published_at=NOW - timedelta(days=1) if published else None))
    db.session.commit()


@pytest.fixture
def overdue_setup(db, make_user, make_process, make_proposal, states):
    """Two processes with proposals of every kind, and staff of every kind. Returns a namespace dict."""
    with time_machine.travel(NOW, tick=False):
        first, second = make_process(title="駅前の再整備"), make_process(title="公園の将来")
    old = NOW - timedelta(days=20)
    p = {
        "overdue": _at(db, make_proposal(first, title="駐輪場を増やしてほしい"), old),
        "overdue_drafted": _at(db, make_proposal(first, title="ベンチを置いてほしい"), old),
        "overdue_other": _at(db, make_proposal(second, title="遊具を新しくしてほしい"), old),
        "answered": _at(db, make_proposal(first, title="回答済みの提案"), old),
        "recent": _at(db, make_proposal(first, title="最近の提案"), NOW - timedelta(days=5)),
        "hidden": _at(db, make_proposal(first, title="非表示の提案", hidden_at=old), old),
        "withdrawn": _at(db, make_proposal(first, title="取り下げた提案", status="withdrawn"), old),
    }
    _answer(db, p["answered"], states["accepted"], published=True)
    _answer(db, p["overdue_drafted"], states["accepted"], published=False)
    staff_ja, staff_en = make_user("staff"), make_user("staff", locale="en")
    blocked, deleted, resident = make_user("staff", blocked=True), make_user("staff"), make_user()
    deleted.deleted_at = utcnow()
    db.session.commit()
    return {"proposals": p, "first": first, "second": second, "staff_ja": staff_ja, "staff_en": staff_en,
            "blocked": blocked, "deleted": deleted, "resident": resident}


def _active_staff_emails(db) -> set[str]:
    from participation.accounts.models import User

    return set(db.session.scalars(select(User.email).where(User.role.in_(("staff", "admin")),
                                                           User.blocked_at.is_(None), User.deleted_at.is_(None))))


def test_only_overdue_unanswered_proposals_are_sent_to_active_staff(app, db, outbox, overdue_setup):
    s = overdue_setup
    with time_machine.travel(NOW, tick=False):
        result = run_job(JOB)
    assert result.status == "succeeded"
    assert result.counts == {"overdue": 3, "emails": len(_active_staff_emails(db))}
    mails = outbox()
    recipients = sorted(m["To"] for m in mails)
    assert recipients == sorted(_active_staff_emails(db))  # one each: staff and admins, not blocked/deleted
    for user in ("blocked", "deleted", "resident"):
        assert s[user].email not in recipients
    body = _body(next(m for m in mails if m["To"] == s["staff_en"].email))
    for key in ("overdue", "overdue_drafted", "overdue_other"):
        proposal = s["proposals"][key]
        assert proposal.title in body and f"/staff/proposals/{proposal.id}/answer" in body
    for key in ("answered", "recent", "hidden", "withdrawn"):
        assert s["proposals"][key].title not in body
    # Grouped by process: each process's heading comes before its own proposals.
    assert body.index("駅前の再整備") < body.index("駐輪場を増やしてほしい") < body.index("公園の将来") \
        < body.index("遊具を新しくしてほしい")
    assert "more than 14 days ago" in body
    assert "An answer is drafted or scheduled but not published." in body  # the drafted one is marked
    assert next(m for m in mails if m["To"] == s["staff_en"].email)["Subject"].startswith("3 proposals")


def test_once_per_day_even_when_called_again(app, db, outbox, overdue_setup):
    with time_machine.travel(NOW, tick=False):
        first = run_job(JOB)
        assert run_job(JOB).status == "skipped"  # the job_runs period key: once per day
        # The function itself is safe too (e.g. `flask jobs run` with another period key).
        assert services.send_answer_reminders(utcnow()) == {"overdue": 3, "emails": 0}
        assert run_job(JOB, period_key="manual-rerun").counts == {"overdue": 3, "emails": 0}
    sent = len(outbox())
    assert sent == first.counts["emails"] > 0
    rows = db.session.scalar(select(func.count(AnswerReminder.id)))
    assert rows == sent
    # The next local day: reminded again while the proposals are still waiting.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert run_job(JOB).counts["emails"] == sent
    assert len(outbox()) == 2 * sent


def test_no_email_when_nothing_is_overdue(app, db, outbox, make_user, make_process, make_proposal, states):
    make_user("staff")
    with time_machine.travel(NOW, tick=False):
        process = make_process()
        _at(db, make_proposal(process), NOW - timedelta(days=13))  # not yet overdue
        answered = _at(db, make_proposal(process), NOW - timedelta(days=30))
        _answer(db, answered, states["rejected"], published=True)
        assert run_job(JOB).counts == {"overdue": 0, "emails": 0}
    assert outbox() == []
    assert db.session.scalar(select(func.count(AnswerReminder.id))) == 0


def test_reminder_days_are_configurable(app, db, outbox, overdue_setup):
    app.config["PROPOSAL_ANSWER_REMINDER_DAYS"] = 30
    with time_machine.travel(NOW, tick=False):
        assert run_job(JOB).counts == {"overdue": 0, "emails": 0}
    assert outbox() == []
    app.config["PROPOSAL_ANSWER_REMINDER_DAYS"] = 3
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert run_job(JOB).counts["overdue"] == 4  # now the 5-day-old one too (6 days old tomorrow)


def test_long_lists_are_capped_per_process_with_a_link_to_the_rest(app, db, outbox, make_user, make_process,
                                                                   make_proposal):
    staff = make_user("staff", locale="en")
    with time_machine.travel(NOW, tick=False):
        process = make_process()
    for i in range(23):
        _at(db, make_proposal(process, title=f"古い提案{i:02d}"), NOW - timedelta(days=40, minutes=-i))
    with time_machine.travel(NOW, tick=False):
        assert run_job(JOB).counts["overdue"] == 23
    body = _body(next(m for m in outbox() if m["To"] == staff.email))
    assert "古い提案00" in body and "古い提案19" in body and "古い提案20" not in body  # the oldest 20
    assert "And 3 more" in body and f"/staff/processes/{process.slug}/proposals?unanswered=1" in body
