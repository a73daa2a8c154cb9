"""Comment reads: a target's thread, a page of top-level comments with all their replies.

Constant query count whatever the number of comments: the page (with authors), the count,
the replies of the page's threads (with authors) and the viewer's own votes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased, joinedload

from participation.accounts.models import User
from participation.comments.models import Comment, CommentVote
from participation.extensions import db

TOP_LEVEL_PER_PAGE = 10  # threads per page: a phone scrolls through them with their replies
# A thread shows only its authors' public names: load just that much of each author (a whole User row
# per comment was a thousand datetime conversions on a page of 110 comments).
_AUTHOR = joinedload(Comment.author).load_only(User.id, User.display_name, User.deleted_at)


@dataclass
class Thread:
    comments: list[Comment]            # top-level comments of this page
    replies: dict[int, list[Comment]]  # parent id -> replies, oldest first
    my_votes: dict[int, int]           # comment id -> the viewer's vote
    page: int
    pages: int
    total_top_level: int
    total: int = 0
    viewer: object = None
    reply_to: int | None = None        # the comment whose reply form is open (?reply_to=)

    def children(self, comment: Comment) -> list[Comment]:
        return self.replies.get(comment.id, [])

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def thread_for(target_type: str, target_id: int, *, page: int = 1, viewer=None,
               per_page: int = TOP_LEVEL_PER_PAGE) -> Thread:
    on_target = (Comment.target_type == target_type, Comment.target_id == target_id)
    total, top_total = db.session.execute(
        select(func.count(Comment.id), func.count(case((Comment.depth == 0, Comment.id)))).where(*on_target)
    ).one()
    pages = max(1, -(-top_total // per_page))
    page = min(max(int(page or 1), 1), pages)
    top = list(db.session.scalars(
        select(Comment).options(_AUTHOR).where(*on_target, Comment.depth == 0)
        .order_by(Comment.created_at, Comment.id).offset((page - 1) * per_page).limit(per_page)
    ))
    replies: dict[int, list[Comment]] = {}
    all_ids = [c.id for c in top]
    if top:
        root_ids = [c.id for c in top]
        middle = aliased(Comment)
        level_one = select(middle.id).where(middle.parent_id.in_(root_ids))
        rows = db.session.scalars(
            select(Comment).options(_AUTHOR)
            .where(*on_target, (Comment.parent_id.in_(root_ids)) | (Comment.parent_id.in_(level_one)))
            .order_by(Comment.created_at, Comment.id)
        )
        for reply in rows:
            replies.setdefault(reply.parent_id, []).append(reply)
            all_ids.append(reply.id)
    my_votes: dict[int, int] = {}
    if viewer is not None and getattr(viewer, "is_authenticated", False) and all_ids:
        my_votes = dict(db.session.execute(
            select(CommentVote.comment_id, CommentVote.value)
            .where(CommentVote.user_id == viewer.id, CommentVote.comment_id.in_(all_ids))
        ).all())
    return Thread(comments=top, replies=replies, my_votes=my_votes, page=page, pages=pages,
                  total_top_level=top_total, total=total, viewer=viewer)


def comment_or_none(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id)
