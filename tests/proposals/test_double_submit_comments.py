"""A double submit of the comment form (double tap, resend after a slow network) stores one comment,
counts it once and tells the proposal's author once (see participation/common/submissions.py)."""
import re

import pytest
from sqlalchemy import func, select

from participation.comments.models import Comment
from participation.notifications.models import Notification
from participation.proposals.models import Proposal
from tests.conftest import csrf_from
from tests.proposals.test_double_submit import KEY_RE, _send_at_once


def _comments(db):
    return db.session.scalar(select(func.count(Comment.id)))


def _comment_page(client, proposal):
    """(csrf token, key of the new-comment form) from the proposal's page."""
    page = client.get(f"/proposals/{proposal.id}")
    html = page.get_data(as_text=True)
    form = html[html.index('id="new-comment-body"') - 600:html.index('id="new-comment-body"')]
    return csrf_from(page), KEY_RE.search(form).group(1)


def test_the_same_comment_form_sent_twice_stores_one_comment(client, db, login, make_user, make_process,
                                                             make_proposal):
    owner = make_user()
    proposal = make_proposal(make_process(), owner)
    commenter = make_user()
    login(commenter)
    token, key = _comment_page(client, proposal)
    data = {"body": "良い提案です。", "alignment": "1", "csrf_token": token, "submission_key": key}
    first = client.post(f"/comments/proposal/{proposal.id}", data=data)
    second = client.post(f"/comments/proposal/{proposal.id}", data=data)
    assert first.status_code == second.status_code == 302
    comment = db.session.scalar(select(Comment))
    assert _comments(db) == 1
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).comments_count == 1
    # the proposal's author is told once
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == owner.id)) == 1


def test_each_comment_form_on_the_page_has_its_own_key(client, db, login, make_user, make_process, make_proposal):
    proposal = make_proposal(make_process())
    login(make_user())
    token, key = _comment_page(client, proposal)
    client.post(f"/comments/proposal/{proposal.id}", data={"body": "最初のコメント", "alignment": "0",
                                                            "csrf_token": token, "submission_key": key})
    first = db.session.scalar(select(Comment.id))
    html = client.get(f"/proposals/{proposal.id}?reply_to={first}").get_data(as_text=True)
    keys = KEY_RE.findall(html)
    assert len(keys) == 2 and len(set(keys)) == 2 and key not in keys  # the open reply form and a new comment form


def test_two_comment_keys_store_two_comments(client, db, login, make_user, make_process, make_proposal):
    proposal = make_proposal(make_process())
    login(make_user())
    for _ in range(2):
        token, key = _comment_page(client, proposal)
        response = client.post(f"/comments/proposal/{proposal.id}", data={
            "body": "良い提案です。", "alignment": "1", "csrf_token": token, "submission_key": key})
        assert response.status_code == 302
    db.session.expire_all()
    assert _comments(db) == 2 == db.session.get(Proposal, proposal.id).comments_count


@pytest.mark.parametrize("key", ["a" * 65, "abc!def<ghi>jkl%mnopq"], ids=["too-long", "wrong-characters"])
def test_a_malformed_comment_key_is_refused_and_nothing_is_stored(client, db, login, make_user, make_process,
                                                                  make_proposal, key):
    proposal = make_proposal(make_process())
    login(make_user())
    token, _key = _comment_page(client, proposal)
    response = client.post(f"/comments/proposal/{proposal.id}", data={
        "body": "良い提案です。", "alignment": "1", "csrf_token": token, "submission_key": key})
    assert response.status_code == 400
    db.session.expire_all()
    assert _comments(db) == 0 == db.session.get(Proposal, proposal.id).comments_count



def test_a_comment_sent_at_the_same_moment_is_stored_once(app, client, db, login, make_user, make_process,
                                                          make_proposal):
    proposal = make_proposal(make_process())
    commenter = make_user()
    login(commenter)
    _token, key = _comment_page(client, proposal)
    proposal_id, email = proposal.id, commenter.email
    db.session.remove()
    results, errors = _send_at_once(app, email, f"/proposals/{proposal_id}", f"/comments/proposal/{proposal_id}",
                                    {"body": "同時に送った意見", "alignment": "0", "submission_key": key})
    assert errors == []
    assert {status for status, _location in results} == {302}, results
    assert len({location for _status, location in results}) == 1, results
    assert _comments(db) == 1
    assert db.session.get(Proposal, proposal_id).comments_count == 1
