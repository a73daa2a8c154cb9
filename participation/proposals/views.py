"""Proposal pages: list, create (write -> similar -> preview -> publish), a proposal, supports,
endorsements; staff answers, bulk answers, exports; admin states, templates and categories."""
from __future__ import annotations

import json
import re
import secrets

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request, session,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from participation.accounts import queries as account_queries
from participation.accounts.forms import PostForm
from participation.common.csvstream import stream_csv
from participation.common.errors import DomainError, render_error
from participation.common.i18n import current_locale
from participation.common.pagination import DEFAULT_PER_PAGE, page_arg, paginate
from participation.common.time import to_local
from participation.common.numbers import parse_id
from participation.common.pagecache import exclude_viewer, shared_page, shared_value
from participation.common.uploads import discard_image, save_image
from participation.core.frames import framed
from participation.extensions import db
from participation.moderation.services import record_audit
from participation.permissions import can, deny, require
from participation.processes import queries as process_queries
from participation.processes.models import Process
from participation.proposals import parts as _parts  # noqa: F401  (registers the viewer parts)
from participation.proposals import notifications as proposal_notifications
from participation.proposals import personal_data, queries, services, targets
from participation.proposals.cards import cards_html, list_content_html
from participation.proposals.forms import (AnswerForm, AnswerStateForm, AnswerTemplateForm, CategoryForm,
                                           NewProposalForm, ProposalForm)
from participation.proposals.models import RANDOM_KEY_RANGE, Proposal

bp = Blueprint("proposals", __name__)

process_queries.FIGURES[_l("Participants")] = queries.process_participant_count
process_queries.FIGURES[_l("Proposals")] = queries.process_proposal_count
process_queries.FIGURES[_l("Supports")] = queries.process_support_count
process_queries.FIGURES[_l("Comments")] = queries.process_comment_count


@bp.record_once
def _wire_social_features(_state) -> None:
    """At app start (when this blueprint is registered): proposals as a comment/flag/follow target, the
    notification hooks, and the personal-data exporters and deletion hook. Each register() is idempotent,
    so several apps in one process (tests) never register anything twice."""
    targets.register()
    proposal_notifications.register()
    personal_data.register()


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


def _process(slug: str, *, to_read: bool = False) -> Process:
    """The process of a proposal page, or 404; `to_read`: a page that only reads it gets the shared copy."""
    find = process_queries.process_to_read if to_read else process_queries.process_for_view
    process = find(slug, current_user)
    if not process.hosts("proposals"):
        abort(404)
    return process


def _proposal(proposal_id: int) -> Proposal:
    proposal = queries.proposal_for_page(proposal_id)
    if proposal is None or not can(current_user, "proposals.view", proposal):
        abort(404)
    if not can(current_user, "process.view", proposal.process):
        abort(404)
    return proposal


def _own_draft(proposal_id: int) -> Proposal:
    proposal = _proposal(proposal_id)
    if not proposal.is_draft or not current_user.is_authenticated or proposal.author_id != current_user.id:
        abort(404)
    return proposal


# Each visitor's random order is one of this many, kept in their session: enough that neighbours do not all
# see the same first page, few enough that guests share cached pages (participation.common.pagecache).
RANDOM_ORDERS = 64


def _random_seed() -> int:
    seed = session.get("proposal_seed")
    if not isinstance(seed, int):
        seed = secrets.randbelow(RANDOM_ORDERS) * (RANDOM_KEY_RANGE // RANDOM_ORDERS)  # a start point, spread out
        session["proposal_seed"] = seed
    return seed


def _sort() -> str:
    sort = request.args.get("sort")
    return sort if sort in queries.SORTS else "random"


def _list_seed() -> int | None:
    return _random_seed() if _sort() == "random" else None


def _fill_choices(form: ProposalForm, process: Process) -> None:
    locale = current_locale()
    form.category_id.choices = [("", _("No category"))] + [(c.id, c.name(locale))
                                                          for c in queries.categories_for(process)]
    form.area_id.choices = [("", _("No particular area"))] + [(a.id, a.name(locale))
                                                             for a in account_queries.areas()]


def _image(form: ProposalForm) -> str | None:
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        return save_image(upload)
    return None


def _post_ok() -> bool:
    if PostForm().validate_on_submit():
        return True
    flash(_("Your form expired. Please try again."), "error")
    return False


def _act(action, success: str, target: str):
    """Run one service call for a POST button: commit on success, roll back and explain otherwise."""
    if _post_ok():
        try:
            action()
            db.session.commit()
            flash(success, "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(target)


@bp.route("/proposals/states.css")
def states_css():
    """Answer-state colours as a stylesheet (the CSP forbids inline styles)."""
    lines = []
    for state in queries.answer_states():
        if re.fullmatch(r"#[0-9a-fA-F]{6}", state.colour or "") and re.fullmatch(r"[a-z0-9_]+", state.code):
            lines.append(f".state-badge.state-{state.code} {{ border-color: {state.colour}; }}\n"
                         f".state-dot-{state.code} {{ color: {state.colour}; }}")
    response = Response("\n".join(lines) + "\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- list ------------------------------------------------------------------------------------
_LIST_ARGS = ("q", "sort", "status", "state", "category", "area", "mine", "supported")  # kept by the pager


def _list_vary():
    """"My proposals" is the viewer's own list (proposals are public content: the generation covers them).
    "Supported by me" is too, and as supports do not move the generation (see pagecache), its key also
    holds the viewer's activity version: the list changes with each of their supports."""
    own = None
    if current_user.is_authenticated:
        if request.args.get("mine") == "1":
            own = ("mine", current_user.id)
        elif request.args.get("supported") == "1":
            own = ("supported", current_user.id, current_user.activity_version)
    return _list_seed(), own


def list_head_html(process, choices: dict, answers_visible: bool, **shown) -> Markup:
    """The list page above its cards (title, actions, search, order and filters), rendered once per everything
    it shows and shared (common.pagecache.shared_value: the content generation covers the process and the
    filters' choices); the viewer enters the key only by what the head shows them (signed in, may create,
    staff and admin links)."""
    signed_in = current_user.is_authenticated
    viewer = dict(signed_in=signed_in, can_create=can(current_user, "proposals.create", process),
                  staff_links=can(current_user, "staff.answer"),
                  admin_links=can(current_user, "admin.proposal_settings"))
    return shared_value(
        ("proposal-list-head", current_locale(), process.id, answers_visible, *sorted(viewer.items()),
         *sorted(shown.items())),
        lambda: Markup(render_template("proposals/_list_head.html", process=process, categories=choices["category"],
                                       areas=choices["area"], states=choices["state"],
                                       answers_visible=answers_visible, **viewer, **shown)),
        len)


@bp.route("/processes/<slug>/proposals")
@shared_page(vary=_list_vary)
def index(slug: str):
    process = _process(slug, to_read=True)
    answers_visible = can(current_user, "proposals.answers_visible", process)
    status = request.args.get("status") if request.args.get("status") in queries.STATUS_FILTERS else None
    choices = queries.list_filter_choices(process)
    state = request.args.get("state") if answers_visible and request.args.get("state") in {
        s.code for s in choices["state"]} else None
    sort = _sort()
    query = (request.args.get("q") or "").strip()[:100]
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    supported = request.args.get("supported") == "1" and current_user.is_authenticated
    category_id, area_id = _int_arg("category"), _int_arg("area")
    filters = dict(status=status, state=state, category_id=category_id, area_id=area_id,
                   mine=mine, supported=supported, query=query)
    page = queries.list_page(process, current_user, page=page_arg(), per_page=DEFAULT_PER_PAGE, sort=sort,
                             seed=_list_seed() or 0, **filters)
    pager_args = {key: value for key, value in request.args.items() if key in _LIST_ARGS}
    content = list_content_html(
        list_head_html(process, choices, answers_visible, sort=sort, **filters), page,
        cards_html(page.items, locale=current_locale(), answers_visible=answers_visible),
        lambda number: url_for("proposals.index", **dict(pager_args, slug=process.slug, page=number)))
    # The layout around the list is shared (core.frames): its title shows the process's.
    return framed("proposals/index.html", (process.id,), content, process=process)


# --- create: write -> similar -> preview -> publish ----------------------------------------
@bp.route("/processes/<slug>/proposals/new", methods=["GET", "POST"])
def new(slug: str):
    process = _process(slug)
    if not can(current_user, "proposals.create", process):
        return deny("proposals.create")
    if services.proposal_limit_reached(current_user, process):  # say so before anything is written
        return render_error(403, _("You have reached the limit of %(limit)d proposals in this process.",
                                   limit=process.proposal_limit))
    form = NewProposalForm(body_max=process.proposal_body_max)
    _fill_choices(form, process)
    if form.validate_on_submit():
        image = None
        try:
            image = _image(form)
            proposal = services.create_draft(current_user, process, form.proposal_data(), image,
                                             submission_key=form.submission_key.key)
        except DomainError as error:
            db.session.rollback()
            discard_image(image)
            form.form_errors.append(str(error.message))
            return render_template("proposals/form.html", form=form, process=process, proposal=None), \
                error.status_code if error.status_code in (400, 422) else 422
        db.session.commit()
        if image and proposal.image != image:  # a resend: the first send's draft keeps the first photo
            discard_image(image)
        # A second send of the same form gets the draft of the first (published since: its page).
        if not proposal.is_draft:
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
        return redirect(url_for("proposals.similar", proposal_id=proposal.id))
    if form.submission_key.errors:  # never typed by a person: a tampered or broken page
        return render_error(400, form.submission_key.errors[0])
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/form.html", form=form, process=process, proposal=None), status


@bp.route("/processes/<slug>/proposals/drafts")
def drafts(slug: str):
    process = _process(slug)
    if not current_user.is_authenticated:
        return deny("proposals.create")
    return render_template("proposals/drafts.html", process=process,
                           drafts=queries.drafts_of(current_user, process), post_form=PostForm())


@bp.route("/proposals/<int:proposal_id>/similar")
def similar(proposal_id: int):
    proposal = _own_draft(proposal_id)
    found = queries.similar_proposals(proposal.process, proposal.title, proposal.body, exclude_id=proposal.id)
    return render_template("proposals/similar.html", proposal=proposal, process=proposal.process, similar=found)


@bp.route("/proposals/<int:proposal_id>/preview")
def preview(proposal_id: int):
    proposal = _own_draft(proposal_id)
    return render_template("proposals/preview.html", proposal=proposal, process=proposal.process,
                           post_form=PostForm())


@bp.route("/proposals/<int:proposal_id>/publish", methods=["POST"])
def publish(proposal_id: int):
    proposal = _proposal(proposal_id)
    if not current_user.is_authenticated or proposal.author_id != current_user.id:
        abort(404)
    if not proposal.is_draft:
        flash(_("This proposal has already been published."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    if not _post_ok():
        return redirect(url_for("proposals.preview", proposal_id=proposal.id))
    try:
        services.publish_proposal(current_user, proposal)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("proposals.preview", proposal_id=proposal_id))
    db.session.commit()
    flash(_("Your proposal has been published. Thank you!"), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: int):
    proposal = _proposal(proposal_id)
    if not can(current_user, "proposals.edit", proposal):
        if current_user.is_authenticated and proposal.author_id == current_user.id:
            flash(_("The time for editing this proposal has passed."), "error")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
        return deny("proposals.edit")
    process = proposal.process
    form = ProposalForm(obj=proposal, body_max=process.proposal_body_max)
    _fill_choices(form, process)
    if form.validate_on_submit():
        image, previous = None, proposal.image
        try:
            image = _image(form)
            services.update_proposal(current_user, proposal, form.proposal_data(), image)
        except DomainError as error:
            db.session.rollback()
            discard_image(image)
            form.form_errors.append(str(error.message))
            return render_template("proposals/form.html", form=form, process=process, proposal=proposal), \
                error.status_code if error.status_code in (400, 403, 422) else 422
        db.session.commit()
        if previous and proposal.image != previous:  # the replaced photo is shown nowhere now
            discard_image(previous)
        if proposal.is_draft:
            return redirect(url_for("proposals.similar", proposal_id=proposal.id))
        flash(_("Your changes have been saved."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/form.html", form=form, process=process, proposal=proposal), status


@bp.route("/proposals/<int:proposal_id>/delete", methods=["POST"])
def delete_draft(proposal_id: int):
    proposal = _own_draft(proposal_id)
    slug = proposal.process.slug
    return _act(lambda: services.delete_draft(current_user, proposal), _("The draft has been deleted."),
                url_for("proposals.drafts", slug=slug))


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
def withdraw(proposal_id: int):
    proposal = _proposal(proposal_id)
    if not current_user.is_authenticated:
        return deny("proposals.withdraw")
    return _act(lambda: services.withdraw_proposal(current_user, proposal),
                _("Your proposal has been withdrawn. It stays visible, marked as withdrawn."),
                url_for("proposals.show", proposal_id=proposal.id))


# --- a proposal ------------------------------------------------------------------------------
@bp.route("/proposals/<int:proposal_id>")
@shared_page(skip=lambda: "reply_to" in request.args)  # the open reply form holds a submission key
def show(proposal_id: int):
    """A proposal. Answer visibility (decided for issue 4): a published answer (published_at set, now or
    by the scheduled job) is public on the proposal's page from then on; the phase switch
    'proposals.answers_visible' decides whether the list shows answer badges and the answer filter.
    Unpublished or scheduled answers are shown to staff only. The page is shared (see pagecache): its
    supports, endorse and follow buttons and comment votes are viewer parts; its author sees their own."""
    proposal = _proposal(proposal_id)
    if proposal.is_draft:
        return redirect(url_for("proposals.preview", proposal_id=proposal.id))
    exclude_viewer(proposal.author_id)  # edit and withdraw buttons, the hidden notice written for them
    answer = proposal.answer
    show_answer = answer is not None and (answer.is_published or can(current_user, "staff.answer"))
    return render_template(
        "proposals/show.html", proposal=proposal, process=proposal.process, answer=answer if show_answer else None,
        endorsers=queries.endorser_names(proposal), threshold=proposal.process.support_threshold)


@bp.route("/proposals/<int:proposal_id>/<any(support, unsupport, endorse, unendorse):action>", methods=["POST"])
def react(proposal_id: int, action: str):
    proposal = _proposal(proposal_id)
    if not current_user.is_authenticated:
        return deny("proposals." + action)
    calls = {
        "support": (services.support, _("Thank you for your support.")),
        "unsupport": (services.withdraw_support, _("Your support has been withdrawn.")),
        "endorse": (services.endorse, _("You endorse this proposal.")),
        "unendorse": (services.withdraw_endorsement, _("Your endorsement has been withdrawn.")),
    }
    call, message = calls[action]
    return _act(lambda: call(current_user, proposal), message,
                url_for("proposals.show", proposal_id=proposal.id))


# --- staff: answers ----------------------------------------------------------------------------
def _staff_process(slug: str) -> Process:
    process = db.session.scalar(select(Process).where(Process.slug == slug))
    if process is None:
        abort(404)
    return process


def _answer_choices(form: AnswerForm) -> None:
    locale = current_locale()
    form.state_id.choices = [(s.id, s.label(locale)) for s in queries.answer_states()]
    form.template_id.choices = [("", _("None"))] + [(t.id, t.title) for t in queries.answer_templates()]


@bp.route("/staff/processes/<slug>/proposals")
@require("staff.answer")
def staff_index(slug: str):
    process = _staff_process(slug)
    states = queries.answer_states()
    state = request.args.get("state") if request.args.get("state") in {s.code for s in states} else None
    query = (request.args.get("q") or "").strip()[:100]
    unanswered = request.args.get("unanswered") == "1"
    page = paginate(queries.staff_list(process, state=state, unanswered=unanswered, query=query))
    form = AnswerForm(publish="draft")
    _answer_choices(form)
    return render_template("proposals/staff/index.html", process=process, page=page, states=states, state=state,
                           query=query, unanswered=unanswered, form=form)


@bp.route("/staff/processes/<slug>/proposals/bulk-answer", methods=["POST"])
@require("staff.answer")
def staff_bulk_answer(slug: str):
    process = _staff_process(slug)
    form = AnswerForm()
    _answer_choices(form)
    target = url_for("proposals.staff_index", slug=slug)
    if not form.validate_on_submit():
        flash(_("Please check what you entered.") + " " + " ".join(
            str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(target)
    ids = [i for i in (parse_id(v) for v in request.form.getlist("proposal_ids")) if i is not None]
    proposals = list(db.session.scalars(select(Proposal).where(Proposal.id.in_(ids),
                                                               Proposal.process_id == process.id)))
    if len(proposals) != len(set(ids)):
        flash(_("Some selected proposals do not belong to this process."), "error")
        return redirect(target)
    data = form.answer_data()
    _apply_template(form, data)
    try:
        count = services.bulk_answer(current_user, proposals, data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(target)
    db.session.commit()
    flash(_("%(count)d proposals have been answered.", count=count), "success")
    return redirect(target)


def _apply_template(form: AnswerForm, data: dict) -> None:
    if form.template_id.data and not (data.get("body") or "").strip():
        template = next((t for t in queries.answer_templates() if t.id == form.template_id.data), None)
        if template is not None:
            data["body"] = template.body


@bp.route("/staff/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@require("staff.answer")
def staff_answer(proposal_id: int):
    proposal = queries.proposal_for_page(proposal_id)
    if proposal is None or proposal.is_draft:
        abort(404)
    answer = proposal.answer
    # The saved answer fills the form only for display: on a POST a field the client left out is empty,
    # not silently kept from the saved answer.
    form = AnswerForm(obj=answer if request.method == "GET" else None,
                      publish="now" if answer is None else ("now" if answer.is_published else "draft"))
    if request.method == "GET" and answer is not None and answer.publish_at:
        # The form shows and takes Japan time; the database holds UTC.
        form.publish_at.data = to_local(answer.publish_at).replace(tzinfo=None)
        if not answer.is_published:
            form.publish.data = "schedule"
    _answer_choices(form)
    if form.validate_on_submit():
        data = form.answer_data()
        _apply_template(form, data)
        try:
            services.save_answer(current_user, proposal, data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
            return render_template("proposals/staff/answer.html", form=form, proposal=proposal), 422
        db.session.commit()
        flash(_("The answer has been saved."), "success")
        return redirect(url_for("proposals.staff_index", slug=proposal.process.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/staff/answer.html", form=form, proposal=proposal), status


# --- staff: exports --------------------------------------------------------------------------
EXPORT_HEADER = ["reference", "title", "status", "category", "area", "author", "published_at", "supports",
                 "endorsements", "comments", "answer_state", "answer", "cost", "execution_period",
                 "answer_published_at", "url"]


def _export_record(proposal: Proposal, locale: str) -> dict:
    answer = proposal.answer
    return {
        "reference": proposal.reference, "title": proposal.title, "status": proposal.status,
        "category": proposal.category.name(locale) if proposal.category else None,
        "area": proposal.area.name(locale) if proposal.area else None,
        "author": proposal.author.public_name if proposal.author else None,
        "published_at": proposal.published_at.isoformat() if proposal.published_at else None,
        "supports": proposal.supports_count, "endorsements": proposal.endorsements_count,
        "comments": proposal.comments_count,
        "answer_state": answer.state.code if answer else None, "answer": answer.body if answer else None,
        "cost": int(answer.cost) if answer and answer.cost is not None else None,
        "execution_period": answer.execution_period if answer else None,
        "answer_published_at": answer.published_at.isoformat() if answer and answer.published_at else None,
        "url": url_for("proposals.show", proposal_id=proposal.id, _external=True),
    }


def _audit_export(process: Process, fmt: str) -> None:
    """Exports contain participants' names: record who took one (committed before streaming)."""
    record_audit(current_user, "proposal.export", process, {"format": fmt})
    db.session.commit()


@bp.route("/staff/processes/<slug>/proposals.csv")
@require("staff.answer")
def export_csv(slug: str):
    process = _staff_process(slug)
    _audit_export(process, "csv")
    locale = current_locale()
    rows = ([_export_record(p, locale)[key] for key in EXPORT_HEADER] for p in queries.export_rows(process))
    response = Response(stream_with_context(stream_csv(EXPORT_HEADER, rows)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="proposals-{process.slug}.csv"'
    return response


@bp.route("/staff/processes/<slug>/proposals.json")
@require("staff.answer")
def export_json(slug: str):
    process = _staff_process(slug)
    _audit_export(process, "json")
    locale = current_locale()

    def generate():
        yield '{"process": ' + json.dumps(process.slug) + ', "proposals": ['
        for index, proposal in enumerate(queries.export_rows(process)):
            yield ("," if index else "") + json.dumps(_export_record(proposal, locale), ensure_ascii=False)
        yield "]}"

    response = Response(stream_with_context(generate()), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="proposals-{process.slug}.json"'
    return response


# --- admin: states, templates, categories ----------------------------------------------------
@bp.route("/admin/proposal-states", methods=["GET", "POST"])
@require("admin.proposal_settings")
def admin_states():
    form = AnswerStateForm()
    if form.validate_on_submit():
        try:
            services.save_answer_state(current_user, code=form.code.data, label_ja=form.label_ja.data,
                                       label_en=form.label_en.data, colour=form.colour.data,
                                       is_accepted=form.is_accepted.data)
        except DomainError as error:
            db.session.rollback()
            form.code.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("The state has been added."), "success")
            return redirect(url_for("proposals.admin_states"))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/admin/states.html", form=form, states=queries.answer_states()), status


@bp.route("/staff/answer-templates", methods=["GET", "POST"])
@require("staff.answer")
def answer_templates():
    form = AnswerTemplateForm()
    form.state_id.choices = [("", _("None"))] + [(s.id, s.label(current_locale())) for s in queries.answer_states()]
    if form.validate_on_submit():
        try:
            services.save_answer_template(current_user, title=form.title.data, body=form.body.data,
                                          state_id=form.state_id.data)
        except DomainError as error:
            db.session.rollback()
            form.state_id.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("The template has been saved."), "success")
            return redirect(url_for("proposals.answer_templates"))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/staff/templates.html", form=form,
                           templates=queries.answer_templates()), status


@bp.route("/admin/proposal-categories", methods=["GET", "POST"])
@require("admin.proposal_settings")
def admin_categories():
    form = CategoryForm()
    processes = list(db.session.scalars(select(Process).order_by(Process.id.desc())))
    form.process_id.choices = [("", _("All processes"))] + [(p.id, p.title) for p in processes]
    if form.validate_on_submit():
        process_id = form.process_id.data
        if process_id is not None and process_id not in {p.id for p in processes}:
            form.process_id.errors.append(_("Please choose a process from the list."))
        else:
            services.save_category(current_user, process_id=process_id, name_ja=form.name_ja.data,
                                   name_en=form.name_en.data or "")
            db.session.commit()
            flash(_("The category has been added."), "success")
            return redirect(url_for("proposals.admin_categories"))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/admin/categories.html", form=form, categories=queries.all_categories(),
                           processes={p.id: p for p in processes}), status
