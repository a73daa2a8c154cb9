"""Proposals wired to the generic social packages: registered once per process, personal data (download
and deletion), the scheduled jobs, and the demo's threads, reports and follows."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from participation import create_app
from participation.accounts import services as account_services
from participation.comments.models import Comment
from participation.common.targets import TARGETS
from participation.jobs import registry
from participation.moderation.models import Flag
from participation.notifications.models import Follow
from participation.proposals import services
from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport
from tests.conftest import TEST_PASSWORD, csrf_from


def test_hooks_and_target_are_registered_once_however_many_apps(app):
    create_app(dict(app.config))
    create_app(dict(app.config))
    for hooks in (services.PROPOSAL_PUBLISHED_HOOKS, services.ANSWER_PUBLISHED_HOOKS,
                  services.ANSWER_STATE_CHANGED_HOOKS):
        names = [f"{h.__module__}.{h.__name__}" for h in hooks]
        assert len(names) == len(set(names)) and any("proposals.notifications" in n for n in names)
    hooks = [f"{h.__module__}.{h.__name__}" for h in account_services.DELETION_HOOKS]
    assert hooks.count("participation.proposals.personal_data.forget_user") == 1
    target = TARGETS["proposal"]
    assert (target.model, target.comment_action, target.counter_column) == (Proposal, "proposals.comment",
                                                                           "comments_count")


def test_jobs_are_registered(app):
    for name, function in (("proposals.publish_answers", "publish_scheduled_answers"),
                           ("notifications.daily_digest", "send_daily_digest"),
                           ("notifications.weekly_digest", "send_weekly_digest")):
        spec = registry.get(name, app)
        assert spec is not None and spec.function().__name__ == function
    spec = registry.get("proposals.publish_answers", app)
    from datetime import datetime, timezone
    first = spec.period_key(datetime(2026, 11, 26, 0, 1, 5, tzinfo=timezone.utc))
    assert first == spec.period_key(datetime(2026, 11, 26, 0, 1, 59, tzinfo=timezone.utc))
    assert first != spec.period_key(datetime(2026, 11, 26, 0, 2, 0, tzinfo=timezone.utc))


def test_data_download_and_account_deletion(app, db, client, login, make_user, make_process, make_proposal):
    process = make_process()
    me, other = make_user(display_name="消える利用者"), make_user()
    mine = make_proposal(process, me, title="私が出した公開済みの提案のタイトル")
    draft = make_proposal(process, me, status="draft", title="私の下書きの提案のタイトルです")
    theirs = make_proposal(process, other)
    for model in (ProposalSupport, ProposalEndorsement):
        db.session.add(model(proposal_id=theirs.id, user_id=me.id))
    theirs.supports_count = theirs.endorsements_count = 1
    db.session.commit()
    draft_id = draft.id
    login(me)
    token = csrf_from(client.get("/account/data"))
    data = json.loads(client.post("/account/data", data={"csrf_token": token}).get_data(as_text=True))
    assert [p["title"] for p in data["proposals"]] == [mine.title]
    assert [p["title"] for p in data["proposal_drafts"]] == [draft.title]
    assert [s["proposal_id"] for s in data["proposal_supports"]] == [theirs.id]
    assert [e["reference"] for e in data["proposal_endorsements"]] == [theirs.reference]

    token = csrf_from(client.get("/account/delete"))
    assert client.post("/account/delete", data={"current_password": TEST_PASSWORD, "understood": "y",
                                                  "csrf_token": token}
                       ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, draft_id) is None            # never public: gone
    assert db.session.get(Proposal, mine.id).author_id == me.id  # public: stays, shown as deleted participant
    assert db.session.scalar(select(func.count(ProposalSupport.id))) == 1  # public counts stay
    assert db.session.get(Proposal, theirs.id).supports_count == 1
    page = client.get(f"/proposals/{theirs.id}").get_data(as_text=True)
    assert "消える利用者" not in page and "退会した参加者" in page  # the endorser list


def test_demo_has_threads_reports_follows_and_one_hidden_proposal(db):
    from participation.demo import load_demo

    assert load_demo() is True
    proposals = list(db.session.scalars(select(Proposal)))
    comments = db.session.scalar(select(func.count(Comment.id)).where(Comment.target_type == "proposal"))
    assert comments >= 10
    assert sum(p.comments_count for p in proposals) == db.session.scalar(
        select(func.count(Comment.id)).where(Comment.target_type == "proposal", Comment.deleted_at.is_(None),
                                             Comment.hidden_at.is_(None)))
    hidden = [p for p in proposals if p.hidden_at is not None]
    assert len(hidden) == 1
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.target_type == "proposal",
                                                               Flag.target_id == hidden[0].id)) == 3
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.target_type == "proposal")) > 3
    assert db.session.scalar(select(func.count(Follow.id))) == len(proposals)
    assert load_demo() is False


def test_a_comment_on_a_proposal_counts_and_tells_its_author(app, db, client, login, make_user, make_process,
                                                              make_proposal):
    """Through the page (the commenter is the current_user proxy): once a 500 when telling the author."""
    from participation.notifications.models import Notification

    author = make_user()
    proposal = make_proposal(make_process(), author)
    login(make_user())
    token = csrf_from(client.get(f"/proposals/{proposal.id}"))
    response = client.post(f"/comments/proposal/{proposal.id}", data={"body": "良い提案です。", "alignment": "1",
                                                                       "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).comments_count == 1
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == author.id)) \
        == "comment_on_my_proposal"
    assert "良い提案です。" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
