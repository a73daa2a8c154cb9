"""Flag form and staff moderation queue through the client with CSRF on."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from participation.comments.models import Comment
from participation.moderation.models import AuditLog, Flag


def _token(client, path):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_flag_form_flags_once_then_says_so(client, db, login, make_user, open_process, post):
    comment = post(make_user(), open_process)
    login(make_user(locale="en"))
    page = client.get(f"/flag/comment/{comment.id}")
    assert page.status_code == 200 and "Why are you reporting this?" in page.get_data(as_text=True)
    token = _token(client, f"/flag/comment/{comment.id}")
    response = client.post(f"/flag/comment/{comment.id}", data={"reason": "spam", "details": "宣伝",
                                                                 "csrf_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Flag.id))) == 1
    again = client.post(f"/flag/comment/{comment.id}", data={"reason": "spam", "csrf_token": token},
                        follow_redirects=True)
    assert "already reported" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Flag.id))) == 1


def test_flag_form_rejects_bad_reason_and_own_content(client, db, login, make_user, open_process, post):
    me = make_user(locale="en")
    mine = post(me, open_process)
    theirs = post(make_user(), open_process)
    login(me)
    token = _token(client, f"/flag/comment/{theirs.id}")
    response = client.post(f"/flag/comment/{theirs.id}", data={"reason": "nonsense", "csrf_token": token})
    assert response.status_code == 422
    response = client.post(f"/flag/comment/{mine.id}", data={"reason": "spam", "csrf_token": token},
                           follow_redirects=True)
    assert "cannot report your own content" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Flag.id))) == 0
    assert client.get("/flag/comment/999999").status_code == 404
    assert client.get("/flag/unknown/1").status_code == 404


def test_guest_is_sent_to_sign_in(client, make_user, open_process, post):
    comment = post(make_user(), open_process)
    response = client.get(f"/flag/comment/{comment.id}")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_staff_queue_shows_flagged_text_and_history_and_unhide_restores(client, db, login, make_user,
                                                                        make_process, test_target, post):
    """Acceptance 4 through the pages: N flags hide the comment, the queue shows it, staff unhide it."""
    process = make_process(hide_after_flags=2)
    comment = post(make_user(), process, "隠されるべき投稿")
    for reason in ("spam", "offensive"):
        reporter = make_user()
        login(reporter)
        token = _token(client, f"/flag/comment/{comment.id}")
        client.post(f"/flag/comment/{comment.id}", data={"reason": reason, "details": f"理由{reason}",
                                                         "csrf_token": token})
        client.post("/account/sign-out", data={"csrf_token": token})
    db.session.refresh(comment)
    assert comment.hidden_at is not None

    resident = make_user()
    login(resident)
    assert client.get("/staff/moderation").status_code == 403
    client.post("/account/sign-out", data={"csrf_token": _token(client, "/account/")})

    staff = make_user("staff", locale="en")
    login(staff)
    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert "隠されるべき投稿" in queue and "理由spam" in queue and "理由offensive" in queue
    assert "Hidden" in queue
    token = _token(client, "/staff/moderation")
    response = client.post(f"/staff/moderation/comment/{comment.id}/unhide", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.hidden_at is None
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.in_(
        ["moderation.auto_hide", "moderation.unhide"]))) == 2
    history = client.get("/staff/moderation?state=all").get_data(as_text=True)
    assert "隠されるべき投稿" not in history  # resolved and visible: off the queue
    assert client.post(f"/staff/moderation/comment/{comment.id}/explode",
                       data={"csrf_token": token}).status_code == 404


def test_block_author_from_the_queue(client, db, login, make_user, open_process, post):
    author = make_user()
    comment = post(author, open_process)
    flagger = make_user()
    from participation.moderation import services

    services.flag_content(flagger, "comment", comment.id, "spam", "")
    db.session.commit()
    login(make_user("staff"))
    token = _token(client, "/staff/moderation")
    response = client.post(f"/staff/moderation/comment/{comment.id}/block", data={"reason": "", "csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(author)
    assert author.blocked_at is None
    client.post(f"/staff/moderation/comment/{comment.id}/block", data={"reason": "スパム", "csrf_token": token})
    db.session.refresh(author)
    assert author.blocked_at is not None


def test_hidden_comment_shows_placeholder_to_residents(client, db, make_user, open_process, post,
                                                       page_with_thread):
    from participation.moderation import services

    comment = post(make_user(), open_process, "見えない内容")
    services.hide_content(make_user("staff"), "comment", comment.id)
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(page_with_thread(open_process)).get_data(as_text=True)
    assert "見えない内容" not in html and "hidden pending review" in html
    assert db.session.get(Comment, comment.id).hidden_at is not None
