"""The process feedback report, /processes/<slug>/feedback ("what happened to your proposals"):
published by the job when the last phase ends (or by staff), 404 to residents before, a staff preview,
only published answers, counts by state, answer times, participants notified exactly once."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from participation.comments.models import Comment
from participation.common.time import utcnow
from participation.feedback import queries
from participation.feedback.models import FeedbackReport
from participation.jobs.runner import run_job
from participation.moderation.models import AuditLog
from participation.notifications.models import Notification, NotificationSetting
from participation.proposals.models import Proposal, ProposalAnswer, ProposalEndorsement, ProposalSupport
from participation.proposals.services import ensure_builtin_states

from tests.conftest import signed_in

from .conftest import MOMENTS

JOB = "processes.publish_feedback"
_numbers = itertools.count(1)


@pytest.fixture
def states(db):
    states = ensure_builtin_states()
    db.session.commit()
    return states


@pytest.fixture
def add_proposal(db, make_user):
    """add_proposal(process, author=None, published_at=..., status='published', answer=(state, body, published_at|None))"""

    def factory(process, author=None, *, title=None, published_at=None, status="published", hidden=False,
                answer=None, publish_at=None):
        n = next(_numbers)
        author = author or make_user()
        proposal = Proposal(process_id=process.id, author_id=author.id, title=title or f"フィードバック提案{n:03d}",
                            body=f"提案の本文 {n}", status=status, hidden_at=utcnow() if hidden else None,
                            published_at=None if status == "draft" else (published_at or utcnow()))
        db.session.add(proposal)
        db.session.flush()
        proposal.reference = f"P-2026-{proposal.id:06d}"
        if answer is not None:
            state, body, answered_at = answer
            db.session.add(ProposalAnswer(proposal_id=proposal.id, state_id=state.id, body=body,
                                          published_at=answered_at, publish_at=publish_at or answered_at))
        db.session.commit()
        return proposal

    return factory


def _feedback_url(process) -> str:
    return f"/processes/{process.slug}/feedback"


def _run_after_the_end(travel, moment=None):
    travel(moment or MOMENTS["after"])
    return run_job(JOB)


# --- before / after ----------------------------------------------------------------------------
def test_report_lists_every_proposal_with_state_and_published_answer_after_the_process_ends(
        client, db, travel, calendar_process, add_proposal, states, make_user, login):
    travel(MOMENTS["phase3"])
    process = calendar_process()
    now = utcnow()
    accepted = add_proposal(process, title="駅前に駐輪場を増やしてほしい", published_at=now - timedelta(days=60),
                            answer=(states["accepted"], "来年度に**200台分**を整備します。", now - timedelta(days=50)))
    rejected = add_proposal(process, title="公園に噴水をつくる", published_at=now - timedelta(days=60),
                            answer=(states["rejected"], "予算の都合で見送ります。", now - timedelta(days=20)))
    waiting = add_proposal(process, title="図書館の開館時間を延ばす", published_at=now - timedelta(days=30))
    drafted = add_proposal(process, title="バスの本数を増やす", published_at=now - timedelta(days=30),
                           answer=(states["accepted"], "下書きの回答：まだ秘密", None))
    add_proposal(process, title="取り下げた提案", status="withdrawn")
    add_proposal(process, title="非表示の提案", hidden=True)
    add_proposal(process, title="下書きの提案", status="draft")
    resident = make_user()

    # Before the last phase ends: no report for anyone but staff.
    assert client.get(_feedback_url(process)).status_code == 404
    assert run_job(JOB).counts == {"published": 0, "notified": 0}
    assert client.get(_feedback_url(process)).status_code == 404

    result = _run_after_the_end(travel)
    assert result.status == "succeeded" and result.counts["published"] == 1
    login(resident)
    response = client.get(_feedback_url(process))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for proposal in (accepted, rejected, waiting, drafted):
        assert proposal.title in html and proposal.reference in html
    for title in ("取り下げた提案", "非表示の提案", "下書きの提案"):
        assert title not in html
    assert "<strong>200台分</strong>" in html and "予算の都合で見送ります。" in html  # Markdown via text.py
    assert "下書きの回答" not in html  # an unpublished answer is never shown
    assert "採用" in html and "不採用" in html  # state labels in Japanese (the default language)
    # The process page now links the report.
    assert _feedback_url(process) in client.get(f"/processes/{process.slug}").get_data(as_text=True)


def test_before_publication_residents_get_404_and_staff_a_preview(client, csrf, db, travel, calendar_process,
                                                                    add_proposal, states, make_user, login):
    travel(MOMENTS["phase3"])
    process = calendar_process()
    add_proposal(process, title="プレビューで見える提案",
                 answer=(states["accepted"], "公開済みの回答です。", utcnow()))
    url = _feedback_url(process)
    assert client.get(url).status_code == 404  # guest: 404, not a sign-in redirect
    login(make_user())
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/processes/{process.slug}").get_data(as_text=True)
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    login(make_user("staff"))
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "プレビューで見える提案" in html and "公開済みの回答です。" in html
    assert "preview-banner" in html
    assert db.session.scalar(select(func.count(FeedbackReport.id))) == 0  # a preview publishes nothing


def test_unknown_or_unpublished_process_and_processes_without_proposals_are_404(client, db, travel, make_process,
                                                                                  make_user, login):
    travel(MOMENTS["after"])
    hidden = make_process(published=False, phases=[{"start": MOMENTS["phase1"].date(),
                                                    "end": MOMENTS["phase2"].date()}])
    no_proposals = make_process(components=("surveys",), phases=[{"start": MOMENTS["phase1"].date(),
                                                                  "end": MOMENTS["phase2"].date()}])
    assert run_job(JOB).counts == {"published": 0, "notified": 0}  # neither is eligible
    assert client.get("/processes/no-such-process/feedback").status_code == 404
    assert client.get(_feedback_url(hidden)).status_code == 404
    login(make_user("staff"))
    assert client.get(_feedback_url(no_proposals)).status_code == 404


# --- only published answers, counts, answer times ----------------------------------------------------
def test_counts_by_state_answer_times_and_filter_use_published_answers_only(client, db, travel, calendar_process,
                                                                            add_proposal, states):
    travel(MOMENTS["after"])
    process = calendar_process()
    t0 = datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc)
    # Worked by hand: published answers after 3, 10 and 40 days -> median 10.0; buckets 0-7: 1, 8-30: 1, 31-90: 1.
    add_proposal(process, published_at=t0, answer=(states["accepted"], "三日で回答", t0 + timedelta(days=3)))
    add_proposal(process, published_at=t0, answer=(states["accepted"], "十日で回答", t0 + timedelta(days=10)))
    add_proposal(process, published_at=t0, answer=(states["rejected"], "四十日で回答", t0 + timedelta(days=40)))
    secret = add_proposal(process, title="回答予約中の提案", published_at=t0,
                          answer=(states["rejected"], "予約された回答", None), publish_at=utcnow() + timedelta(days=1))
    add_proposal(process, published_at=t0)  # no answer at all
    other = calendar_process()
    add_proposal(other, published_at=t0, answer=(states["accepted"], "別のプロセス", t0 + timedelta(days=1)))

    counts, total = queries.state_counts(process, list(states.values()))
    assert total == 5
    assert {(c.state.code if c.state else None): c.count for c in counts} == {"accepted": 2, "rejected": 1, None: 2}
    times = queries.answer_times(process)
    assert times.answered == 3 and times.median_days == 10.0
    assert dict(times.buckets) == {"0-7": 1, "8-30": 1, "31-90": 1, "91-180": 0, "181+": 0}

    assert run_job(JOB).counts["published"] == 2
    html = client.get(_feedback_url(process) + "?state=rejected").get_data(as_text=True)
    assert "四十日で回答" in html and "回答予約中の提案" not in html and "予約された回答" not in html
    html = client.get(_feedback_url(process) + "?state=unanswered").get_data(as_text=True)
    assert secret.title in html and "予約された回答" not in html and "三日で回答" not in html
    assert "別のプロセス" not in client.get(_feedback_url(process)).get_data(as_text=True)
    # A state that does not exist is ignored (all proposals), never a 500.
    response = client.get(_feedback_url(process) + "?state=%3Cscript%3E&page=abc")
    assert response.status_code == 200 and "三日で回答" in response.get_data(as_text=True)


def test_list_is_paginated_by_20(client, travel, calendar_process, add_proposal):
    travel(MOMENTS["after"])
    process = calendar_process()
    t0 = utcnow() - timedelta(days=100)
    titles = [add_proposal(process, title=f"順番の提案{i:02d}", published_at=t0 + timedelta(minutes=i)).title
              for i in range(25)]
    run_job(JOB)
    first = client.get(_feedback_url(process)).get_data(as_text=True)
    second = client.get(_feedback_url(process) + "?page=2").get_data(as_text=True)
    assert all(t in first for t in titles[:20]) and not any(t in first for t in titles[20:])
    assert all(t in second for t in titles[20:]) and not any(t in second for t in titles[:20])
    assert 'rel="next"' in first and "page=2" in first


def _statements_for(client, db, url) -> int:
    count = 0

    def tally(*_args, **_kwargs):
        nonlocal count
        count += 1

    db.session.expunge_all()  # the test's app context keeps one session: start each request cold
    event.listen(db.engine, "before_cursor_execute", tally)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", tally)
    assert response.status_code == 200
    return count


def test_statement_count_is_the_same_for_5_and_100_proposals(client, db, travel, calendar_process, add_proposal,
                                                              states, make_user, login):
    travel(MOMENTS["after"])
    small, large = calendar_process(), calendar_process()
    t0 = utcnow() - timedelta(days=60)
    for process, n in ((small, 5), (large, 100)):
        for i in range(n):
            state = (states["accepted"], states["rejected"], states["evaluating"])[i % 3]
            add_proposal(process, published_at=t0, answer=(state, f"回答{i}", t0 + timedelta(days=i % 40))
                         if i % 4 else None)
    run_job(JOB)
    login(make_user())
    small_url, large_url = _feedback_url(small), _feedback_url(large)
    _statements_for(client, db, small_url)  # warm-up
    assert _statements_for(client, db, small_url) == _statements_for(client, db, large_url)


# --- notifications ----------------------------------------------------------------------------------
def test_participants_are_notified_exactly_once_even_when_the_job_runs_twice(client, csrf, db, travel, outbox,
                                                                             calendar_process, add_proposal,
                                                                             make_user, login):
    travel(MOMENTS["phase2"])
    process = calendar_process()
    author, supporter, endorser, commenter = (make_user(display_name=n) for n in ("著者", "賛同者", "推薦者", "発言者"))
    english = make_user(display_name="Reader", locale="en")
    digest_only = make_user(display_name="まとめ派")
    db.session.add(NotificationSetting(user_id=digest_only.id, email_frequency="daily"))
    blocked, deleted = make_user(blocked=True), make_user()
    deleted.deleted_at = utcnow()
    bystander, draft_author = make_user(), make_user()
    proposal = add_proposal(process, author)
    own = add_proposal(process, supporter)  # author and supporter: one notification
    add_proposal(process, draft_author, status="draft")
    elsewhere = calendar_process()
    add_proposal(elsewhere, bystander)
    for user in (supporter, english, blocked, deleted, author):
        db.session.add(ProposalSupport(proposal_id=proposal.id if user is not author else own.id, user_id=user.id))
    db.session.add(ProposalEndorsement(proposal_id=proposal.id, user_id=endorser.id))
    db.session.add(Comment(target_type="proposal", target_id=proposal.id, process_id=process.id,
                           author_id=commenter.id, body="良い提案です"))
    db.session.add(Comment(target_type="proposal", target_id=proposal.id, process_id=process.id,
                           author_id=digest_only.id, body="賛成です"))
    db.session.commit()
    expected = {author.id, supporter.id, endorser.id, commenter.id, english.id, digest_only.id}

    assert {u.id for u in queries.participants(process)} == expected
    first = _run_after_the_end(travel)
    assert first.counts == {"published": 2, "notified": len(expected) + 1}  # + the bystander, for `elsewhere`
    assert run_job(JOB).status == "skipped"  # same period: job_runs says done
    travel(MOMENTS["after"] + timedelta(hours=2))
    assert run_job(JOB).counts == {"published": 0, "notified": 0}  # next period: the report row says done

    rows = list(db.session.scalars(select(Notification).where(Notification.kind == "feedback_published",
                                                              Notification.target_id == process.id)))
    assert sorted(n.user_id for n in rows) == sorted(expected)  # each exactly once
    assert {n.url for n in rows} == {_feedback_url(process)}
    by_user = {n.user_id: n for n in rows}
    assert process.title in by_user[author.id].title
    assert by_user[english.id].title.startswith("What happened to the proposals of")  # in each person's language
    mails = [m for m in outbox() if _feedback_url(process) in m.get_body(preferencelist=("plain",)).get_content()]
    recipients = sorted(m["To"] for m in mails)
    # Email by preference: 'immediate' (the default) now; the daily-digest reader later, by the digest.
    assert recipients == sorted(u.email for u in (author, supporter, endorser, commenter, english))

    # The notification opens the report.
    login(author)
    page = client.get("/notifications").get_data(as_text=True)
    assert process.title in page
    response = client.post(f"/notifications/{by_user[author.id].id}/open", data={"csrf_token": csrf("/notifications")})
    assert response.status_code == 302 and response.headers["Location"].endswith(_feedback_url(process))


# --- the staff button ---------------------------------------------------------------------------------
def _admin_page(process) -> str:
    return f"/admin/processes/{process.id}/phases"


def _publish_url(process) -> str:
    return f"/admin/processes/{process.id}/feedback/publish"


def test_staff_publish_button_is_audited_and_notifies_once(app, client, csrf, db, travel, calendar_process,
                                                           add_proposal, make_user, login):
    travel(MOMENTS["phase2"])  # before the end: staff may publish early
    process = calendar_process()
    author = make_user()
    add_proposal(process, author, title="早めに公開する提案")
    staff = make_user("staff", locale="en")  # English: the flash messages below are read as English text
    login(staff)
    html = client.get(_admin_page(process)).get_data(as_text=True)
    assert _publish_url(process) in html and _feedback_url(process) in html  # button and preview link
    response = client.post(_publish_url(process), data={"csrf_token": csrf(_admin_page(process))})
    assert response.status_code == 302 and response.headers["Location"].endswith(_admin_page(process))
    report = db.session.scalar(select(FeedbackReport))
    assert report.process_id == process.id and report.published_by_id == staff.id and report.notified_count == 1
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "process.feedback_publish"))
    assert audit.actor_id == staff.id and audit.target_id == str(process.id)
    html = client.get(_admin_page(process)).get_data(as_text=True)
    assert _publish_url(process) not in html and staff.display_name in html

    # Again (a double click, a second tab), then the job after the end: nothing more happens.
    client.post(_publish_url(process), data={"csrf_token": csrf(_admin_page(process))})
    assert "already published" in client.get(_admin_page(process)).get_data(as_text=True)
    travel(MOMENTS["after"])
    assert run_job(JOB).counts == {"published": 0, "notified": 0}
    assert db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.kind == "feedback_published")) == 1
    assert db.session.scalar(select(func.count(AuditLog.id))
                             .where(AuditLog.action == "process.feedback_publish")) == 1
    # The author, in their own browser (the staff member's session here ran out during the months travelled).
    assert "早めに公開する提案" in signed_in(app, author).get(_feedback_url(process)).get_data(as_text=True)


def test_publish_button_needs_staff_and_a_csrf_token(client, csrf, db, travel, calendar_process, add_proposal,
                                                     make_user, login):
    travel(MOMENTS["phase2"])
    process = calendar_process()
    add_proposal(process)
    # A guest with a valid token of their session (from a page with a form: a guest's header has none)
    response = client.post(_publish_url(process), data={"csrf_token": csrf("/account/sign-in")})
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]  # guest
    resident = make_user()
    login(resident)
    response = client.post(_publish_url(process), data={"csrf_token": csrf("/")})
    assert response.status_code == 403
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    login(make_user("staff"))
    client.post(_publish_url(process), data={})  # no token
    assert client.post("/admin/processes/999999/feedback/publish",
                       data={"csrf_token": csrf(_admin_page(process))}).status_code == 404
    assert db.session.scalar(select(func.count(FeedbackReport.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_staff_cannot_publish_the_report_of_an_unpublished_process(client, csrf, db, travel, calendar_process,
                                                                     make_user, login):
    travel(MOMENTS["phase2"])
    process = calendar_process(published=False)
    login(make_user("staff", locale="en"))
    client.post(_publish_url(process), data={"csrf_token": csrf(_admin_page(process))})
    assert db.session.scalar(select(func.count(FeedbackReport.id))) == 0
    assert "Publish the process before its feedback report." in client.get(_admin_page(process)).get_data(as_text=True)


def test_report_is_in_english_when_chosen(client, travel, calendar_process, add_proposal, states, make_user, login):
    travel(MOMENTS["after"])
    process = calendar_process()
    add_proposal(process, published_at=utcnow() - timedelta(days=9),
                 answer=(states["accepted"], "OK", utcnow() - timedelta(days=1)))
    run_job(JOB)
    login(make_user(locale="en"))
    html = client.get(_feedback_url(process)).get_data(as_text=True)
    assert "What happened to the proposals" in html and "Accepted" in html
    assert re.search(r"Median: 8(\.0)? days", html)
    assert "8 days after publication" in html


@pytest.mark.parametrize("role, before, after", [
    ("guest", False, True), ("resident", False, True), ("blocked", False, True),
    ("staff", True, True), ("admin", True, True),
])
def test_feedback_view_permission_matrix(db, travel, calendar_process, make_user, role, before, after):
    from participation.feedback import services
    from participation.permissions import can

    travel(MOMENTS["phase3"])
    process = calendar_process()
    user = None if role == "guest" else make_user("resident" if role == "blocked" else role,
                                                  blocked=role == "blocked")
    assert can(user, "feedback.view", process) is before
    assert can(user, "feedback.publish", process) is (role in ("staff", "admin"))
    services.publish_feedback(make_user("staff"), process)
    db.session.commit()
    assert can(user, "feedback.view", process) is after
    process.published_at = None  # an unpublished process hides its report again (staff still see it)
    assert can(user, "feedback.view", process) is (role in ("staff", "admin"))
