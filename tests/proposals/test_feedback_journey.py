"""Issue 5, acceptance 5 in one chain: an answer scheduled for a future time is published by the job at that
time, the author is told in the app and by email, and once the process has ended the feedback job publishes
/processes/<slug>/feedback, which lists the proposal with that answer."""
from __future__ import annotations

from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import select

from participation.jobs.runner import run_job
from participation.notifications.models import Notification
from tests.conftest import csrf_from, mail_body, signed_in

START = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)        # 25 Nov 10:00 in Japan
BEFORE_DUE = datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc)  # 26 Nov 08:59 in Japan
AFTER_DUE = datetime(2026, 11, 26, 0, 1, tzinfo=timezone.utc)     # 26 Nov 09:01 in Japan
PROCESS_ENDED = datetime(2026, 12, 1, 0, 30, tzinfo=timezone.utc)  # 1 Dec 09:30: the last phase ended on 30 Nov



def test_scheduled_answer_reaches_the_author_and_the_feedback_page(app, db, make_user, make_process, make_proposal,
                                                                   states, outbox):
    with time_machine.travel(START, tick=False):
        process = make_process(phases=[{"features": ["proposals.create", "proposals.support",
                                                     "proposals.answers_visible"],
                                        "start": date(2026, 11, 1), "end": date(2026, 11, 30)}])
        author = make_user(locale="ja")
        proposal = make_proposal(process, author, title="商店街に休憩用のベンチを置いてほしい")
        staff = signed_in(app, make_user("staff"))
        url = f"/staff/proposals/{proposal.id}/answer"
        response = staff.post(url, data={"state_id": states["accepted"].id, "body": "来年度に**ベンチ10基**を設置します。",
                                         "cost": "300000", "execution_period": "2027年度", "publish": "schedule",
                                         "publish_at": "2026-11-26T09:00", "csrf_token": csrf_from(staff.get(url))})
        assert response.status_code == 302
        feedback_url = f"/processes/{process.slug}/feedback"

    with time_machine.travel(BEFORE_DUE, tick=False):
        assert run_job("proposals.publish_answers").counts == {"published": 0}
        assert "ベンチ10基" not in app.test_client().get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert outbox() == []

    with time_machine.travel(AFTER_DUE, tick=False):
        assert run_job("proposals.publish_answers").counts == {"published": 1}
        note = db.session.scalars(select(Notification).where(Notification.user_id == author.id,
                                                             Notification.kind == "answer_published")).one()
        assert "ベンチ10基" in note.body
        (mail,) = outbox()
        assert mail["To"] == author.email and "商店街に休憩用のベンチ" in mail_body(mail)
        # the process is still running: no feedback report yet
        assert run_job("processes.publish_feedback").counts["published"] == 0
        assert app.test_client().get(feedback_url).status_code == 404

    with time_machine.travel(PROCESS_ENDED, tick=False):
        assert run_job("processes.publish_feedback").counts["published"] == 1
        page = app.test_client().get(feedback_url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "商店街に休憩用のベンチを置いてほしい" in html and proposal.reference in html
        assert "<strong>ベンチ10基</strong>" in html and "採用" in html
