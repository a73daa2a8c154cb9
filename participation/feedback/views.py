"""The process feedback report (/processes/<slug>/feedback) and the staff button that publishes it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from participation.accounts.forms import PostForm
from participation.common.errors import DomainError
from participation.common.pagination import page_arg
from participation.extensions import db
from participation.feedback import queries, services
from participation.permissions import can, require
from participation.processes import queries as process_queries
from participation.processes.models import Process
from participation.proposals import queries as proposal_queries

bp = Blueprint("feedback", __name__)


@bp.app_template_global("feedback_report")
def feedback_report(process: Process):
    """The process's published feedback report, or None (for links on the process pages)."""
    return queries.report_for(process)


@bp.route("/processes/<slug>/feedback")
def show(slug: str):
    process = process_queries.process_for_view(slug, current_user)
    # Before publication the report does not exist for residents: 404, not 403 (staff see a preview).
    if not can(current_user, "feedback.view", process):
        abort(404)
    report = queries.report_for(process)
    states = proposal_queries.answer_states()
    wanted = request.args.get("state", "")
    state = wanted if wanted == queries.UNANSWERED or wanted in {s.code for s in states} else None
    counts, total = queries.state_counts(process, states)
    return render_template("feedback/show.html", process=process, report=report, states=states, state=state,
                           counts=counts, total=total, times=queries.answer_times(process),
                           page=queries.feedback_page(process, state=state, page=page_arg()),
                           unanswered=queries.UNANSWERED, buckets=BUCKET_LABELS)


BUCKET_LABELS = {
    "0-7": _l("Within 7 days"),
    "8-30": _l("8 to 30 days"),
    "31-90": _l("31 to 90 days"),
    "91-180": _l("91 to 180 days"),
    "181+": _l("More than 180 days"),
}


@bp.route("/admin/processes/<int:process_id>/feedback/publish", methods=["POST"])
@require("feedback.publish")
def publish(process_id: int):
    process = db.get_or_404(Process, process_id)
    if not PostForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
    else:
        try:
            report = services.publish_feedback(current_user, process)
            db.session.commit()
            flash(_("The feedback report is published. %(count)d participants have been notified.",
                    count=report.notified_count), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for("processes.admin_phases", process_id=process.id))
