"""Public process pages (/processes) and their administration (/admin/processes)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.accounts import queries as account_queries
from participation.accounts.forms import PostForm
from participation.common.errors import DomainError, render_error
from participation.common.i18n import current_locale
from participation.common.numbers import parse_id
from participation.common.pagination import paginate
from participation.common.time import local_today
from participation.common.uploads import discard_image, save_image
from participation.extensions import db
from participation.permissions import can, require
from participation.processes import queries, services
from participation.processes.forms import COMPONENT_LABELS, FEATURE_COMPONENT, FEATURE_LABELS, GroupForm, PhaseForm, ProcessForm
from participation.processes.models import PHASE_FEATURES, Process

bp = Blueprint("processes", __name__)


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


@bp.route("/processes")
def index():
    state = request.args.get("state") if request.args.get("state") in queries.STATES else None
    area_id = _int_arg("area")
    page = paginate(queries.visible_processes(current_user, state=state, area_id=area_id, today=local_today()))
    return render_template("processes/index.html", page=page, state=state, area_id=area_id,
                           areas=account_queries.areas(), today=local_today())


@bp.route("/processes/<slug>")
def show(slug: str):
    process = queries.process_for_view(slug, current_user)
    today = local_today()
    # On-demand check: the calendar may have passed a boundary since the phase job last ran (the first
    # visitors after a boundary may race each other: the loser keeps the winner's switch).
    if services.refresh_active_phase_safely(process, today):
        db.session.commit()
    phase = process.current_phase(today)
    # What the phase opens, and which of it this visitor may do (guests: what needs no account).
    open_now = [feature for feature in PHASE_FEATURES
                if phase is not None and process.hosts(FEATURE_COMPONENT[feature]) and phase.allows(feature)]
    allowed_now = [feature for feature in open_now if can(current_user, feature, process)]
    return render_template("processes/show.html", process=process, phase=phase, today=today,
                           schedule_state=process.schedule_state(today), next_phase=process.next_phase(today),
                           allowed_now=allowed_now, open_now=open_now, feature_labels=FEATURE_LABELS,
                           figures=queries.process_figures(process), component_labels=COMPONENT_LABELS)


# --- administration ------------------------------------------------------------------------
def _load(process_id: int) -> Process:
    return db.get_or_404(Process, process_id)


def _fill_choices(form: ProcessForm) -> None:
    locale = current_locale()
    form.area_id.choices = [("", _("None"))] + [(a.id, a.name(locale)) for a in account_queries.areas()]
    form.group_id.choices = [("", _("None"))] + [(g.id, g.name(locale)) for g in queries.groups()]


def _hero_image(form: ProcessForm) -> str | None:
    upload = form.hero_image.data
    if upload and getattr(upload, "filename", ""):
        return save_image(upload)
    return None


@bp.route("/admin/processes")
@require("process.manage")
def admin_index():
    return render_template("processes/admin/index.html", page=paginate(queries.admin_processes()),
                           group_form=GroupForm())


@bp.route("/admin/processes/new", methods=["GET", "POST"])
@require("process.manage")
def admin_new():
    form = ProcessForm(support_limit=0, proposal_body_max=3000, edit_window_minutes=60, hide_after_flags=3,
                       proposal_limit=0)
    _fill_choices(form)
    if form.validate_on_submit():
        image = None
        try:
            image = _hero_image(form)
            process = services.create_process(current_user, form.process_data(), image)
        except DomainError as error:
            db.session.rollback()
            discard_image(image)
            flash(str(error.message), "error")
            return render_template("processes/admin/form.html", form=form, process=None), 422
        db.session.commit()
        flash(_("The process has been created. Add its phases next."), "success")
        return redirect(url_for("processes.admin_phases", process_id=process.id))
    status = 422 if request.method == "POST" else 200
    return render_template("processes/admin/form.html", form=form, process=None), status


@bp.route("/admin/processes/<int:process_id>/edit", methods=["GET", "POST"])
@require("process.manage")
def admin_edit(process_id: int):
    process = _load(process_id)
    form = ProcessForm(obj=process)
    _fill_choices(form)
    if form.validate_on_submit():
        image, previous = None, process.hero_image
        try:
            image = _hero_image(form)
            services.update_process(current_user, process, form.process_data(), image)
        except DomainError as error:
            db.session.rollback()
            discard_image(image)
            flash(str(error.message), "error")
            return render_template("processes/admin/form.html", form=form, process=process), 422
        db.session.commit()
        if image and previous and previous != image:
            discard_image(previous)  # the replaced image is no longer shown anywhere
        flash(_("The process has been saved."), "success")
        return redirect(url_for("processes.admin_phases", process_id=process.id))
    status = 422 if request.method == "POST" else 200
    return render_template("processes/admin/form.html", form=form, process=process), status


def _post_action(process_id: int, action, success: str):
    process = _load(process_id)
    if not PostForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
    else:
        try:
            action(process)
            db.session.commit()
            flash(success, "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for("processes.admin_phases", process_id=process.id))


@bp.route("/admin/processes/<int:process_id>/publish", methods=["POST"])
@require("process.manage")
def admin_publish(process_id: int):
    return _post_action(process_id, lambda p: services.publish_process(current_user, p),
                        _("The process is published."))


@bp.route("/admin/processes/<int:process_id>/unpublish", methods=["POST"])
@require("process.manage")
def admin_unpublish(process_id: int):
    return _post_action(process_id, lambda p: services.unpublish_process(current_user, p),
                        _("The process is no longer published."))


@bp.route("/admin/processes/<int:process_id>/unpin", methods=["POST"])
@require("process.manage")
def admin_unpin(process_id: int):
    return _post_action(process_id, lambda p: services.unpin_phase(current_user, p),
                        _("The active phase follows the dates again."))


@bp.route("/admin/processes/<int:process_id>/phases", methods=["GET", "POST"])
@require("process.manage")
def admin_phases(process_id: int):
    process = _load(process_id)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            services.add_phase(current_user, process, form.phase_data())
        except DomainError as error:
            db.session.rollback()
            form.start_date.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The phase has been added."), "success")
            return redirect(url_for("processes.admin_phases", process_id=process.id))
    status = 422 if request.method == "POST" else 200
    return render_template("processes/admin/phases.html", process=process, form=form, post_form=PostForm(),
                           today=local_today()), status


@bp.route("/admin/processes/<int:process_id>/phases/<int:phase_id>", methods=["GET", "POST"])
@require("process.manage")
def admin_phase(process_id: int, phase_id: int):
    process = _load(process_id)
    phase = queries.phase_of_process(process, phase_id)
    form = PhaseForm(obj=phase)
    if form.validate_on_submit():
        try:
            services.update_phase(current_user, phase, form.phase_data())
        except DomainError as error:
            db.session.rollback()
            form.start_date.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The phase has been saved."), "success")
            return redirect(url_for("processes.admin_phases", process_id=process.id))
    status = 422 if request.method == "POST" else 200
    return render_template("processes/admin/phase.html", process=process, phase=phase, form=form), status


@bp.route("/admin/processes/<int:process_id>/phases/<int:phase_id>/<any(up, down, pin, delete):action>",
          methods=["POST"])
@require("process.manage")
def admin_phase_action(process_id: int, phase_id: int, action: str):
    process = _load(process_id)
    phase = queries.phase_of_process(process, phase_id)
    actions = {
        "up": (lambda: services.move_phase(current_user, phase, "up"), _("The phase has been moved.")),
        "down": (lambda: services.move_phase(current_user, phase, "down"), _("The phase has been moved.")),
        "pin": (lambda: services.pin_phase(current_user, phase), _("This phase stays active until you unpin it.")),
        "delete": (lambda: services.delete_phase(current_user, phase), _("The phase has been deleted.")),
    }
    run, message = actions[action]
    return _post_action(process_id, lambda _p: run(), message)


@bp.route("/admin/processes/<int:process_id>/switches", methods=["GET", "POST"])
@require("process.manage")
def admin_switches(process_id: int):
    process = _load(process_id)
    form = PostForm()
    if form.validate_on_submit():
        enabled: dict[int, set[str]] = {phase.id: set() for phase in process.phases}
        for key in request.form:
            raw_phase_id, _sep, feature = key.partition(":")
            phase_id = parse_id(raw_phase_id)
            if phase_id is None or feature not in PHASE_FEATURES:
                continue
            enabled.setdefault(phase_id, set()).add(feature)
        try:
            services.set_phase_switches(current_user, process, enabled)
        except DomainError as error:  # a tampered form naming another process's phase
            db.session.rollback()
            return render_error(error.status_code, error.message)
        db.session.commit()
        flash(_("The phase switches have been saved."), "success")
        return redirect(url_for("processes.admin_phases", process_id=process.id))
    return render_template("processes/admin/switches.html", process=process, form=form,
                           features=PHASE_FEATURES, feature_labels=FEATURE_LABELS,
                           feature_component=FEATURE_COMPONENT)


@bp.route("/admin/process-groups", methods=["POST"])
@require("process.manage")
def admin_group_create():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            services.save_group(current_user, name_ja=form.name_ja.data, name_en=form.name_en.data)
            db.session.commit()
            flash(_("The theme has been added."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        flash(_("Please check what you entered."), "error")
    return redirect(url_for("processes.admin_index"))
