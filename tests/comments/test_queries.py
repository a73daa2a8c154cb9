"""Thread reads: pagination by top-level comments, replies attached, constant query count."""
from __future__ import annotations

from participation.comments import queries, services
from participation.comments.models import Comment
from participation.common.time import utcnow
from tests.comments.conftest import TEST_TARGET


def _bulk(db, process, users, top_level: int, replies_each: int = 1, repliers=None):
    """Insert many comments directly (fast), each top-level with replies at depth 1 and 2."""
    repliers = repliers or users
    now = utcnow()
    for i in range(top_level):
        root = Comment(target_type=TEST_TARGET, target_id=process.id, process_id=process.id, depth=0,
                       author_id=users[i % len(users)].id, body=f"意見{i}", alignment=0, created_at=now)
        db.session.add(root)
        db.session.flush()
        parent, first_reply = root, None
        for n in range(1, 1 + replies_each):
            # a chain root -> reply -> reply-to-reply, further replies go under the first reply (depth 2)
            parent = parent if n <= 2 else first_reply
            child = Comment(target_type=TEST_TARGET, target_id=process.id, process_id=process.id,
                            depth=parent.depth + 1, parent_id=parent.id,
                            author_id=repliers[(i + n) % len(repliers)].id, body=f"返信{i}-{n}",
                            alignment=1, created_at=now)
            db.session.add(child)
            db.session.flush()
            first_reply = first_reply or child
            parent = child
    db.session.commit()


def test_pagination_by_top_level_comments_with_their_replies(db, make_user, open_process):
    users = [make_user() for _ in range(3)]
    _bulk(db, open_process, users, top_level=25, replies_each=2)
    first = queries.thread_for(TEST_TARGET, open_process.id, page=1, per_page=20)
    second = queries.thread_for(TEST_TARGET, open_process.id, page=2, per_page=20)
    assert (first.pages, first.total_top_level, first.total) == (2, 25, 75)
    assert len(first.comments) == 20 and len(second.comments) == 5
    assert [c.body for c in second.comments] == [f"意見{i}" for i in range(20, 25)]
    root = second.comments[0]
    level_one = second.children(root)
    assert [c.body for c in level_one] == ["返信20-1"]
    assert [c.body for c in second.children(level_one[0])] == ["返信20-2"]
    # out-of-range pages are clamped, not errors
    assert queries.thread_for(TEST_TARGET, open_process.id, page=99, per_page=20).page == 2
    # the pages a phone gets: ten threads each
    assert queries.thread_for(TEST_TARGET, open_process.id, page=1).pages == 3


def test_thread_query_count_is_constant_for_5_and_100_comments(app, db, make_user, make_process, test_target,
                                                               count_queries):
    users = [make_user() for _ in range(10)]
    small, large = make_process(), make_process()
    _bulk(db, small, users, top_level=5, replies_each=0)
    # 100 comments; replies by authors who wrote no top-level comment (so a lazy load would show)
    _bulk(db, large, users[:2], top_level=20, replies_each=4, repliers=users[2:])
    viewer = users[0]
    services.vote_comment(users[1], db.session.scalar(
        db.select(Comment).where(Comment.target_id == large.id, Comment.author_id != users[1].id).limit(1)), 1)
    db.session.commit()
    counts = []
    viewer_id = viewer.id
    for process_id in (small.id, large.id):
        db.session.expunge_all()
        viewer = db.session.get(type(viewer), viewer_id)
        with count_queries() as counter:
            thread = queries.thread_for(TEST_TARGET, process_id, page=1, viewer=viewer, per_page=20)
            names = [c.author.public_name for c in thread.comments]
            names += [r.author.public_name for c in thread.comments for r in thread.children(c)]
            names += [r.author.public_name for c in thread.comments for r1 in thread.children(c)
                      for r in thread.children(r1)]
        counts.append(counter.count)
    assert thread.total == 100 and len(names) == 100  # every comment of the page's threads is there
    assert counts[0] == counts[1]


def test_rendered_thread_page_query_count_is_constant(app, client, db, make_user, make_process, test_target,
                                                      count_queries, page_with_thread):
    users = [make_user() for _ in range(10)]
    small, large = make_process(), make_process()
    _bulk(db, small, users, top_level=5, replies_each=0)
    _bulk(db, large, users[:2], top_level=20, replies_each=4, repliers=users[2:])
    counts = []
    for path in (page_with_thread(small), page_with_thread(large)):
        db.session.expunge_all()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
