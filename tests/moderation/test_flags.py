"""Flags, the hide threshold, the staff queue and its actions, the audit trail (acceptance 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.common.errors import DomainError, NotAllowed
from participation.moderation import services
from participation.moderation.models import AuditLog, Flag
from participation.notifications.models import Notification


def _flag(db, user, comment, reason="spam", details=""):
    flag = services.flag_content(user, "comment", comment.id, reason, details)
    db.session.commit()
    return flag


def test_flag_once_per_user_and_not_own_content(db, make_user, open_process, post):
    author, reporter = make_user(), make_user()
    comment = post(author, open_process)
    _flag(db, reporter, comment, "offensive", "ひどい言葉")
    with pytest.raises(DomainError) as error:
        services.flag_content(reporter, "comment", comment.id, "spam", "")
    assert error.value.status_code == 409
    db.session.rollback()
    with pytest.raises(DomainError):
        services.flag_content(author, "comment", comment.id, "spam", "")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == 1


def test_blocked_users_and_bad_reasons_cannot_flag(db, make_user, open_process, post):
    comment = post(make_user(), open_process)
    with pytest.raises(NotAllowed):
        services.flag_content(make_user(blocked=True), "comment", comment.id, "spam", "")
    with pytest.raises(DomainError):
        services.flag_content(make_user(), "comment", comment.id, "because", "")
    with pytest.raises(DomainError):
        services.flag_content(make_user(), "comment", comment.id, "spam", "x" * 501)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == 0


def test_threshold_hides_and_author_is_notified_then_staff_unhide_restores(db, make_user, make_process,
                                                                           test_target, post):
    process = make_process(hide_after_flags=2)
    author = make_user()
    comment = post(author, process, "問題のある投稿")
    _flag(db, make_user(), comment)
    assert comment.hidden_at is None
    _flag(db, make_user(), comment)
    db.session.refresh(comment)
    assert comment.hidden_at is not None
    notes = db.session.scalars(select(Notification).where(Notification.user_id == author.id)).all()
    assert [n.kind for n in notes] == ["content_hidden"]
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "moderation.auto_hide")) == 1

    staff = make_user("staff")
    services.unhide_content(staff, "comment", comment.id)
    db.session.commit()
    db.session.refresh(comment)
    assert comment.hidden_at is None
    flags = db.session.scalars(select(Flag)).all()
    assert {(f.resolution, f.resolved_by_id) for f in flags} == {("unhidden", staff.id)}
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "moderation.unhide")).all()
    assert len(audit) == 1 and audit[0].actor_id == staff.id and audit[0].target_id == str(comment.id)
    # the resolved flags no longer count: one more flag does not hide it again at threshold 2
    _flag(db, make_user(), comment)
    db.session.refresh(comment)
    assert comment.hidden_at is None


def test_default_threshold_is_three_and_counter_excludes_hidden(db, make_user, make_process, test_target):
    from participation.comments import services as comment_services
    from tests.comments.conftest import COUNTED_TARGET

    process = make_process()
    comment = comment_services.post_comment(make_user(), COUNTED_TARGET, process.id, "本文", 0)
    db.session.commit()
    for _ in range(2):
        _flag(db, make_user(), comment)
    db.session.refresh(comment)
    assert comment.hidden_at is None
    _flag(db, make_user(), comment)
    db.session.refresh(comment)
    db.session.refresh(process)
    assert comment.hidden_at is not None and process.proposal_limit == 0  # counter: visible comments only


def test_targets_without_hidden_at_can_be_flagged_but_are_never_hidden(db, make_user, open_process, test_target):
    for _ in range(4):
        services.flag_content(make_user(), test_target, open_process.id, "off_topic", "")
    db.session.commit()
    assert services.open_flag_count(test_target, open_process.id) == 4
    assert not hasattr(open_process, "hidden_at")


def test_staff_hide_dismiss_and_block(db, make_user, open_process, post):
    author = make_user()
    comment = post(author, open_process)
    staff = make_user("staff")
    resident = make_user()
    with pytest.raises(NotAllowed):
        services.hide_content(resident, "comment", comment.id)
    _flag(db, make_user(), comment)
    services.dismiss_flags(staff, "comment", comment.id)
    db.session.commit()
    assert db.session.scalar(select(Flag.resolution)) == "dismissed" and comment.hidden_at is None
    services.hide_content(staff, "comment", comment.id)
    db.session.commit()
    assert comment.hidden_at is not None
    services.block_author(staff, "comment", comment.id, "繰り返しの迷惑行為")
    db.session.commit()
    db.session.refresh(author)
    assert author.blocked_at is not None and author.blocked_reason == "繰り返しの迷惑行為"
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"moderation.dismiss", "moderation.hide", "moderation.block_author", "user.block"} <= actions
