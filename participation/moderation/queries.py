"""Moderation reads: the queue of targets with open flags or hidden, with their flag history.

Query count is constant per page: open-flag groups, hidden ids per target type, the page's
targets per type, their flags (with reporters) and their authors."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from participation.accounts.models import User
from participation.common.targets import TARGETS, author_id_of
from participation.extensions import db
from participation.moderation.models import Flag

PER_PAGE = 20
STATES = ("all", "open", "hidden")


@dataclass
class QueueItem:
    target_type: str
    target_id: int
    open_flags: int
    latest: datetime | None
    target: object = None
    author: User | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def kind(self):
        return TARGETS.get(self.target_type)

    @property
    def hidden(self) -> bool:
        return getattr(self.target, "hidden_at", None) is not None


@dataclass
class QueuePage:
    items: list[QueueItem]
    page: int
    pages: int
    total: int


def _hideable_types():
    return [t for t in TARGETS.values() if hasattr(t.model, "hidden_at")]


def moderation_queue(state: str = "all", page: int = 1, per_page: int = PER_PAGE) -> QueuePage:
    keys: dict[tuple[str, int], QueueItem] = {}
    if state in ("all", "open"):
        rows = db.session.execute(
            select(Flag.target_type, Flag.target_id, func.count(Flag.id), func.max(Flag.created_at))
            .where(Flag.resolved_at.is_(None)).group_by(Flag.target_type, Flag.target_id)
        ).all()
        for target_type, target_id, count, latest in rows:
            if target_type in TARGETS:
                keys[(target_type, target_id)] = QueueItem(target_type, target_id, count, latest)
    if state in ("all", "hidden"):
        for kind in _hideable_types():
            model = kind.model
            for target_id, hidden_at in db.session.execute(
                    select(model.id, model.hidden_at).where(model.hidden_at.is_not(None))):
                item = keys.get((kind.name, target_id))
                if item is None:
                    keys[(kind.name, target_id)] = QueueItem(kind.name, target_id, 0, hidden_at)
    ordered = sorted(keys.values(), key=lambda i: (i.open_flags == 0, -(i.latest.timestamp() if i.latest else 0)))
    total = len(ordered)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = ordered[(page - 1) * per_page: page * per_page]
    _fill(items)
    return QueuePage(items=[i for i in items if i.target is not None], page=page, pages=pages, total=total)


def _fill(items: list[QueueItem]) -> None:
    by_type: dict[str, list[int]] = {}
    for item in items:
        by_type.setdefault(item.target_type, []).append(item.target_id)
    targets: dict[tuple[str, int], object] = {}
    for name, ids in by_type.items():
        model = TARGETS[name].model
        for row in db.session.scalars(select(model).where(model.id.in_(ids))):
            targets[(name, row.id)] = row
    if by_type:
        flags = db.session.scalars(
            select(Flag).options(joinedload(Flag.reporter), joinedload(Flag.resolved_by))
            .where(or_(*[and_(Flag.target_type == name, Flag.target_id.in_(ids)) for name, ids in by_type.items()]))
            .order_by(Flag.created_at.desc())
        )
        grouped: dict[tuple[str, int], list[Flag]] = {}
        for flag in flags:
            grouped.setdefault((flag.target_type, flag.target_id), []).append(flag)
    else:
        grouped = {}
    author_ids = {author_id_of(t) for t in targets.values()} - {None}
    authors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))} if author_ids else {}
    for item in items:
        item.target = targets.get((item.target_type, item.target_id))
        item.flags = grouped.get((item.target_type, item.target_id), [])
        item.author = authors.get(author_id_of(item.target)) if item.target is not None else None


def has_flagged(user, target_type: str, target_id: int) -> bool:
    return db.session.scalar(select(Flag.id).where(Flag.target_type == target_type, Flag.target_id == target_id,
                                                   Flag.reporter_id == user.id)) is not None
