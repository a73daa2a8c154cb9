"""Named reads for accounts."""
from __future__ import annotations

from flask import g
from sqlalchemy import or_, select

from participation.accounts.models import Area, User
from participation.extensions import db

# Figures every page shows the signed-in person about themselves (the header's unread count), read in the
# same statement as their account (accounts.views.load_user): one query, not one more per figure. A feature
# adds its figure at start-up, `ACCOUNT_FIGURES[name] = <scalar subquery correlated on User.id>`, and reads
# it with `account_figure(name)`.
ACCOUNT_FIGURES: dict[str, object] = {}


def account_figure(name: str):
    """The signed-in person's figure `name` as read with their account in this request; None when it was not
    (no one signed in, or forgotten after a change to it in this request)."""
    return g.get("account_figures", {}).get(name)


def forget_account_figures() -> None:
    """This request changed a figure read with the account: it is read again where it is shown."""
    g.pop("account_figures", None)


def areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.position, Area.name_ja)))


def users_select(*, search: str = "", role: str | None = None):
    stmt = select(User).where(User.deleted_at.is_(None)).order_by(User.id.desc())
    if search:
        like = f"%{search.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt
