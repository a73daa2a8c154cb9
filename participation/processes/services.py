"""Process and phase writes. Every staff action is audited; the caller commits once."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from participation.accounts.models import Area, User
from participation.common.errors import DomainError
from participation.common.time import local_today, utcnow
from participation.extensions import db
from participation.moderation.services import record_audit
from participation.processes.models import COMPONENTS, PHASE_FEATURES, Phase, Process, ProcessGroup

PROCESS_FIELDS = ("title", "slug", "subtitle", "description", "area_id", "group_id", "promoted", "start_date",
                  "end_date", "components", "support_limit", "support_threshold", "proposal_body_max",
                  "edit_window_minutes", "hide_after_flags", "proposal_limit")


def _check_process_data(process: Process | None, data: dict) -> None:
    if data["start_date"] > data["end_date"]:
        raise DomainError(_l("The end date must be on or after the start date."))
    taken = db.session.scalar(select(Process.id).where(Process.slug == data["slug"],
                                                       Process.id != (process.id if process else -1)))
    if taken is not None:
        raise DomainError(_l("This web address is already used by another process."))
    if process is not None and process.is_published and data["slug"] != process.slug:
        raise DomainError(_l("The web address of a published process cannot change (links must keep working)."))
    if data.get("area_id") and db.session.get(Area, data["area_id"]) is None:
        raise DomainError(_l("Please choose an area from the list."))
    if data.get("group_id") and db.session.get(ProcessGroup, data["group_id"]) is None:
        raise DomainError(_l("Please choose a theme from the list."))
    if any(c not in COMPONENTS for c in data.get("components", [])):
        raise DomainError(_l("Unknown feature."))
    if process is not None:
        for phase in process.phases:
            if phase.start_date < data["start_date"] or phase.end_date > data["end_date"]:
                raise DomainError(_l("The process dates must include the dates of all its phases."))


def create_process(actor: User, data: dict, hero_image: str | None = None) -> Process:
    _check_process_data(None, data)
    process = Process(**{k: data[k] for k in PROCESS_FIELDS if k in data}, hero_image=hero_image)
    try:
        with db.session.begin_nested():  # two staff creating the same address at the same moment
            db.session.add(process)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_l("This web address is already used by another process.")) from None
    record_audit(actor, "process.create", process, {"slug": process.slug})
    return process


def update_process(actor: User, process: Process, data: dict, hero_image: str | None = None) -> Process:
    _check_process_data(process, data)
    changed = sorted(k for k in PROCESS_FIELDS if k in data and getattr(process, k) != data[k])
    for key in changed:
        setattr(process, key, data[key])
    if hero_image:
        process.hero_image = hero_image
        changed.append("hero_image")
    record_audit(actor, "process.update", process, {"changed": changed})
    return process


def publish_process(actor: User, process: Process) -> None:
    if not process.phases:
        raise DomainError(_l("Add at least one phase before publishing."))
    if process.published_at is None:
        process.published_at = utcnow()
        record_audit(actor, "process.publish", process)


def unpublish_process(actor: User, process: Process) -> None:
    if process.published_at is not None:
        process.published_at = None
        record_audit(actor, "process.unpublish", process)


def _check_phase_dates(process: Process, start: date, end: date) -> None:
    if start > end:
        raise DomainError(_l("The end date must be on or after the start date."))
    if start < process.start_date or end > process.end_date:
        raise DomainError(_l("A phase must lie within the dates of its process."))


def add_phase(actor: User, process: Process, data: dict) -> Phase:
    _check_phase_dates(process, data["start_date"], data["end_date"])
    position = max((p.position for p in process.phases), default=-1) + 1
    phase = Phase(process=process, position=position, title=data["title"], description=data.get("description", ""),
                  start_date=data["start_date"], end_date=data["end_date"],
                  features={f: bool(data.get("features", {}).get(f)) for f in PHASE_FEATURES})
    db.session.add(phase)
    db.session.flush()
    record_audit(actor, "phase.create", phase, {"process": process.slug})
    return phase


def update_phase(actor: User, phase: Phase, data: dict) -> Phase:
    _check_phase_dates(phase.process, data["start_date"], data["end_date"])
    for key in ("title", "description", "start_date", "end_date"):
        setattr(phase, key, data[key])
    record_audit(actor, "phase.update", phase, {"process": phase.process.slug})
    return phase


def delete_phase(actor: User, phase: Phase) -> None:
    process = phase.process
    if process.is_published and len(process.phases) == 1:
        raise DomainError(_l("A published process needs at least one phase."))
    record_audit(actor, "phase.delete", phase, {"process": process.slug, "title": phase.title})
    process.phases.remove(phase)
    db.session.flush()
    for index, other in enumerate(process.phases):
        other.position = index


def move_phase(actor: User, phase: Phase, direction: str) -> None:
    phases = list(phase.process.phases)
    index = phases.index(phase)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(phases):
        raise DomainError(_l("This phase cannot move further."))
    phases[index], phases[target] = phases[target], phases[index]
    for position, item in enumerate(phases):
        item.position = position
    record_audit(actor, "phase.move", phase, {"direction": direction})


def set_phase_switches(actor: User, process: Process, enabled: dict[int, set[str]]) -> None:
    """Replace every phase's switches: `enabled` maps phase id -> the features switched on."""
    known = {phase.id for phase in process.phases}
    if set(enabled) - known:
        raise DomainError(_l("This phase does not belong to this process."), 400)
    changes = {}
    for phase in process.phases:
        new = {feature: feature in enabled.get(phase.id, set()) for feature in PHASE_FEATURES}
        if new != {f: phase.allows(f) for f in PHASE_FEATURES}:
            changes[str(phase.id)] = sorted(f for f, on in new.items() if on)
        phase.features = new
    record_audit(actor, "phase.switches", process, {"enabled": changes})


def pin_phase(actor: User, phase: Phase) -> None:
    process = phase.process
    for other in process.phases:
        other.is_pinned = False
    db.session.flush()
    phase.is_pinned = True
    record_audit(actor, "phase.pin", phase, {"process": process.slug})
    refresh_active_phase(process)


def unpin_phase(actor: User, process: Process) -> None:
    for phase in process.phases:
        phase.is_pinned = False
    record_audit(actor, "phase.unpin", process)
    refresh_active_phase(process)


def refresh_active_phase(process: Process, today: date | None = None) -> bool:
    """Mark the phase that should be active now (pinned, else by dates). True if it changed."""
    wanted = process.current_phase(today or local_today())
    current = process.active_phase
    if wanted is current:
        return False
    # Clear first, then set: the partial unique index allows one active phase per process.
    db.session.execute(update(Phase).where(Phase.process_id == process.id, Phase.is_active.is_(True))
                       .values(is_active=False))
    for phase in process.phases:
        phase.is_active = False
    db.session.flush()
    if wanted is not None:
        wanted.is_active = True
        db.session.flush()
    return True


def refresh_active_phase_safely(process: Process, today: date | None = None) -> bool:
    """refresh_active_phase in a savepoint, for callers that run while other workers may switch the same
    process (the phase job, the on-demand check of the process page): when another worker switched it at
    the same moment, the one-active-phase index refuses this switch; it is rolled back (the rest of the
    transaction stays usable) and the process reloaded. True if this call changed it."""
    try:
        with db.session.begin_nested():
            return refresh_active_phase(process, today)
    except IntegrityError:
        db.session.expire(process)
        return False


def refresh_active_phases(today: date | None = None) -> int:
    """Phase job: bring every process's active phase in line with the calendar."""
    today = today or local_today()
    changed = 0
    for process in db.session.scalars(select(Process).options(selectinload(Process.phases))):
        changed += refresh_active_phase_safely(process, today)
    return changed


def save_group(actor: User, *, name_ja: str, name_en: str) -> ProcessGroup:
    if db.session.scalar(select(ProcessGroup).where(ProcessGroup.name_ja == name_ja.strip())) is not None:
        raise DomainError(_l("A theme with this name already exists."))
    group = ProcessGroup(name_ja=name_ja.strip(), name_en=name_en.strip())
    db.session.add(group)
    db.session.flush()
    record_audit(actor, "process_group.create", group)
    return group
