"""Named reads for accounts."""
from __future__ import annotations

from sqlalchemy import or_, select

from participation.accounts.models import Area, User
from participation.extensions import db


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
