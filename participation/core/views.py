"""Site-wide pages: home, policies, language switch, health check."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import text

from participation.accounts import services as account_services
from participation.accounts.forms import PostForm
from participation.common.fragments import cached_html
from participation.common.i18n import current_locale, municipality_name, set_language_cookie
from participation.common.security import safe_next
from participation.common.time import local_today
from participation.common.uploads import stored_path
from participation.core.frames import (CSRF_HOLE, PATH_HOLE, SIGN_IN_HOLE, fill_request_holes, header_viewer,
                                       keeping_holes)
from participation.extensions import csrf, db
from participation.processes import queries as process_queries

bp = Blueprint("core", __name__)
HOME_PROCESSES = 6

@bp.app_template_global()
def site_header() -> Markup:
    """The header of every page, rendered once per language, municipality and kind of viewer (signed in, staff
    and admin links; the unread count is a viewer part) and then filled in with this request's CSRF token
    and path (core.frames: kept as holes while a page frame is rendered)."""
    signed_in, staff_link, admin_link = header_viewer()
    html = str(cached_html(
        "site-header", municipality_name(), request.script_root, signed_in, staff_link, admin_link,
        render=lambda: render_template("_site_header.html", csrf=CSRF_HOLE, next_path=PATH_HOLE,
                                       sign_in_url=SIGN_IN_HOLE, locale=current_locale(), signed_in=signed_in,
                                       staff_link=staff_link, admin_link=admin_link)))
    return Markup(html if keeping_holes() else fill_request_holes(html))


@bp.app_template_global()
def site_footer() -> Markup:
    """The footer of every page: the same for everyone in a language."""
    return cached_html("site-footer", municipality_name(), request.script_root,
                       render=lambda: render_template("_site_footer.html"))


@bp.route("/")
def home():
    today = local_today()
    active = db.session.scalars(
        process_queries.visible_processes(None, state="active", today=today).limit(HOME_PROCESSES)).all()
    return render_template("core/home.html", active_processes=active, today=today)


@bp.route("/terms")
def terms():
    return render_template("core/terms.html", version=current_app.config["POLICY_VERSION"])


@bp.route("/privacy")
def privacy():
    return render_template("core/privacy.html", version=current_app.config["POLICY_VERSION"])


@bp.route("/language", methods=["POST"])
@csrf.exempt  # checked below: a guest's choice is only a cookie on their own device
def set_language():
    """Works without JavaScript: a form of buttons. Sticks by cookie for guests and on the account for users.

    A page left open on a phone outlives its session, and with it the form's CSRF token. For a guest the
    switch needs no token (it changes nothing but their own cookie), so the tap still works instead of
    ending on an error page. The account's language is only changed with a valid token; without one the
    page comes back, fresh, asking for one more tap."""
    lang = request.form.get("lang")
    target = safe_next(request.form.get("next"), url_for("core.home"))
    if lang not in current_app.config["LANGUAGES"]:
        return redirect(target)
    if current_user.is_authenticated:
        if not PostForm().validate_on_submit():
            flash(_("Your form expired. Please try again."), "error")
            return redirect(target)
        account_services.set_locale(current_user, lang)
        db.session.commit()
    response = redirect(target)
    set_language_cookie(response, lang)
    return response


@bp.route("/uploads/<name>")
def upload(name: str):
    """Uploaded images: random names only, served with a content type from the stored extension."""
    path = stored_path(name)
    if path is None:
        abort(404)
    response = send_file(path, max_age=7 * 24 * 3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
