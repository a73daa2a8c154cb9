"""KPI pages: public dashboard, staff KPI page, API export (bearer token), API token admin, open data."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import (Blueprint, Response, flash, jsonify, redirect, render_template, request, send_file,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participation.accounts.forms import PostForm
from participation.common.csvstream import stream_csv
from participation.common.errors import DomainError
from participation.common.i18n import current_locale
from participation.common.time import local_today, utcnow
from participation.extensions import csrf, db
from participation.kpi import charts, opendata, periods, services
from participation.kpi.engine import RECORD_KEYS, scope_entities
from participation.kpi.forms import TokenForm
from participation.kpi.models import ApiToken
from participation.kpi.params import MAX_COMPUTED_PERIODS, BadFilter, parse_export_args
from participation.kpi.registry import SCOPE_TYPES, available_indicators
from participation.permissions import require

bp = Blueprint("kpi", __name__)
api_bp = Blueprint("kpi_api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)  # GET only, authenticated by a bearer token, never by the session cookie

OPEN_DATA_MAX_AGE = timedelta(hours=26)
TREND_CODES = ("participants", "new_registrations", "proposals_submitted", "supports_given", "comments_posted",
               "processes_open")


# --- export --------------------------------------------------------------------------------
def _api_error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kpi"'
    return response


def _bearer() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _export_records(args) -> list[dict]:
    """Records for validated filters; raises BadFilter. Periods with a published snapshot are served
    from it, the others computed on the fly (at most MAX_COMPUTED_PERIODS of them)."""
    query = parse_export_args(args)
    if query.scope_id is not None and not scope_entities(query.scope_type, query.scope_id):
        raise BadFilter(f"unknown {query.scope_type} {query.scope_id}")
    chosen = query.periods
    if sum(1 for period in chosen if not services.has_snapshot(period)) > MAX_COMPUTED_PERIODS:
        raise BadFilter(f"at most {MAX_COMPUTED_PERIODS} periods without a snapshot can be computed per request; "
                        "narrow from/to or use a longer period_type")
    return [record for period in chosen for record in services.figures(period, query.codes, query.scopes)]


def _api(render):
    if services.authenticate_token(_bearer()) is None:
        db.session.rollback()
        return _api_error(401, "a valid bearer token is required (Authorization: Bearer <token>)")
    db.session.commit()  # last_used_at
    try:
        records = _export_records(request.args)
    except BadFilter as error:
        return _api_error(400, str(error))
    return render(records)


def _json(records):
    # json.dumps keeps the contract's key order (Flask's jsonify would sort the keys).
    body = json.dumps(services.export_document(records), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})


def csv_response(records, filename: str):
    rows = ([record[key] if not isinstance(record[key], bool) else str(record[key]).lower() for key in RECORD_KEYS]
            for record in records)
    response = Response(stream_with_context(stream_csv(list(RECORD_KEYS), rows)), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@api_bp.route("/kpis.json")
def kpis_json():
    return _api(_json)


@api_bp.route("/kpis.csv")
def kpis_csv():
    return _api(lambda records: csv_response(records, "kpis.csv"))


# --- public dashboard ----------------------------------------------------------------------
def _name(indicator_or_record) -> str:
    if isinstance(indicator_or_record, dict):
        key = "indicator_name_en" if current_locale() == "en" else "indicator_name_ja"
        return indicator_or_record[key]
    return indicator_or_record.name_en if current_locale() == "en" else indicator_or_record.name_ja


@bp.route("/participation")
def dashboard():
    today = local_today()
    year = periods.containing("fiscal_year", today)
    available = {ind.code: ind for ind in available_indicators()}
    platform = [("platform", None)]
    headline_codes = [code for code, ind in available.items() if ind.unit in ("count", "persons") and not ind.dimension]
    headline = services.figures(year, headline_codes, platform) if headline_codes else []
    trend_codes = [code for code in TREND_CODES if code in available]
    months, current = [], periods.containing("month", today)
    for _i in range(12):
        months.insert(0, current)
        current = periods.containing("month", current.start - timedelta(days=1))
    series = {code: [] for code in trend_codes}
    for month in months:
        for record in services.figures(month, trend_codes, platform) if trend_codes else []:
            series[record["indicator_code"]].append((month, record))
    label = (lambda m: f"{m.start.month}月") if current_locale() == "ja" else (lambda m: m.start.strftime("%b"))
    trends = []
    for code in trend_codes:
        title = _("%(name)s by month (last 12 months)", name=_name(available[code]))
        points = [(label(month), record["value"]) for month, record in series[code]]
        trends.append({"code": code, "title": title, "svg": charts.bar_chart(points, title, f"chart-{code}"),
                       "rows": [(month, record) for month, record in series[code]]})
    return render_template("kpi/dashboard.html", year=year, headline=headline, trends=trends, name=_name)


# --- staff page ----------------------------------------------------------------------------
@bp.route("/staff/kpis")
@require("kpi.staff")
def staff():
    args = request.args.to_dict()
    args.setdefault("period_type", "month")
    error, records = None, []
    try:
        if args["period_type"] == "day" and not args.get("from"):
            args["from"] = args["to"] = (local_today() - timedelta(days=1)).isoformat()
        records = _export_records(args)
    except BadFilter as exc:
        error = str(exc)
    csv_args = {k: v for k, v in args.items() if k in ("period_type", "from", "to", "scope_type", "scope_id", "codes") and v}
    return render_template("kpi/staff.html", records=records, error=error, args=args, csv_args=csv_args,
                           indicators=available_indicators(), scope_types=SCOPE_TYPES,
                           period_types=periods.PERIOD_TYPES, name=_name), (400 if error else 200)


@bp.route("/staff/kpis.csv")
@require("kpi.staff")
def staff_csv():
    try:
        records = _export_records(request.args)
    except BadFilter as error:
        return render_template("errors/error.html", status=400, title=_("The request could not be understood"),
                               detail=str(error)), 400
    return csv_response(records, "kpis.csv")


# --- API tokens (admin) --------------------------------------------------------------------
def _tokens():
    return db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@require("admin.api_tokens")
def api_tokens():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, plain = services.create_token(current_user, form.name.data)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            # Shown once in this response (never in a flash message: the session cookie is not secret).
            response = render_template("kpi/api_tokens.html", form=TokenForm(formdata=None), tokens=_tokens(),
                                       new_token=plain, new_name=token.name, post_form=PostForm())
            return response, 201, {"Cache-Control": "no-store"}
    status = 422 if request.method == "POST" else 200
    return render_template("kpi/api_tokens.html", form=form, tokens=_tokens(), new_token=None,
                           post_form=PostForm()), status


@bp.route("/admin/api-tokens/<int:token_id>/revoke", methods=["POST"])
@require("admin.api_tokens")
def revoke_api_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if PostForm().validate_on_submit():
        try:
            services.revoke_token(current_user, token)
            db.session.commit()
            flash(_("The token has been revoked."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    return redirect(url_for("kpi.api_tokens"))


# --- open data -----------------------------------------------------------------------------
@bp.route("/open-data.zip")
def open_data():
    """The ZIP regenerated by the job when it is recent and no process changed since, otherwise streamed live."""
    cached = opendata.cached_path()
    headers = {"Content-Disposition": 'attachment; filename="open-data.zip"'}
    if cached.is_file():
        age = utcnow().timestamp() - cached.stat().st_mtime
        if age < OPEN_DATA_MAX_AGE.total_seconds() and not opendata.cache_outdated(cached):
            return send_file(cached, mimetype="application/zip", as_attachment=True, download_name="open-data.zip")
    return Response(stream_with_context(opendata.stream_zip()), mimetype="application/zip", headers=headers)
