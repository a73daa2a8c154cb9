"""post_comment with a submission key: the same form sent again stores nothing (see
participation/common/submissions.py); the page-level tests are in tests/proposals/test_double_submit_comments.py."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.comments import services
from participation.comments.models import Comment
from participation.common.errors import DomainError
from tests.comments.conftest import COUNTED_TARGET, TEST_TARGET

KEY = "k" * 21 + "_"


def _count(db):
    return db.session.scalar(select(func.count(Comment.id)))


def test_the_same_key_twice_returns_the_first_comment(db, make_user, open_process):
    author = make_user()
    first = services.post_comment(author, TEST_TARGET, open_process.id, "意見です", 1, submission_key=KEY)
    db.session.commit()
    again = services.post_comment(author, TEST_TARGET, open_process.id, "意見です", 1, submission_key=KEY)
    db.session.commit()
    assert again.id == first.id and _count(db) == 1 and first.submission_key == KEY


def test_a_reply_sent_twice_is_stored_once(db, make_user, open_process, post):
    parent = post(make_user(), open_process)
    author = make_user()
    for _ in range(2):
        services.post_comment(author, TEST_TARGET, open_process.id, "返信です", 0, parent_id=parent.id,
                              submission_key=KEY)
        db.session.commit()
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.parent_id == parent.id)) == 1


def test_the_counter_moves_once(db, make_user, make_process, test_target):
    from participation.processes.models import Process

    process = make_process()
    author = make_user()
    for _ in range(3):
        services.post_comment(author, COUNTED_TARGET, process.id, "意見です", 0, submission_key=KEY)
        db.session.commit()
    db.session.expire_all()
    assert _count(db) == 1 == db.session.get(Process, process.id).proposal_limit


def test_other_text_under_the_same_key_is_a_new_comment(db, make_user, open_process):
    """A page restored by the back button keeps its old key: a different comment written on it is kept."""
    author = make_user()
    first = services.post_comment(author, TEST_TARGET, open_process.id, "一つ目", 0, submission_key=KEY)
    db.session.commit()
    second = services.post_comment(author, TEST_TARGET, open_process.id, "二つ目", 0, submission_key=KEY)
    db.session.commit()
    assert second.id != first.id and _count(db) == 2 and second.submission_key is None


def test_keys_belong_to_their_author(db, make_user, open_process):
    one = services.post_comment(make_user(), TEST_TARGET, open_process.id, "意見です", 0, submission_key=KEY)
    other = services.post_comment(make_user(), TEST_TARGET, open_process.id, "意見です", 0, submission_key=KEY)
    db.session.commit()
    assert one.id != other.id and _count(db) == 2


def test_no_key_stores_every_time(db, make_user, open_process):
    author = make_user()
    for _ in range(2):
        services.post_comment(author, TEST_TARGET, open_process.id, "意見です", 0)
        db.session.commit()
    assert _count(db) == 2


@pytest.mark.parametrize("key", ["x" * 65, "short", "has space in the key!", "鍵" * 20])
def test_a_malformed_key_is_refused(db, make_user, open_process, key):
    with pytest.raises(DomainError) as error:
        services.post_comment(make_user(), TEST_TARGET, open_process.id, "意見です", 0, submission_key=key)
    db.session.rollback()
    assert error.value.status_code == 400 and _count(db) == 0


def test_the_form_shown_again_after_an_error_keeps_its_key(client, db, login, make_user, open_process,
                                                           page_with_thread):
    login(make_user())
    html = client.get(page_with_thread(open_process)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    url = f"/comments/{TEST_TARGET}/{open_process.id}"
    response = client.post(url, data={"body": "あ" * 2001, "alignment": "0", "csrf_token": token,
                                      "submission_key": key})
    assert response.status_code == 422 and f'value="{key}"' in response.get_data(as_text=True)
    for _ in range(2):
        response = client.post(url, data={"body": "短くしました", "alignment": "0", "csrf_token": token,
                                          "submission_key": key})
        assert response.status_code == 302
    assert _count(db) == 1
