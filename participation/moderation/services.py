"""Moderation writes. record_audit() is the one way to write the audit log."""
from __future__ import annotations

from flask import has_request_context, request

from participation.extensions import db
from participation.moderation.models import AuditLog


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
