"""Generic targets: things residents can comment on, flag and follow (proposals, comments, ...).

Each feature registers its target type once at import time; comments, moderation and
notifications work over any registered type. Rows are read with getattr, so a target without
`author_id`, `hidden_at` or `process` is tolerated (treated as having no author, never hidden,
no process).

Registering a type (e.g. in proposals/services.py, at import time):

    register_target(TargetType(name="proposal", model=Proposal,
                               url=lambda p: f"/proposals/{p.id}", title=lambda p: p.title,
                               comment_action="proposals.comment", counter_column="comments_count"))

and on the target's page:

    {% from "comments/_thread.html" import comment_thread %}{{ comment_thread("proposal", proposal, None) }}
    {% from "notifications/_follow.html" import follow_button %}{{ follow_button("proposal", proposal) }}
    <a href="{{ url_for('moderation.flag', target_type='proposal', target_id=proposal.id) }}">...</a>

A type with comment_action=None takes no comments (e.g. 'comment' itself, which is registered
for flags and the moderation queue)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from participation.extensions import db
from participation.permissions import can


@dataclass(frozen=True)
class TargetType:
    name: str                        # 'proposal'
    model: type                      # SQLAlchemy model; rows have id, author_id, hidden_at, and a .process (or None)
    url: Callable[[object], str]     # public URL of a row
    title: Callable[[object], str]   # short title for notifications / moderation queue
    comment_action: str | None       # permission action checked for commenting, e.g. 'proposals.comment'
    counter_column: str | None       # column on the target updated in SQL, e.g. 'comments_count'


TARGETS: dict[str, TargetType] = {}


def register_target(target_type: TargetType) -> None:
    """Register (or re-register, e.g. in tests) a target type under its name."""
    TARGETS[target_type.name] = target_type


def get_target_type(name: str) -> TargetType:
    """The registered type, or 404 for an unknown name (names come from URLs)."""
    target_type = TARGETS.get(name)
    if target_type is None:
        abort(404)
    return target_type


def load_target(name: str, target_id: int) -> object:
    """The row a comment, flag or follow URL names, or 404: an unknown type or id, or a target the visitor
    may not know of (in an unpublished process: rule "target.view")."""
    target_type = get_target_type(name)
    target = db.get_or_404(target_type.model, target_id)
    if not can(current_user, "target.view", target):
        abort(404)
    return target


def author_id_of(target) -> int | None:
    return getattr(target, "author_id", None)


def process_of_target(target):
    """The process a target belongs to, or None (a Process target is its own process)."""
    if target is None:
        return None
    if type(target).__name__ == "Process":
        return target
    return getattr(target, "process", None)


def can_hide(target) -> bool:
    """Only targets with a hidden_at column can be hidden by moderation."""
    return hasattr(type(target), "hidden_at")


def is_hidden(target) -> bool:
    return getattr(target, "hidden_at", None) is not None


def text_of(target) -> str:
    """The user-written text of a target, for the moderation queue."""
    for name in ("body", "description", "text"):
        value = getattr(target, name, None)
        if isinstance(value, str):
            return value
    return ""


def lock_row(model, row_id: int) -> None:
    """SELECT ... FOR NO KEY UPDATE on one row (PostgreSQL; SQLite serialises writers anyway).

    Taken before rows that feed a counter are written and the counter is recomputed, so that
    the recompute starts after concurrent writers on the same row have committed and counts
    their rows too. Take it before inserting rows that reference this row (FK checks take a
    share lock; upgrading that later would deadlock)."""
    db.session.execute(select(model.id).where(model.id == row_id).with_for_update(key_share=True))
