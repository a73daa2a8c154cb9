"""Moderation pages: for now the audit log."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation.common.pagination import paginate
from participation.moderation.models import AuditLog
from participation.permissions import require

bp = Blueprint("moderation", __name__)


@bp.route("/admin/audit")
@require("admin.audit")
def audit_log():
    action = (request.args.get("action") or "")[:60]
    stmt = select(AuditLog).options(joinedload(AuditLog.actor)).order_by(AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    return render_template("moderation/audit.html", page=paginate(stmt), action=action)
