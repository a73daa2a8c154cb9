"""Moderation pages: the audit log, the flag form and the staff moderation queue."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation.accounts import services as account_services
from participation.accounts.forms import PostForm
from participation.common.errors import DomainError
from participation.common.pagination import page_arg, paginate
from participation.common.targets import author_id_of, get_target_type, load_target
from participation.extensions import db
from participation.moderation import queries, services
from participation.moderation.forms import BlockAuthorForm, FlagForm
from participation.moderation.models import AuditLog
from participation.permissions import can, deny, require

bp = Blueprint("moderation", __name__)

account_services.DATA_EXPORTERS["flags"] = services.export_flags


@bp.route("/admin/audit")
@require("admin.audit")
def audit_log():
    action = (request.args.get("action") or "")[:60]
    stmt = select(AuditLog).options(joinedload(AuditLog.actor)).order_by(AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    return render_template("moderation/audit.html", page=paginate(stmt), action=action)


@bp.route("/flag/<target_type>/<int:target_id>", methods=["GET", "POST"])
def flag(target_type: str, target_id: int):
    kind = get_target_type(target_type)
    target = load_target(target_type, target_id)
    if not can(current_user, "moderation.flag", target):
        return deny("moderation.flag")
    back = kind.url(target)
    if author_id_of(target) == current_user.id:
        flash(_("You cannot report your own content."), "error")
        return redirect(back)
    if queries.has_flagged(current_user, target_type, target_id):
        flash(_("You have already reported this. Thank you, our staff will look at it."), "info")
        return redirect(back)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag_content(current_user, target_type, target_id, form.reason.data, form.details.data)
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 409:
                flash(str(error.message), "info")
                return redirect(back)
            form.reason.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Thank you. Our staff will look at your report."), "success")
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/flag.html", form=form, kind=kind, target=target, back=back), status


@bp.route("/staff/moderation")
@require("moderation.manage")
def queue():
    state = request.args.get("state") if request.args.get("state") in queries.STATES else "all"
    page = queries.moderation_queue(state, page_arg())
    return render_template("moderation/queue.html", page=page, state=state, block_form=BlockAuthorForm(),
                           form=PostForm())


ACTIONS = {
    "hide": (services.hide_content, _l("The content has been hidden.")),
    "unhide": (services.unhide_content, _l("The content is visible again.")),
    "dismiss": (services.dismiss_flags, _l("The reports have been dismissed.")),
}


@bp.route("/staff/moderation/<target_type>/<int:target_id>/<action>", methods=["POST"])
@require("moderation.manage")
def act(target_type: str, target_id: int, action: str):
    load_target(target_type, target_id)
    back = redirect(url_for("moderation.queue", state=request.args.get("state")))
    if action == "block":
        form = BlockAuthorForm()
        if not form.validate_on_submit():
            flash(_("Please give a reason (at most 500 characters)."), "error")
            return back
        try:
            services.block_author(current_user, target_type, target_id, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return back
        db.session.commit()
        flash(_("The author has been blocked."), "success")
        return back
    if action not in ACTIONS:
        abort(404)
    if not PostForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return back
    function, message = ACTIONS[action]
    try:
        function(current_user, target_type, target_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return back
    db.session.commit()
    flash(str(message), "success")
    return back
