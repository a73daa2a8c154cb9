"""Comment services: threads, alignment, limits, edit/delete own, votes, counters, permissions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.comments import services
from participation.comments.models import Comment, CommentVote
from participation.common.errors import DomainError, NotAllowed
from tests.comments.conftest import COUNTED_TARGET, TEST_TARGET


def test_threads_to_depth_three_and_a_fourth_level_is_refused(db, make_user, open_process, post):
    a, b = make_user(), make_user()
    root = post(a, open_process, "一段目")
    reply = post(b, open_process, "二段目", parent=root)
    third = post(a, open_process, "三段目", parent=reply)
    assert (root.depth, reply.depth, third.depth) == (0, 1, 2)
    assert third.parent_id == reply.id and third.process_id == open_process.id
    with pytest.raises(DomainError):
        services.post_comment(b, TEST_TARGET, open_process.id, "四段目", 0, parent_id=third.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Comment.id))) == 3


def test_reply_must_belong_to_the_same_target(db, make_user, make_process, open_process, post):
    other = make_process()
    root = post(make_user(), other, "別のプロセス")
    with pytest.raises(DomainError) as error:
        services.post_comment(make_user(), TEST_TARGET, open_process.id, "返信", 0, parent_id=root.id)
    assert error.value.status_code == 404


@pytest.mark.parametrize("alignment", [1, 0, -1, "1", "-1"])
def test_alignment_is_stored(make_user, open_process, post, alignment):
    comment = post(make_user(), open_process, alignment=alignment)
    assert comment.alignment == int(alignment)


@pytest.mark.parametrize("alignment", [2, "x", None, -2])
def test_bad_alignment_is_refused(db, make_user, open_process, alignment):
    with pytest.raises(DomainError):
        services.post_comment(make_user(), TEST_TARGET, open_process.id, "本文", alignment)


def test_empty_and_over_long_bodies_are_refused_and_2000_characters_accepted(db, make_user, open_process, post):
    user = make_user()
    with pytest.raises(DomainError):
        services.post_comment(user, TEST_TARGET, open_process.id, "   ", 0)
    with pytest.raises(DomainError) as error:
        services.post_comment(user, TEST_TARGET, open_process.id, "あ" * 2001, 0)
    assert "2000" in str(error.value.message)
    db.session.rollback()
    assert post(user, open_process, "あ" * 2000).body == "あ" * 2000


def test_commenting_follows_the_phase_and_the_account(db, make_user, open_process, closed_process):
    with pytest.raises(NotAllowed):
        services.post_comment(make_user(), TEST_TARGET, closed_process.id, "閉じています", 0)
    with pytest.raises(NotAllowed):
        services.post_comment(make_user(blocked=True), TEST_TARGET, open_process.id, "ブロック中", 0)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_targets_without_a_comment_action_take_no_comments(db, make_user, open_process, post):
    comment = post(make_user(), open_process)
    with pytest.raises(DomainError) as error:
        services.post_comment(make_user(), "comment", comment.id, "コメントへのコメント", 0)
    assert error.value.status_code == 404


def test_from_mobile_is_set_from_the_user_agent(app, db, make_user, open_process):
    user = make_user()
    with app.test_request_context("/", headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"}):
        phone = services.post_comment(user, TEST_TARGET, open_process.id, "スマホから", 0)
    with app.test_request_context("/", headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}):
        desk = services.post_comment(user, TEST_TARGET, open_process.id, "パソコンから", 0)
    db.session.commit()
    assert phone.from_mobile is True and desk.from_mobile is False


def test_counter_column_counts_visible_comments_in_sql(db, make_user, make_process, test_target):
    process = make_process(proposal_limit=0)
    a, b = make_user(), make_user()
    first = services.post_comment(a, COUNTED_TARGET, process.id, "一", 0)
    services.post_comment(b, COUNTED_TARGET, process.id, "二", 0, parent_id=first.id)
    db.session.commit()
    db.session.refresh(process)
    assert process.proposal_limit == 2
    services.delete_comment(a, first)
    db.session.commit()
    db.session.refresh(process)
    assert process.proposal_limit == 1


def test_edit_own_records_edited_at_and_others_are_refused(db, make_user, open_process, post):
    author, other = make_user(), make_user()
    comment = post(author, open_process, "最初", alignment=1)
    with pytest.raises(NotAllowed):
        services.edit_comment(other, comment, "乗っ取り")
    db.session.rollback()
    services.edit_comment(author, comment, "直しました", -1)
    db.session.commit()
    assert comment.body == "直しました" and comment.alignment == -1 and comment.edited_at is not None


def test_delete_own_is_soft_and_others_cannot(db, make_user, open_process, post):
    author, other = make_user(), make_user()
    comment = post(author, open_process, "消します")
    reply = post(other, open_process, "返信", parent=comment)
    with pytest.raises(NotAllowed):
        services.delete_comment(other, comment)
    services.delete_comment(author, comment)
    db.session.commit()
    assert comment.deleted_at is not None and db.session.get(Comment, reply.id) is not None
    with pytest.raises(DomainError):
        services.edit_comment(author, comment, "復活")


def test_votes_are_one_per_user_can_change_and_withdraw_and_counts_are_exact(db, make_user, open_process, post):
    author = make_user()
    comment = post(author, open_process)
    voters = [make_user() for _ in range(4)]
    for voter in voters:
        services.vote_comment(voter, comment, 1)
        services.vote_comment(voter, comment, 1)  # twice: still one vote
    db.session.commit()
    assert (comment.upvotes, comment.downvotes) == (4, 0)
    services.vote_comment(voters[0], comment, -1)
    services.vote_comment(voters[1], comment, 0)
    db.session.commit()
    assert (comment.upvotes, comment.downvotes) == (2, 1)
    assert db.session.scalar(select(func.count(CommentVote.id)).where(CommentVote.comment_id == comment.id)) == 3
    with pytest.raises(DomainError):
        services.vote_comment(author, comment, 1)


def test_vote_unique_constraint_holds_in_the_database(db, make_user, open_process, post):
    from sqlalchemy.exc import IntegrityError

    comment = post(make_user(), open_process)
    voter = make_user()
    db.session.add(CommentVote(comment_id=comment.id, user_id=voter.id, value=1))
    db.session.commit()
    db.session.add(CommentVote(comment_id=comment.id, user_id=voter.id, value=-1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cannot_reply_to_deleted_comment(db, make_user, open_process, post):
    author = make_user()
    comment = post(author, open_process)
    services.delete_comment(author, comment)
    db.session.commit()
    with pytest.raises(DomainError):
        services.post_comment(make_user(), TEST_TARGET, open_process.id, "返信", 0, parent_id=comment.id)
