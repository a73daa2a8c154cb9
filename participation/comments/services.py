"""Comment writes: post, edit, delete own, vote. The caller (one request) commits.

Permission to comment is the target type's comment_action checked on the target; a target
type without a comment_action does not take comments. The target's counter column (e.g.
proposals.comments_count) is recomputed in SQL in the same transaction: it counts visible
comments (not deleted, not hidden)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from participation.accounts import services as account_services
from participation.accounts.models import User
from participation.comments.models import ALIGNMENTS, MAX_DEPTH, MAX_LENGTH, Comment, CommentVote
from participation.common.devices import is_mobile_request
from participation.common.errors import DomainError, NotAllowed
from participation.common.submissions import clean_submission_key, insert_once
from participation.common.targets import (
    TARGETS,
    TargetType,
    author_id_of,
    is_hidden,
    lock_row,
    process_of_target,
    register_target,
)
from participation.common.time import utcnow
from participation.common.pagecache import COUNTS_ONLY
from participation.extensions import db
from participation.notifications import services as notifications
from participation.permissions import can
from participation.text import excerpt


def _comment_url(comment: Comment) -> str:
    target_type = TARGETS.get(comment.target_type)
    target = db.session.get(target_type.model, comment.target_id) if target_type else None
    base = target_type.url(target) if target is not None else "/"
    return f"{base}#comment-{comment.id}"


# Comments are targets too (for flags and the moderation queue); they take no comments themselves.
register_target(TargetType(name="comment", model=Comment, url=_comment_url,
                           title=lambda c: excerpt(c.body, 60), comment_action=None, counter_column=None))


def target_type_for_comments(name: str) -> TargetType:
    target_type = TARGETS.get(name)
    if target_type is None or not target_type.comment_action:
        raise DomainError(_l("Comments are not available here."), 404)
    return target_type


def may_comment(user, target_type: TargetType, target) -> bool:
    return bool(target_type.comment_action) and not is_hidden(target) and can(user, target_type.comment_action,
                                                                               target)


def refresh_counter(target_type_name: str, target_id: int) -> None:
    """Recompute the target's cached comment count in SQL (visible comments only)."""
    target_type = TARGETS.get(target_type_name)
    if target_type is None or not target_type.counter_column:
        return
    model = target_type.model
    lock_row(model, target_id)
    visible = (select(func.count(Comment.id))
               .where(Comment.target_type == target_type_name, Comment.target_id == target_id,
                      Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
               .scalar_subquery())
    db.session.execute(update(model).where(model.id == target_id)
                       .values({target_type.counter_column: visible})
                       .execution_options(synchronize_session=False))
    target = db.session.identity_map.get(identity_key(model, target_id))
    if target is not None:
        db.session.expire(target, [target_type.counter_column])


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("Please write a comment."))
    if len(body) > MAX_LENGTH:
        raise DomainError(_l("A comment can have at most %(max)d characters.", max=MAX_LENGTH))
    return body


def _clean_alignment(alignment) -> int:
    try:
        value = int(alignment)
    except (TypeError, ValueError):
        raise DomainError(_l("Please choose in favour, neutral or against.")) from None
    if value not in ALIGNMENTS:
        raise DomainError(_l("Please choose in favour, neutral or against."))
    return value


def post_comment(author, target_type: str, target_id: int, body: str, alignment, parent_id: int | None = None,
                 submission_key: str | None = None) -> Comment:
    """With a submission key, sending the same form again (double tap, resend) stores nothing and returns
    the comment stored by the first send (no second count, no second notification)."""
    kind = target_type_for_comments(target_type)
    target = db.session.get(kind.model, target_id)
    if target is None:
        raise DomainError(_l("This page no longer exists."), 404)
    if not may_comment(author, kind, target):
        raise NotAllowed(_l("You cannot comment here at the moment."))
    body = _clean_body(body)
    alignment = _clean_alignment(alignment)
    key = clean_submission_key(submission_key)
    parent = None
    depth = 0
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.target_type != target_type or parent.target_id != target_id:
            raise DomainError(_l("The comment you are replying to does not exist."), 404)
        if not parent.is_visible:
            raise DomainError(_l("You cannot reply to a deleted or hidden comment."))
        if parent.depth >= MAX_DEPTH:
            raise DomainError(_l("Replies can only be nested three levels deep. Please reply higher up."))
        depth = parent.depth + 1
    if key is not None:
        account_services.hold_account(author)  # a write before the savepoint (SQLite), before lock_row (order)
    lock_row(kind.model, target_id)  # comments on one target are counted one transaction at a time
    process = process_of_target(target)
    parent_id = parent.id if parent else None

    def new_comment() -> Comment:
        return Comment(target_type=target_type, target_id=target_id, process_id=getattr(process, "id", None),
                       parent_id=parent_id, depth=depth, author_id=author.id, body=body, alignment=alignment,
                       upvotes=0, downvotes=0, created_at=utcnow(), from_mobile=is_mobile_request())

    def same(stored: Comment) -> bool:
        return (stored.target_type, stored.target_id, stored.parent_id, stored.body, stored.alignment) == (
            target_type, target_id, parent_id, body, alignment)

    comment, created = insert_once(new_comment, key, same)
    if not created:
        return comment
    refresh_counter(target_type, target_id)
    _notify_new_comment(author, kind, target, comment, parent)
    return comment


def _notify_new_comment(author, kind: TargetType, target, comment: Comment, parent: Comment | None) -> None:
    title = kind.title(target)
    url = f"{kind.url(target)}#comment-{comment.id}"
    body = excerpt(comment.body, 200)
    notified: set[int] = {author.id}
    if parent is not None and parent.author is not None and parent.author_id not in notified:
        notifications.notify([parent.author], "reply_to_my_comment", target_type=kind.name, target_id=target.id,
                             title=title, body=body, url=url)
        notified.add(parent.author_id)
    owner_id = author_id_of(target)
    if owner_id is not None and owner_id not in notified:
        owner = db.session.get(User, owner_id)  # not type(author): the author may be the current_user proxy
        notifications.notify([owner], "comment_on_my_proposal", target_type=kind.name, target_id=target.id,
                             title=title, body=body, url=url)
        notified.add(owner_id)
    others = [u for u in notifications.followers(kind.name, target.id) if u.id not in notified]
    notifications.notify(others, "comment_on_followed", target_type=kind.name, target_id=target.id,
                         title=title, body=body, url=url)


def _own(user, comment: Comment) -> None:
    if comment.author_id is None or comment.author_id != getattr(user, "id", None) or not can(
            user, "comments.own", comment):
        raise NotAllowed(_l("You can only change your own comments."))
    if comment.is_deleted:
        raise DomainError(_l("This comment has been deleted."), 409)


def edit_comment(user, comment: Comment, body: str, alignment=None) -> Comment:
    """Authors may edit while commenting is open on the target; the edit time is shown."""
    _own(user, comment)
    if comment.is_hidden:
        raise DomainError(_l("This comment is hidden pending review and cannot be edited."), 409)
    kind = TARGETS.get(comment.target_type)
    target = db.session.get(kind.model, comment.target_id) if kind else None
    if kind is None or target is None or not may_comment(user, kind, target):
        raise NotAllowed(_l("Comments can no longer be changed here."))
    comment.body = _clean_body(body)
    if alignment is not None:
        comment.alignment = _clean_alignment(alignment)
    comment.edited_at = utcnow()
    return comment


def delete_comment(user, comment: Comment) -> Comment:
    """Soft delete: the text is no longer shown; replies stay in place."""
    _own(user, comment)
    comment.deleted_at = utcnow()
    db.session.flush()
    refresh_counter(comment.target_type, comment.target_id)
    return comment


def refresh_vote_counts(comment_id: int) -> None:
    up = (select(func.count(CommentVote.id)).where(CommentVote.comment_id == comment_id, CommentVote.value == 1)
          .scalar_subquery())
    down = (select(func.count(CommentVote.id)).where(CommentVote.comment_id == comment_id, CommentVote.value == -1)
            .scalar_subquery())
    db.session.execute(update(Comment).where(Comment.id == comment_id).values(upvotes=up, downvotes=down)
                       .execution_options(synchronize_session=False, **COUNTS_ONLY))


def vote_comment(user, comment: Comment, value: int) -> Comment:
    """+1 / -1 sets the user's vote (changing it if needed); 0 withdraws it."""
    if value not in (1, -1, 0):
        raise DomainError(_l("Unknown vote."))
    if not can(user, "comments.vote", comment):
        raise NotAllowed(_l("You cannot vote on comments."))
    if comment.author_id == user.id:
        raise DomainError(_l("You cannot vote on your own comment."))
    if not comment.is_visible:
        raise DomainError(_l("This comment is not available for voting."), 409)
    kind = TARGETS.get(comment.target_type)
    target = db.session.get(kind.model, comment.target_id) if kind else None
    if kind is None or target is None or not may_comment(user, kind, target):
        raise NotAllowed(_l("Voting on comments is closed here."))
    lock_row(Comment, comment.id)  # votes on one comment are counted one transaction at a time
    where = and_(CommentVote.comment_id == comment.id, CommentVote.user_id == user.id)
    if value == 0:
        db.session.execute(CommentVote.__table__.delete().where(where))
    else:
        changed = db.session.execute(CommentVote.__table__.update().where(where).values(value=value)).rowcount
        if not changed:
            try:
                with db.session.begin_nested():
                    db.session.add(CommentVote(comment_id=comment.id, user_id=user.id, value=value))
            except IntegrityError:  # a concurrent request inserted it first: set the value instead
                db.session.execute(CommentVote.__table__.update().where(where).values(value=value))
    refresh_vote_counts(comment.id)
    db.session.expire(comment, ["upvotes", "downvotes"])
    return comment


def set_comment_hidden(comment: Comment, hidden: bool) -> None:
    """Used by moderation: hide/unhide and keep the target's count right."""
    comment.hidden_at = utcnow() if hidden else None
    db.session.flush()
    refresh_counter(comment.target_type, comment.target_id)


# --- personal data ---------------------------------------------------------------------------
def _iso(value):
    return value.isoformat() if value else None


def export_comments(user) -> list[dict]:
    rows = db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return [{"id": c.id, "target_type": c.target_type, "target_id": c.target_id, "parent_id": c.parent_id,
             "body": c.body, "alignment": c.alignment, "created_at": _iso(c.created_at),
             "edited_at": _iso(c.edited_at), "deleted_at": _iso(c.deleted_at), "hidden_at": _iso(c.hidden_at)}
            for c in rows]


def export_comment_votes(user) -> list[dict]:
    rows = db.session.scalars(select(CommentVote).where(CommentVote.user_id == user.id).order_by(CommentVote.id))
    return [{"comment_id": v.comment_id, "value": v.value} for v in rows]
