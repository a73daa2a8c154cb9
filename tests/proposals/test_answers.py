"""Official answers: states, publish now or at a time, staff-only drafts, bulk, templates, audit, exports."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from participation.common.errors import DomainError
from participation.moderation.models import AuditLog
from participation.proposals import jobs, services
from participation.proposals.models import AnswerState, AnswerTemplate, ProposalAnswer

JST = timezone(timedelta(hours=9))


@pytest.fixture
def published_hooks():
    seen = []
    services.ANSWER_PUBLISHED_HOOKS.append(seen.append)
    yield seen
    services.ANSWER_PUBLISHED_HOOKS.remove(seen.append)


def test_scheduled_answer_invisible_until_the_job_runs(client, csrf, login, make_user, make_process, make_proposal,
                                                       states, published_hooks, db):
    """Acceptance 5 (service part): entered in Japan time, stored UTC, published by the job at that time."""
    process = make_process()
    author = make_user()
    proposal = make_proposal(process, author)
    staff = make_user("staff")
    start = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        login(staff)
        url = f"/staff/proposals/{proposal.id}/answer"
        response = client.post(url, data={"state_id": states["accepted"].id, "body": "**来年度**に実施します。",
                                          "cost": "1200000", "execution_period": "2027年度",
                                          "publish": "schedule", "publish_at": "2026-11-26T09:00",
                                          "csrf_token": csrf(url)})
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        answer = db.session.scalar(select(ProposalAnswer))
        assert answer.publish_at == datetime(2026, 11, 26, 0, 0, tzinfo=timezone.utc)  # 09:00 JST
        assert answer.published_at is None and published_hooks == []
        # staff see it, marked unpublished
        page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "来年度" in page
        client.post("/account/sign-out", data={"csrf_token": csrf("/")})
        login(author)
        assert "来年度" not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert services.publish_due_answers(start) == []
    just_before = datetime(2026, 11, 25, 23, 59, tzinfo=timezone.utc)
    with time_machine.travel(just_before, tick=False):
        assert jobs.publish_scheduled_answers() == {"published": 0}
        assert "来年度" not in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    at = datetime(2026, 11, 26, 0, 0, 30, tzinfo=timezone.utc)
    with time_machine.travel(at, tick=False):
        assert jobs.publish_scheduled_answers() == {"published": 1}
        assert jobs.publish_scheduled_answers() == {"published": 0}  # idempotent
        db.session.expire_all()
        page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "<strong>来年度</strong>" in page and "1,200,000" in page and "2027年度" in page
    assert [a.id for a in published_hooks] == [answer.id]


def test_publish_now_calls_the_hook_once_and_is_audited(make_user, make_process, make_proposal, states,
                                                        published_hooks, db):
    proposal = make_proposal(make_process())
    staff = make_user("staff")
    answer = services.save_answer(staff, proposal, {"state_id": states["evaluating"].id, "body": "検討しています",
                                                    "publish": "now"})
    db.session.commit()
    assert answer.published_at is not None and published_hooks == [answer]
    changes = []
    hook = lambda a, before: changes.append((a.id, before, a.state.code))  # noqa: E731
    services.ANSWER_STATE_CHANGED_HOOKS.append(hook)
    try:
        services.save_answer(staff, proposal, {"state_id": states["rejected"].id, "body": "見送ります",
                                               "publish": "now"})
    finally:
        services.ANSWER_STATE_CHANGED_HOOKS.remove(hook)  # not clear(): the app's own hooks stay
    db.session.commit()
    assert len(published_hooks) == 1
    assert changes == [(answer.id, "evaluating", "rejected")]
    assert answer.state.code == "rejected"
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == staff.id)))
    assert actions.count("proposal.answer") == 2


def test_answer_rules(make_user, make_process, make_proposal, states, db):
    proposal = make_proposal(make_process())
    staff, resident = make_user("staff"), make_user()
    with pytest.raises(DomainError):
        services.save_answer(resident, proposal, {"state_id": states["accepted"].id, "publish": "now"})
    with pytest.raises(DomainError):  # cost only for accepted
        services.save_answer(staff, proposal, {"state_id": states["rejected"].id, "cost": 100, "publish": "now"})
    with pytest.raises(DomainError):  # schedule in the past
        services.save_answer(staff, proposal, {"state_id": states["accepted"].id, "publish": "schedule",
                                               "publish_at": datetime(2020, 1, 1, tzinfo=timezone.utc)})
    with pytest.raises(DomainError):  # unknown state
        services.save_answer(staff, proposal, {"state_id": 99999, "publish": "now"})
    db.session.rollback()
    assert db.session.scalar(select(func.count(ProposalAnswer.id))) == 0


def test_staff_pages_forbidden_to_residents(client, login, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    for path in (f"/staff/processes/{process.slug}/proposals", f"/staff/proposals/{proposal.id}/answer",
                 f"/staff/processes/{process.slug}/proposals.csv", f"/staff/processes/{process.slug}/proposals.json",
                 "/staff/answer-templates", "/admin/proposal-states", "/admin/proposal-categories"):
        assert client.get(path).status_code == 302  # guest -> sign in
    login(make_user())
    for path in (f"/staff/processes/{process.slug}/proposals", f"/staff/processes/{process.slug}/proposals.csv",
                 "/admin/proposal-states"):
        assert client.get(path).status_code == 403


def test_bulk_answer_with_template(client, csrf, login, make_user, make_process, make_proposal, states, db):
    process, other = make_process(), make_process()
    chosen = [make_proposal(process) for _ in range(3)]
    untouched = make_proposal(process)
    foreign = make_proposal(other)
    staff = make_user("staff")
    template = services.save_answer_template(staff, title="検討中の定型文", body="ただいま担当課で検討しています。",
                                             state_id=states["evaluating"].id)
    db.session.commit()
    login(staff)
    url = f"/staff/processes/{process.slug}/proposals"
    page = client.get(url).get_data(as_text=True)
    assert all(p.reference in page for p in chosen)
    data = {"state_id": states["evaluating"].id, "template_id": template.id, "body": "", "publish": "now",
            "proposal_ids": [str(p.id) for p in chosen], "csrf_token": csrf(url)}
    assert client.post(url + "/bulk-answer", data=data).status_code == 302
    answers = {a.proposal_id: a for a in db.session.scalars(select(ProposalAnswer))}
    assert set(answers) == {p.id for p in chosen}
    assert all(a.body == "ただいま担当課で検討しています。" and a.published_at for a in answers.values())
    assert untouched.id not in answers
    # a tampered id from another process: nothing stored
    data["proposal_ids"] = [str(untouched.id), str(foreign.id)]
    data["csrf_token"] = csrf(url)
    client.post(url + "/bulk-answer", data=data)
    assert db.session.scalar(select(func.count(ProposalAnswer.id))) == 3
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "proposal.bulk_answer")) == 1


def test_admin_custom_state_and_templates(client, csrf, login, make_user, states, db):
    login(make_user("admin"))
    response = client.post("/admin/proposal-states", data={"code": "partially", "label_ja": "一部採用",
                                                            "label_en": "Partly accepted", "colour": "#336699",
                                                            "is_accepted": "y", "csrf_token": csrf("/admin/proposal-states")})
    assert response.status_code == 302
    state = db.session.scalar(select(AnswerState).where(AnswerState.code == "partially"))
    assert state.is_accepted and state.colour == "#336699"
    assert ".state-partially" in client.get("/proposals/states.css").get_data(as_text=True)
    bad = client.post("/admin/proposal-states", data={"code": "x y", "label_ja": "a", "label_en": "b",
                                                       "colour": "red;}", "csrf_token": csrf("/admin/proposal-states")})
    assert bad.status_code == 422
    duplicate = client.post("/admin/proposal-states", data={"code": "accepted", "label_ja": "a", "label_en": "b",
                                                             "colour": "#000000",
                                                             "csrf_token": csrf("/admin/proposal-states")})
    assert duplicate.status_code == 422
    response = client.post("/staff/answer-templates", data={"title": "不採用の定型文", "body": "今回は見送ります。",
                                                             "state_id": str(states["rejected"].id),
                                                             "csrf_token": csrf("/staff/answer-templates")})
    assert response.status_code == 302
    assert db.session.scalar(select(AnswerTemplate.title)) == "不採用の定型文"
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action.in_(("proposal_state.create", "answer_template.create")))) == 2


def test_exports_csv_and_json(client, login, make_user, make_process, make_proposal, states, db):
    process = make_process()
    evil = make_proposal(process, title="=HYPERLINK(\"http://evil\")という題名の提案です")
    plain = make_proposal(process, title="駅前に駐輪場を増やしてほしい")
    make_proposal(process, status="draft", title="下書きは出力されない提案のタイトル")
    services.save_answer(make_user("staff"), plain, {"state_id": states["accepted"].id, "body": "実施します",
                                                     "cost": 5000, "execution_period": "2027年度", "publish": "now"})
    db.session.commit()
    login(make_user("staff"))
    response = client.get(f"/staff/processes/{process.slug}/proposals.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref[evil.reference]["title"].startswith("'=")
    assert by_ref[plain.reference]["answer_state"] == "accepted" and by_ref[plain.reference]["cost"] == "5000"
    data = json.loads(client.get(f"/staff/processes/{process.slug}/proposals.json").get_data(as_text=True))
    assert data["process"] == process.slug and len(data["proposals"]) == 2
    assert {p["reference"] for p in data["proposals"]} == {evil.reference, plain.reference}
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "proposal.export")) == 2


def test_resaving_an_answer_takes_only_what_was_sent(client, csrf, login, make_user, make_process, make_proposal,
                                                     states, db):
    """A client that leaves out the cost when changing an accepted answer to rejected must not have the
    saved cost carried over into the new answer (and refused as 'cost only for accepted')."""
    proposal = make_proposal(make_process())
    login(make_user("staff"))
    url = f"/staff/proposals/{proposal.id}/answer"
    first = client.post(url, data={"state_id": states["accepted"].id, "body": "実施します。", "cost": "500000",
                                   "execution_period": "2027年度", "publish": "draft", "csrf_token": csrf(url)})
    assert first.status_code == 302
    second = client.post(url, data={"state_id": states["rejected"].id, "body": "見送ります。", "publish": "draft",
                                    "csrf_token": csrf(url)})
    assert second.status_code == 302, second.get_data(as_text=True)[-2000:]
    answer = db.session.scalar(select(ProposalAnswer))
    db.session.refresh(answer)
    assert (answer.state_id, answer.body, answer.cost, answer.execution_period) == (
        states["rejected"].id, "見送ります。", None, None)
