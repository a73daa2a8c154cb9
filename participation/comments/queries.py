"""Comment reads: a target's thread, a page of top-level comments with all their replies.

Constant query count whatever the number of comments: the page (with authors), the count,
the replies of the page's threads (with authors) and the viewer's own votes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import aliased, joinedload

from participation.accounts.models import User
from participation.comments.models import Comment, CommentVote
from participation.common.reads import read
from participation.extensions import db

TOP_LEVEL_PER_PAGE = 10  # threads per page: a phone scrolls through them with their replies
# A thread shows only its authors' public names: load just that much of each author (a whole User row
# per comment was a thousand datetime conversions on a page of 110 comments).
_AUTHOR = joinedload(Comment.author).load_only(User.id, User.display_name, User.deleted_at)


@dataclass
class Thread:
    comments: list[Comment]            # top-level comments of this page
    replies: dict[int, list[Comment]]  # parent id -> replies, oldest first
    page: int
    pages: int
    total_top_level: int
    total: int = 0
    viewer: object = None
    reply_to: int | None = None        # the comment whose reply form is open (?reply_to=)

    def children(self, comment: Comment) -> list[Comment]:
        return self.replies.get(comment.id, [])

    def all_comments(self):
        yield from self.comments
        for replies in self.replies.values():
            yield from replies

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
    return Thread(comments=top, replies=replies, page=page, pages=pages,
                  total_top_level=top_total, total=total, viewer=viewer)


def _votes_with_mine():
    mine = aliased(CommentVote)
    return (select(Comment.id, Comment.upvotes, Comment.downvotes, mine.value)
            .outerjoin(mine, (mine.comment_id == Comment.id) & (mine.user_id == bindparam("user_id")))
            .where(Comment.id.in_(bindparam("ids", expanding=True))))


# Built once (it runs for every view of a thread): building and keying it cost three times running it.
VOTES_WITH_MINE = _votes_with_mine()


def votes_with_mine(comment_ids, user) -> dict[int, tuple[int, int, int | None]]:
    """comment id -> (up votes, down votes, the user's own vote or None) as they are now: one query for a
    page of comments."""
    if not comment_ids:
        return {}
    user_id = user.id if getattr(user, "is_authenticated", False) else None
    rows = read(VOTES_WITH_MINE, {"user_id": user_id, "ids": list(comment_ids)})
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def comment_or_none(comment_id: int) -> Comment | None:
    return db.session.get(Comment, comment_id)
