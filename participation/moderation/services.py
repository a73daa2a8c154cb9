"""Moderation writes: the audit log (record_audit() is the one way to write it), flags, the hide
threshold and staff actions. Other feature modules are imported inside functions, because
accounts.services imports this module."""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from participation.common.errors import DomainError, NotAllowed
from participation.common.targets import author_id_of, can_hide, get_target_type, lock_row, process_of_target
from participation.common.time import utcnow
from participation.extensions import db
from participation.moderation.models import FLAG_REASONS, AuditLog, Flag


def record_audit(actor, action: str, target=None, details: dict | None = None) -> AuditLog:
    target_type = target_id = None
    if target is not None:
        target_type = getattr(target, "__tablename__", type(target).__name__)
        target_id = str(getattr(target, "id", target))
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


# --- flags and the moderation queue ------------------------------------------------------------
DEFAULT_HIDE_AFTER_FLAGS = 3
DETAILS_MAX = 500


def hide_threshold(target) -> int:
    process = process_of_target(target)
    value = getattr(process, "hide_after_flags", None) if process is not None else None
    return value if value and value > 0 else DEFAULT_HIDE_AFTER_FLAGS


def open_flag_count(target_type: str, target_id: int) -> int:
    return db.session.scalar(select(func.count(Flag.id)).where(
        Flag.target_type == target_type, Flag.target_id == target_id, Flag.resolved_at.is_(None))) or 0


def flag_content(user, target_type: str, target_id: int, reason: str, details: str | None) -> Flag:
    """Once per user per target; not on own content; hides the target at the process's threshold."""
    from participation.permissions import can

    kind = get_target_type(target_type)
    target = db.session.get(kind.model, target_id)
    if target is None:
        raise DomainError(_l("This content no longer exists."), 404)
    if not can(user, "moderation.flag", target):
        raise NotAllowed(_l("Your account cannot report content."))
    if author_id_of(target) == user.id:
        raise DomainError(_l("You cannot report your own content."))
    if reason not in FLAG_REASONS:
        raise DomainError(_l("Please choose a reason."))
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise DomainError(_l("Please enter at most %(max)d characters.", max=DETAILS_MAX))
    duplicate = _l("You have already reported this. Thank you, our staff will look at it.")
    lock_row(kind.model, target_id)  # concurrent flags on one target are counted one at a time
    if db.session.scalar(select(Flag.id).where(Flag.target_type == target_type, Flag.target_id == target_id,
                                               Flag.reporter_id == user.id)) is not None:
        raise DomainError(duplicate, 409)
    flag = Flag(target_type=target_type, target_id=target_id, reporter_id=user.id, reason=reason, details=details,
                created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError:
        raise DomainError(duplicate, 409) from None
    if can_hide(target) and target.hidden_at is None \
            and open_flag_count(target_type, target_id) >= hide_threshold(target):
        _set_hidden(kind, target, True)
        record_audit(None, "moderation.auto_hide", target, {"target_type": target_type, "flags":
                                                             open_flag_count(target_type, target_id)})
        _tell_author_hidden(kind, target)
    return flag


def _set_hidden(kind, target, hidden: bool) -> None:
    """Hidden state lives on the target row; the update is conditional so concurrent flags hide once."""
    if kind.name == "comment":
        from participation.comments.services import set_comment_hidden

        set_comment_hidden(target, hidden)
        return
    model = kind.model
    now = utcnow()
    condition = model.hidden_at.is_(None) if hidden else model.hidden_at.is_not(None)
    db.session.execute(update(model).where(model.id == target.id, condition)
                       .values(hidden_at=now if hidden else None).execution_options(synchronize_session=False))
    db.session.expire(target, ["hidden_at"])


def _tell_author_hidden(kind, target) -> None:
    from participation.accounts.models import User
    from participation.notifications.services import notify

    author_id = author_id_of(target)
    author = db.session.get(User, author_id) if author_id else None
    if author is None:
        return
    notify([author], "content_hidden", target_type=kind.name, target_id=target.id, title=kind.title(target),
           body=str(_l("Your content has been hidden after reports from other participants, until our staff "
                       "review it.")), url=kind.url(target))


def _resolve_flags(actor, target_type: str, target_id: int, resolution: str) -> int:
    return db.session.execute(
        update(Flag).where(Flag.target_type == target_type, Flag.target_id == target_id,
                           Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution, resolved_by_id=actor.id)
    ).rowcount or 0


def _moderate(actor, target_type: str, target_id: int):
    from participation.permissions import can

    kind = get_target_type(target_type)
    target = db.session.get(kind.model, target_id)
    if target is None:
        raise DomainError(_l("This content no longer exists."), 404)
    if not can(actor, "moderation.manage", target):
        raise NotAllowed(_l("You are not allowed to do this"))
    return kind, target


def hide_content(actor, target_type: str, target_id: int) -> None:
    kind, target = _moderate(actor, target_type, target_id)
    if not can_hide(target):
        raise DomainError(_l("This content cannot be hidden."))
    was_hidden = target.hidden_at is not None
    resolved = _resolve_flags(actor, target_type, target_id, "hidden")
    if not was_hidden:
        _set_hidden(kind, target, True)
        _tell_author_hidden(kind, target)
    record_audit(actor, "moderation.hide", target, {"target_type": target_type, "flags_resolved": resolved})


def unhide_content(actor, target_type: str, target_id: int) -> None:
    kind, target = _moderate(actor, target_type, target_id)
    resolved = _resolve_flags(actor, target_type, target_id, "unhidden")
    if can_hide(target) and target.hidden_at is not None:
        _set_hidden(kind, target, False)
    record_audit(actor, "moderation.unhide", target, {"target_type": target_type, "flags_resolved": resolved})


def dismiss_flags(actor, target_type: str, target_id: int) -> None:
    """The reports were unfounded: close them; visibility is left as it is."""
    kind, target = _moderate(actor, target_type, target_id)
    resolved = _resolve_flags(actor, target_type, target_id, "dismissed")
    record_audit(actor, "moderation.dismiss", target, {"target_type": target_type, "flags_resolved": resolved})


def block_author(actor, target_type: str, target_id: int, reason: str) -> None:
    from participation.accounts.models import User
    from participation.accounts.services import block_user

    kind, target = _moderate(actor, target_type, target_id)
    author_id = author_id_of(target)
    author = db.session.get(User, author_id) if author_id else None
    if author is None or author.is_deleted:
        raise DomainError(_l("This content has no author who could be blocked."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(_l("Please give a reason (at most 500 characters)."))
    block_user(actor, author, reason)  # writes its own audit row
    record_audit(actor, "moderation.block_author", target, {"target_type": target_type, "user_id": author.id})


def export_flags(user) -> list[dict]:
    rows = db.session.scalars(select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.id))
    return [{"target_type": f.target_type, "target_id": f.target_id, "reason": f.reason, "details": f.details,
             "created_at": f.created_at.isoformat() if f.created_at else None,
             "resolution": f.resolution} for f in rows]
