"""Issue 4, acceptance 5 end to end: staff schedule an official answer on the staff page; residents do not
see it; at its time the scheduled job (through the job runner) publishes it; residents see it; the author
(who follows their proposal since publishing it) and a follower are notified in the app and, with the
default 'immediate' setting, by email in their own language; running the job again sends nothing more.
A later state change notifies them again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from participation.jobs.runner import run_job
from participation.notifications.models import Follow, Notification
from participation.processes.models import PHASE_FEATURES
from participation.proposals.models import ProposalAnswer
from tests.conftest import csrf_from, signed_in, mail_body

ANSWER = "来年度の予算で**実施します**。"
START = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)        # 10:00 in Japan
DUE = datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc)          # 2026-11-26 09:00 in Japan
AFTER = datetime(2026, 11, 26, 0, 1, 10, tzinfo=timezone.utc)



def notes(db, kind):
    return {(n.user_id, n.body) for n in db.session.scalars(select(Notification).where(Notification.kind == kind))}


def test_scheduled_answer_is_published_by_the_job_and_followers_are_told_once(app, db, make_user, make_process,
                                                                              make_proposal, states, outbox):
    # The phase runs from before START to after today (the factory's default starts ten days before today,
    # which left START outside every phase once today was more than ten days past it).
    process = make_process(phases=[{"features": list(PHASE_FEATURES), "start": START.date() - timedelta(days=10)}])
    author, follower, reader = make_user(locale="ja"), make_user(locale="en"), make_user()
    staff_user = make_user("staff")
    proposal = make_proposal(process, author, status="draft", title="図書館の開館時間を延ばしてほしい")
    with time_machine.travel(START, tick=False):
        author_client, follower_client = signed_in(app, author), signed_in(app, follower)
        reader_client, staff = signed_in(app, reader), signed_in(app, staff_user)
        # the author publishes (and so follows the proposal); another resident follows it by the button
        token = csrf_from(author_client.get(f"/proposals/{proposal.id}/preview"))
        assert author_client.post(f"/proposals/{proposal.id}/publish", data={"csrf_token": token}).status_code == 302
        page = follower_client.get(f"/proposals/{proposal.id}")
        assert follower_client.post(f"/follow/proposal/{proposal.id}", data={
            "action": "follow", "csrf_token": csrf_from(page)}).status_code == 302
        assert set(db.session.scalars(select(Follow.user_id).where(Follow.target_type == "proposal",
                                                                   Follow.target_id == proposal.id))) \
            == {author.id, follower.id}
        assert 'aria-pressed="true"' in follower_client.get(f"/proposals/{proposal.id}").get_data(as_text=True)

        url = f"/staff/proposals/{proposal.id}/answer"
        response = staff.post(url, data={"state_id": states["accepted"].id, "body": ANSWER, "cost": "500000",
                                         "execution_period": "2027年度", "publish": "schedule",
                                         "publish_at": "2026-11-26T09:00", "csrf_token": csrf_from(staff.get(url))})
        assert response.status_code == 302
        assert "実施します" in staff.get(f"/proposals/{proposal.id}").get_data(as_text=True)  # staff preview
        for client in (reader_client, author_client):
            assert "実施します" not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert run_job("proposals.publish_answers").counts == {"published": 0}
    assert outbox() == [] and notes(db, "answer_published") == set()

    with time_machine.travel(AFTER, tick=False):
        result = run_job("proposals.publish_answers")
        assert (result.status, result.counts) == ("succeeded", {"published": 1})
        db.session.expire_all()
        assert db.session.scalar(select(ProposalAnswer.published_at)) == AFTER
        page = reader_client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "<strong>実施します</strong>" in page and "500,000" in page

        # the author and the follower, each in their language; the reader (not following) is not told
        published = notes(db, "answer_published")
        assert {user_id for user_id, _body in published} == {author.id, follower.id}
        bodies = dict(published)
        assert "採用" in bodies[author.id] and "実施します" in bodies[author.id]
        assert bodies[follower.id].startswith("The city's answer: Accepted")
        mails = {m["To"]: m for m in outbox()}
        assert set(mails) == {author.email, follower.email}
        assert "図書館の開館時間" in mail_body(mails[author.email]) and "採用" in mail_body(mails[author.email])
        assert mails[follower.email]["Subject"].startswith("An official answer was published")
        assert f"/proposals/{proposal.id}" in mail_body(mails[follower.email])
        notification_page = follower_client.get("/notifications").get_data(as_text=True)
        assert "An official answer was published" in notification_page and "図書館の開館時間" in notification_page

        # again, for the same minute (the runner skips) and for a later minute (nothing is due): no more
        assert run_job("proposals.publish_answers").status == "skipped"
    with time_machine.travel(AFTER.replace(minute=9), tick=False):
        assert run_job("proposals.publish_answers").counts == {"published": 0}
    assert len(outbox()) == 2
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "answer_published")) == 2

    # staff change the published answer's state: both are told what changed
    with time_machine.travel(AFTER.replace(hour=3), tick=False):
        url = f"/staff/proposals/{proposal.id}/answer"
        staff = signed_in(app, staff_user)
        response = staff.post(url, data={"state_id": states["rejected"].id, "body": "予算の都合で見送ります。", "cost": "", "execution_period": "",
                                         "publish": "now", "csrf_token": csrf_from(staff.get(url))})
        assert response.status_code == 302, response.get_data(as_text=True)
    changed = dict(notes(db, "state_changed"))
    assert set(changed) == {author.id, follower.id}
    assert changed[follower.id] == "The state changed from Accepted to Not accepted."
    assert "採用" in changed[author.id] and "不採用" in changed[author.id]
    assert len(outbox()) == 4
