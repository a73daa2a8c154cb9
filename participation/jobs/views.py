"""Staff page: the registered jobs with their last run, and every run (failures first if asked)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from participation.common.pagination import paginate
from participation.jobs import registry
from participation.jobs.leader import current_holder
from participation.jobs.models import JOB_STATUSES, JobRun
from participation.jobs.runner import last_runs
from participation.permissions import require

bp = Blueprint("jobs", __name__)


@bp.route("/staff/jobs")
@require("staff.jobs")
def runs():
    specs = registry.all_jobs(current_app)
    names = [spec.name for spec in specs]
    status = request.args.get("status", "")
    status = status if status in JOB_STATUSES else ""
    name = request.args.get("name", "")
    name = name if name in names else ""
    stmt = select(JobRun).order_by(JobRun.id.desc())
    if status:
        stmt = stmt.where(JobRun.status == status)
    if name:
        stmt = stmt.where(JobRun.name == name)
    holder, lease_until = current_holder()
    return render_template("jobs/runs.html", specs=specs, triggers={spec.name: spec.describe_trigger(current_app) for spec in specs},
                           latest=last_runs(), page=paginate(stmt, per_page=50),
                           status=status, name=name, statuses=JOB_STATUSES, holder=holder,
                           lease_until=lease_until)
