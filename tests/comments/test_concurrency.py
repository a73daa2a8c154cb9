"""Concurrent votes and comments: counts stay exact (unique constraint + row lock + SQL recompute)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from participation.comments import services
from participation.comments.models import Comment, CommentVote
from tests.comments.conftest import COUNTED_TARGET


def _run_threads(app, jobs):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def runner(job):
        from participation.extensions import db

        with app.app_context():
            try:
                barrier.wait(timeout=30)
                job()
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_concurrent_votes_count_exactly(app, db, make_user, open_process, post):
    comment = post(make_user(), open_process)
    voter_ids = [make_user().id for _ in range(12)]
    comment_id = comment.id

    def vote(user_id):
        def job():
            from participation.accounts.models import User
            from participation.extensions import db as _db

            services.vote_comment(_db.session.get(User, user_id), _db.session.get(Comment, comment_id), 1)
        return job

    errors = _run_threads(app, [vote(uid) for uid in voter_ids for _ in range(2)])  # each user twice at once
    assert errors == []
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    assert comment.upvotes == 12 == db.session.scalar(select(func.count(CommentVote.id)))


def test_concurrent_comments_keep_the_target_counter_exact(app, db, make_user, make_process, test_target):
    process = make_process()
    process_id = process.id
    author_ids = [make_user().id for _ in range(10)]

    def comment(user_id):
        def job():
            from participation.accounts.models import User
            from participation.extensions import db as _db

            services.post_comment(_db.session.get(User, user_id), COUNTED_TARGET, process_id, "同時投稿", 0)
        return job

    errors = _run_threads(app, [comment(uid) for uid in author_ids])
    assert errors == []
    db.session.expire_all()
    from participation.processes.models import Process

    assert db.session.get(Process, process_id).proposal_limit == 10
