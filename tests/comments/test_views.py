"""Comment endpoints and the thread macro, through the client with CSRF on."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from participation.comments import services
from participation.comments.models import Comment, CommentVote
from tests.comments.conftest import TEST_TARGET


def _token(client, path):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "no CSRF token on page"
    return match.group(1)


def test_post_comment_and_reply_through_the_thread_page(client, db, login, make_user, open_process, page_with_thread):
    user = make_user(locale="en")
    login(user)
    page = page_with_thread(open_process)
    html = client.get(page).get_data(as_text=True)
    # accessible form: labelled textarea and labelled alignment radios
    assert 'for="new-comment-body"' in html and 'for="new-comment-a1"' in html
    assert "In favour" in html and "Neutral" in html and "Against" in html
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}",
                           data={"body": "駐輪場を増やしてほしい", "alignment": "1", "csrf_token": _token(client, page)})
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment))
    assert response.headers["Location"].endswith(f"/processes/{open_process.slug}#comment-{comment.id}")
    assert comment.alignment == 1 and comment.author_id == user.id
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}",
                           data={"body": "同感です", "alignment": "0", "parent_id": str(comment.id),
                                 "csrf_token": _token(client, page)})
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "駐輪場を増やしてほしい" in html and "同感です" in html
    assert f'id="comment-{comment.id}"' in html and "depth-1" in html


def test_post_without_csrf_is_refused(client, db, login, make_user, open_process):
    login(make_user())
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}", data={"body": "x", "alignment": "0"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_over_long_comment_gets_a_message_and_nothing_is_stored(client, db, login, make_user, open_process,
                                                                page_with_thread):
    login(make_user())
    page = page_with_thread(open_process)
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}",
                           data={"body": "あ" * 2001, "alignment": "0", "csrf_token": _token(client, page)})
    assert response.status_code == 422
    assert "2000" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_fourth_level_reply_through_the_view_gets_a_message(client, db, login, make_user, open_process, post,
                                                            page_with_thread):
    a = make_user()
    c1 = post(a, open_process, "1")
    c2 = post(a, open_process, "2", parent=c1)
    c3 = post(a, open_process, "3", parent=c2)
    login(make_user())
    page = page_with_thread(open_process)
    html = client.get(page).get_data(as_text=True)
    assert f"reply_to={c2.id}#" in html and f"reply_to={c3.id}#" not in html  # no Reply at depth 3
    assert 'name="parent_id"' not in html  # reply forms open one at a time
    html = client.get(f"{page}?reply_to={c2.id}").get_data(as_text=True)
    assert f'name="parent_id" value="{c2.id}"' in html and html.count('name="parent_id"') == 1
    assert 'name="parent_id"' not in client.get(f"{page}?reply_to={c3.id}").get_data(as_text=True)
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}",
                           data={"body": "4", "alignment": "0", "parent_id": str(c3.id),
                                 "csrf_token": _token(client, page)})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Comment.id))) == 3


def test_html_and_script_are_inert(client, db, login, make_user, open_process, post, page_with_thread):
    post(make_user(), open_process, '<script>alert(1)</script><img src=x onerror=alert(2)> **太字**')
    html = client.get(page_with_thread(open_process)).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_guest_is_sent_to_sign_in_and_closed_phase_gives_403(client, db, login, make_user, closed_process,
                                                             open_process):
    guest_token = _token(client, "/account/sign-in")
    response = client.post(f"/comments/{TEST_TARGET}/{open_process.id}",
                           data={"body": "x", "alignment": "0", "csrf_token": guest_token})
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]
    assert f"next=/processes/{open_process.slug}" in response.headers["Location"].replace("%2F", "/")
    login(make_user())
    token = _token(client, "/account/")
    response = client.post(f"/comments/{TEST_TARGET}/{closed_process.id}",
                           data={"body": "閉じた", "alignment": "0", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_unknown_target_type_or_id_is_404(client, login, make_user, open_process):
    login(make_user())
    token = _token(client, "/account/")
    assert client.post("/comments/nothing/1", data={"body": "x", "alignment": "0", "csrf_token": token}).status_code == 404
    assert client.post(f"/comments/{TEST_TARGET}/999999",
                       data={"body": "x", "alignment": "0", "csrf_token": token}).status_code == 404


def test_edit_and_delete_own_only(client, db, login, make_user, open_process, post):
    author, other = make_user(), make_user()
    comment = post(author, open_process, "元の文")
    login(other)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    token = _token(client, "/account/")
    assert client.post(f"/comments/{comment.id}/edit",
                       data={"body": "乗っ取り", "alignment": "0", "csrf_token": token}).status_code == 403
    assert client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token}).status_code == 403
    db.session.refresh(comment)
    assert comment.body == "元の文" and comment.deleted_at is None

    client.post("/account/sign-out", data={"csrf_token": token})
    login(author)
    form_page = client.get(f"/comments/{comment.id}/edit")
    assert form_page.status_code == 200 and "元の文" in form_page.get_data(as_text=True)
    token = _token(client, f"/comments/{comment.id}/edit")
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "直した文", "alignment": "-1",
                                                                 "csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.body == "直した文" and comment.edited_at is not None
    response = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(comment)
    assert comment.deleted_at is not None


def test_deleted_comment_shows_as_deleted(client, db, make_user, open_process, post, page_with_thread):
    author = make_user()
    comment = post(author, open_process, "秘密の内容")
    services.delete_comment(author, comment)
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(page_with_thread(open_process)).get_data(as_text=True)
    assert "秘密の内容" not in html and "This comment was deleted." in html


def test_votes_through_the_view(client, db, login, make_user, open_process, post, page_with_thread):
    comment = post(make_user(), open_process)
    voter = make_user()
    login(voter)
    token = _token(client, page_with_thread(open_process))
    for _ in range(2):
        assert client.post(f"/comments/{comment.id}/vote", data={"value": "up", "csrf_token": token}).status_code == 302
    db.session.refresh(comment)
    assert comment.upvotes == 1
    client.post(f"/comments/{comment.id}/vote", data={"value": "down", "csrf_token": token})
    db.session.refresh(comment)
    assert (comment.upvotes, comment.downvotes) == (0, 1)
    client.post(f"/comments/{comment.id}/vote", data={"value": "none", "csrf_token": token})
    db.session.refresh(comment)
    assert (comment.upvotes, comment.downvotes) == (0, 0)
    assert client.post(f"/comments/{comment.id}/vote", data={"value": "bogus", "csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count(CommentVote.id))) == 0


def test_deleted_author_shows_as_deleted_participant(client, db, make_user, open_process, post, page_with_thread):
    from participation.accounts import services as account_services

    author = make_user(display_name="消える人")
    post(author, open_process, "残る意見")
    account_services.delete_account(author, None, actor=make_user("admin"))
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(page_with_thread(open_process)).get_data(as_text=True)
    assert "残る意見" in html and "消える人" not in html and "deleted participant" in html
