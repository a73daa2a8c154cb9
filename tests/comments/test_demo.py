"""The demo helper builds valid threads on any registered target."""
from __future__ import annotations

from sqlalchemy import func, select

from participation.comments.demo import add_demo_threads
from participation.comments.models import Comment
from participation.moderation.models import Flag
from tests.comments.conftest import COUNTED_TARGET


def test_demo_threads(db, make_user, make_process, test_target):
    process = make_process()
    residents = [make_user() for _ in range(4)]
    created = add_demo_threads(COUNTED_TARGET, [process], residents)
    db.session.commit()
    assert created == db.session.scalar(select(func.count(Comment.id))) > 0
    assert db.session.scalar(select(func.max(Comment.depth))) <= 2
    db.session.refresh(process)
    assert process.proposal_limit == created
    assert db.session.scalar(select(func.count(Flag.id))) == 1
