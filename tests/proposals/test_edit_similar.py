"""Editing within the window, withdrawal, similar proposals, reference codes."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from participation.common.errors import DomainError
from participation.common.time import utcnow
from participation.permissions import can
from participation.proposals import queries, services
from participation.proposals.models import Proposal

DATA = {"title": "駅前に駐輪場を増やしてほしいです", "body": "朝の通勤時間に駅前の駐輪場がいつも満車です。"}


def _publish(user, process):
    draft = services.create_draft(user, process, dict(DATA))
    services.publish_proposal(user, draft)
    return draft


def test_edit_within_window_then_refused(client, csrf, login, make_user, make_process, db):
    process = make_process(edit_window_minutes=30)
    author = make_user()
    proposal = _publish(author, process)
    db.session.commit()
    assert proposal.reference == f"P-{proposal.published_at.year}-{proposal.id:06d}" or \
        proposal.reference.endswith(f"-{proposal.id:06d}")
    login(author)
    edit = f"/proposals/{proposal.id}/edit"
    response = client.post(edit, data={**DATA, "title": "駅前に駐輪場を増やしてほしい（追記あり）",
                                       "csrf_token": csrf(edit)})
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.title == "駅前に駐輪場を増やしてほしい（追記あり）"
    token = csrf(edit)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert not can(author, "proposals.edit", proposal)
        response = client.post(edit, data={**DATA, "title": "時間切れの後で変えようとしたタイトル",
                                           "csrf_token": token})
        assert response.status_code == 302
        assert client.get(edit).status_code == 302
        with pytest.raises(DomainError):
            services.update_proposal(author, proposal, {**DATA, "title": "時間切れの後で変えようとしたタイトル"})
        db.session.rollback()
    db.session.expire_all()
    assert proposal.title == "駅前に駐輪場を増やしてほしい（追記あり）"


def test_only_the_author_edits_and_withdraws(client, csrf, login, make_user, make_process, db):
    process = make_process()
    author, other = make_user(), make_user()
    proposal = _publish(author, process)
    db.session.commit()
    assert not can(other, "proposals.edit", proposal) and not can(other, "proposals.withdraw", proposal)
    login(other)
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 403
    client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": csrf(f"/proposals/{proposal.id}")})
    db.session.expire_all()
    assert proposal.status == "published"


def test_withdraw_keeps_the_proposal_and_stops_supports(client, csrf, login, make_user, make_process, db):
    process = make_process()
    author = make_user()
    proposal = _publish(author, process)
    db.session.commit()
    login(author)
    response = client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": csrf(f"/proposals/{proposal.id}")})
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.status == "withdrawn" and proposal.withdrawn_at is not None
    page = client.get(f"/proposals/{proposal.id}")
    assert page.status_code == 200 and ("Withdrawn" in page.get_data(as_text=True)
                                        or "取り下げ" in page.get_data(as_text=True))
    with pytest.raises(DomainError):
        services.support(make_user(), proposal)
    with pytest.raises(DomainError):
        services.withdraw_proposal(author, proposal)


def test_similar_proposals_top_five_by_trigrams(app, make_user, make_process, make_proposal):
    process, other_process = make_process(), make_process()
    close = [make_proposal(process, title=f"駅前の駐輪場を増やしてほしい その{i}",
                           body="駅前の駐輪場がいつも満車で困っています。") for i in range(6)]
    unrelated = make_proposal(process, title="図書館の開館時間を延長してください",
                              body="仕事帰りに寄れるように夜も開けてほしいです。")
    elsewhere = make_proposal(other_process, title="駅前の駐輪場を増やしてほしい", body="駅前の駐輪場がいつも満車です。")
    withdrawn = make_proposal(process, title="駅前の駐輪場を増やしてほしい", body="駅前の駐輪場がいつも満車です。",
                              status="withdrawn")
    found = queries.similar_proposals(process, DATA["title"], DATA["body"])
    ids = [p.id for p, score in found]
    assert len(ids) == 5 and set(ids) <= {p.id for p in close}
    assert unrelated.id not in ids and elsewhere.id not in ids and withdrawn.id not in ids
    assert all(0 < score <= 1 for _, score in found)
    assert queries.similar_proposals(process, "まったく関係のない内容です", "ぜんぜんちがう話題について書きます") == []


def test_delete_own_draft(client, csrf, login, make_user, make_process, db):
    process = make_process()
    author = make_user()
    draft = services.create_draft(author, process, dict(DATA))
    db.session.commit()
    login(author)
    response = client.post(f"/proposals/{draft.id}/delete",
                           data={"csrf_token": csrf(f"/processes/{process.slug}/proposals/drafts")})
    assert response.status_code == 302
    assert db.session.scalar(select(Proposal.id)) is None
