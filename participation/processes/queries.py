"""Named reads for processes."""
from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from participation.common.pagecache import shared_value
from participation.extensions import db
from participation.permissions import can
from participation.processes.models import Phase, Process, ProcessGroup

STATES = ("active", "upcoming", "past")


def visible_processes(user, *, state: str | None = None, area_id: int | None = None, today: date):
    """Processes a user may see (published ones; staff see all), newest first, promoted on top."""
    stmt = select(Process).options(selectinload(Process.phases), selectinload(Process.area))
    if not (user is not None and getattr(user, "is_authenticated", False) and can(user, "process.manage")):
        stmt = stmt.where(Process.published_at.is_not(None))
    if state == "active":
        stmt = stmt.where(Process.start_date <= today, Process.end_date >= today)
    elif state == "upcoming":
        stmt = stmt.where(Process.start_date > today)
    elif state == "past":
        stmt = stmt.where(Process.end_date < today)
    if area_id:
        stmt = stmt.where(Process.area_id == area_id)
    return stmt.order_by(Process.promoted.desc(), Process.start_date.desc(), Process.id.desc())


# Built once: building and keying the statement cost about as much as running it, on every process page.
# The phases joined (a process has a handful): one query, a third of the time of a second SELECT ... IN.
PROCESS_BY_SLUG = select(Process).where(Process.slug == bindparam("slug")).options(joinedload(Process.phases))


def process_for_view(slug: str, user) -> Process:
    """The process named by a URL, or 404, including for unpublished ones the user may not see."""
    process = db.session.execute(PROCESS_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()
    if process is None or not can(user, "process.view", process):
        abort(404)
    return process


def process_to_read(slug: str, user) -> Process:
    """As process_for_view, for pages that only read it (the proposal list): the process and its phases are
    loaded once per content generation by a session of their own and shared, detached, by the worker's
    requests (common.pagecache.shared_value). Only what is loaded may be read from it: its columns and its
    phases; nothing may be changed through it."""
    def load():
        with Session(db.engine) as own:  # closing it detaches the process and its phases, loaded
            return own.execute(PROCESS_BY_SLUG, {"slug": slug}).unique().scalar_one_or_none()

    process = shared_value(("process-to-read", slug), load, lambda _process: 4096)
    if process is None or not can(user, "process.view", process):
        abort(404)
    return process


def groups() -> list[ProcessGroup]:
    return list(db.session.scalars(select(ProcessGroup).order_by(ProcessGroup.name_ja)))


def admin_processes():
    return select(Process).order_by(Process.id.desc())


def phase_of_process(process: Process, phase_id: int) -> Phase:
    phase = db.session.get(Phase, phase_id)
    if phase is None or phase.process_id != process.id:
        abort(404)
    return phase


# Feature packages add `name -> callable(process) -> int` so the process page shows live figures
# (participants, proposals, supports, comments) without this package importing them.
FIGURES: dict = {}


def process_figures(process: Process) -> dict[str, int]:
    return {name: compute(process) for name, compute in FIGURES.items()}
