"""Account pages (/account/...) and user/area administration (/admin/...)."""
from __future__ import annotations

import json

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from participation.accounts import queries, services
from participation.accounts.forms import (AreaForm, BlockForm, ChangeEmailForm, ChangePasswordForm,
                                          CreateUserForm, DeleteAccountForm, DemographicsForm, EmailOnlyForm,
                                          PostForm, ProfileForm, ResetPasswordForm, RoleForm, SignInForm,
                                          SignUpForm)
from participation.accounts.models import Area, User
from participation.common.errors import DomainError
from participation.common.i18n import current_locale, set_language_cookie
from participation.common.numbers import parse_id
from participation.common.pagination import paginate
from participation.common.security import safe_next
from participation.extensions import db, limiter
from participation.permissions import require

bp = Blueprint("accounts", __name__, url_prefix="/account")
admin_bp = Blueprint("accounts_admin", __name__, url_prefix="/admin")


# Every signed-in request reads its account: a statement built once costs a fifth less than session.get(),
# which builds and keys a new one each time (a new session per request has nothing in its identity map).
# Figures read with it: accounts.queries.ACCOUNT_FIGURES.
_ACCOUNT_STATEMENTS: dict[tuple, object] = {}


def _account_statement():
    names = tuple(queries.ACCOUNT_FIGURES)
    stmt = _ACCOUNT_STATEMENTS.get(names)
    if stmt is None:
        stmt = _ACCOUNT_STATEMENTS[names] = select(
            User, *(queries.ACCOUNT_FIGURES[name].label(name) for name in names)).where(User.id == bindparam("id"))
    return stmt


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: the cookie holds `id:session_token`, so rotating the token ends sessions."""
    raw_user_id, _sep, token = (session_id or "").partition(":")
    user_id = parse_id(raw_user_id)
    if user_id is None or not token:
        return None
    row = db.session.execute(_account_statement(), {"id": user_id}).one_or_none()
    user = row[0] if row is not None else None
    if user is None or not user.is_active or user.session_token != token:
        return None
    g.account_figures = dict(zip(queries.ACCOUNT_FIGURES, row[1:]))
    return user


def _invalid(template: str, **context):
    return render_template(template, **context), 422


def _login_failure(response) -> bool:
    return response.status_code != 302


def _email_key() -> str:
    return "signin:" + services.normalise_email(request.form.get("email", ""))[:254]


# --- sign up, confirm ----------------------------------------------------------------------
@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignUpForm()
    if request.method == "GET":
        form.locale.data = current_locale()
    if form.validate_on_submit():
        try:
            services.register_user(email=form.email.data, display_name=form.display_name.data,
                                   password=form.password.data, locale=form.locale.data)
            db.session.commit()
        except IntegrityError:
            # A simultaneous sign-up with the same address won the unique constraint: answer as for a
            # taken address (the page never says whether an address has an account).
            db.session.rollback()
        return redirect(url_for("accounts.check_mail"))
    if request.method == "POST":
        return _invalid("accounts/sign_up.html", form=form)
    return render_template("accounts/sign_up.html", form=form)


@bp.route("/check-your-mail")
def check_mail():
    return render_template("accounts/check_mail.html")


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        services.confirm_email(token)
    except DomainError as error:
        db.session.rollback()
        return render_template("accounts/token_invalid.html", message=error.message), 400
    db.session.commit()
    flash(_("Thank you. Your email address is confirmed. You can now sign in."), "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/resend-confirmation", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = services.user_by_email(form.email.data)
        if user is not None and user.is_active:
            services.send_confirmation(user)
            db.session.commit()
        return redirect(url_for("accounts.check_mail"))
    return render_template("accounts/resend.html", form=form), (422 if request.method == "POST" else 200)


# --- sign in, sign out ---------------------------------------------------------------------
@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], deduct_when=_login_failure)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_email_key,
               deduct_when=_login_failure)
def sign_in():
    next_url = safe_next(request.args.get("next") or request.form.get("next"), url_for("core.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None or user.is_deleted:
            flash(_("The email address or password is not correct."), "error")
        elif user.is_blocked:
            flash(_("This account is blocked. Please contact the municipality."), "error")
        elif user.confirmed_at is None:
            flash(_("Please confirm your email address first. We can send the link again."), "error")
            return render_template("accounts/sign_in.html", form=form, next_url=next_url, unconfirmed=True), 422
        else:
            # Rotate the session: nothing from before sign-in survives into the signed-in session.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user, remember=form.remember.data)
            services.record_sign_in(user)
            db.session.commit()
            response = redirect(next_url)
            set_language_cookie(response, user.locale)
            return response
        return render_template("accounts/sign_in.html", form=form, next_url=next_url), 422
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/sign_in.html", form=form, next_url=next_url), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    form = PostForm()
    if form.validate_on_submit():
        # Clear first: logout_user() leaves a flag in the session that deletes the remember-me cookie.
        session.clear()
        logout_user()
        flash(_("You are signed out."), "success")
    return redirect(url_for("core.home"))


# --- password reset ------------------------------------------------------------------------
@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        # Same answer whether or not the address has an account.
        flash(_("If an account exists for this address, we have sent a link to reset the password."), "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    if request.method == "GET" and not services.token_is_usable(token, "reset"):
        return render_template("accounts/token_invalid.html",
                               message=_("This link is invalid or has expired. Please request a new one.")), 400
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as error:
            db.session.rollback()
            return render_template("accounts/token_invalid.html", message=error.message), 400
        db.session.commit()
        flash(_("Your password has been changed. Please sign in."), "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset.html", form=form), (422 if request.method == "POST" else 200)


# --- my account ----------------------------------------------------------------------------
@bp.route("/")
@require("account.manage")
def overview():
    return render_template("accounts/overview.html", post_form=PostForm())


@bp.route("/profile", methods=["GET", "POST"])
@require("account.manage")
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, display_name=form.display_name.data, locale=form.locale.data)
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        response = redirect(url_for("accounts.overview"))
        set_language_cookie(response, current_user.locale)
        return response
    return render_template("accounts/profile.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/password", methods=["GET", "POST"])
@require("account.manage")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            form.current_password.errors.append(error.message)
            return _invalid("accounts/password.html", form=form)
        user = current_user._get_current_object()
        db.session.commit()
        login_user(user)  # keep this session alive with the new token; others end
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("accounts.overview"))
    return render_template("accounts/password.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/email", methods=["GET", "POST"])
@require("account.manage")
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data, form.current_password.data)
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(error.message)
            return _invalid("accounts/email.html", form=form)
        db.session.commit()
        flash(_("We have sent a confirmation link to the new address."), "success")
        return redirect(url_for("accounts.overview"))
    return render_template("accounts/email.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        services.confirm_email_change(token)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return render_template("accounts/token_invalid.html", message=error.message), 400
    except IntegrityError:  # the address was taken by another account meanwhile
        db.session.rollback()
        return render_template("accounts/token_invalid.html",
                               message=_("This email address cannot be used.")), 400
    flash(_("Your new email address is confirmed."), "success")
    return redirect(url_for("accounts.overview" if current_user.is_authenticated else "accounts.sign_in"))


@bp.route("/statistics-consent", methods=["GET", "POST"])
@require("account.manage")
def demographics():
    profile = current_user.profile
    form = DemographicsForm(
        age_band=profile.age_band if profile else "", age_consent=bool(profile and profile.age_band),
        area_id=profile.area_id if profile else None, area_consent=bool(profile and profile.area_id),
    )
    form.area_id.choices = [("", _("Not given"))] + [(a.id, a.name(current_locale())) for a in queries.areas()]
    if form.validate_on_submit():
        try:
            services.update_demographics(current_user, age_band=form.age_band.data or None,
                                         age_consent=form.age_consent.data, area_id=form.area_id.data,
                                         area_consent=form.area_consent.data)
        except DomainError as error:
            db.session.rollback()
            form.area_id.errors.append(error.message)
            return _invalid("accounts/demographics.html", form=form)
        db.session.commit()
        flash(_("Your choices have been saved."), "success")
        return redirect(url_for("accounts.overview"))
    return render_template("accounts/demographics.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/data", methods=["GET", "POST"])
@require("account.manage")
def download_data():
    form = PostForm()
    if request.method == "POST" and form.validate_on_submit():
        data = services.export_user_data(current_user)
        db.session.commit()
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="my-data-{current_user.id}.json"',
                                 "Cache-Control": "no-store"})
    return render_template("accounts/data.html", form=form)


@bp.route("/delete", methods=["GET", "POST"])
@require("account.manage")
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.current_password.data)
        except DomainError as error:
            db.session.rollback()
            form.current_password.errors.append(error.message)
            return _invalid("accounts/delete.html", form=form)
        db.session.commit()
        session.clear()
        logout_user()  # after clear(): it flags the remember-me cookie for deletion
        flash(_("Your account has been deleted."), "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/delete.html", form=form), (422 if request.method == "POST" else 200)


# --- administration ------------------------------------------------------------------------
@admin_bp.route("/")
@require("admin.access")
def index():
    return render_template("admin/index.html")


@admin_bp.route("/users")
@require("admin.users")
def users():
    search = (request.args.get("q") or "")[:100]
    role = request.args.get("role") if request.args.get("role") in ("resident", "staff", "admin") else None
    page = paginate(queries.users_select(search=search, role=role))
    return render_template("admin/users.html", page=page, search=search, role=role)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users")
def new_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(email=form.email.data, display_name=form.display_name.data,
                                        password=form.password.data, role=form.role.data, actor=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(error.message)
            return _invalid("admin/user_new.html", form=form)
        except IntegrityError:  # created by someone else at the same moment
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
            return _invalid("admin/user_new.html", form=form)
        flash(_("The account has been created."), "success")
        return redirect(url_for("accounts_admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), (422 if request.method == "POST" else 200)


def _load_user(user_id: int, **_kw) -> User:
    return db.get_or_404(User, user_id)


@admin_bp.route("/users/<int:user_id>")
@require("admin.users")
def user(user_id: int):
    target = _load_user(user_id)
    return render_template("admin/user.html", target=target, role_form=RoleForm(role=target.role),
                           block_form=BlockForm(), post_form=PostForm())


@admin_bp.route("/users/<int:user_id>/role", methods=["POST"])
@require("admin.users")
def user_role(user_id: int):
    target = _load_user(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.set_role(current_user, target, form.role.data)
            db.session.commit()
            flash(_("The role has been changed."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        flash(_("Please check what you entered."), "error")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


@admin_bp.route("/users/<int:user_id>/block", methods=["POST"])
@require("admin.users")
def user_block(user_id: int):
    target = _load_user(user_id)
    form = BlockForm()
    if form.validate_on_submit():
        try:
            services.block_user(current_user, target, form.reason.data)
            db.session.commit()
            flash(_("The account has been blocked."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
    else:
        flash(_("Please give a reason (at most 500 characters)."), "error")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


@admin_bp.route("/users/<int:user_id>/unblock", methods=["POST"])
@require("admin.users")
def user_unblock(user_id: int):
    target = _load_user(user_id)
    if PostForm().validate_on_submit():
        services.unblock_user(current_user, target)
        db.session.commit()
        flash(_("The account has been unblocked."), "success")
    return redirect(url_for("accounts_admin.user", user_id=target.id))


@admin_bp.route("/areas", methods=["GET", "POST"])
@require("admin.areas")
def areas():
    form = AreaForm()
    if form.validate_on_submit():
        try:
            services.save_area(current_user, None, name_ja=form.name_ja.data, name_en=form.name_en.data,
                               position=int(form.position.data or 0))
        except DomainError as error:
            db.session.rollback()
            form.name_ja.errors.append(error.message)
            return _invalid("admin/areas.html", form=form, areas=queries.areas())
        db.session.commit()
        flash(_("The area has been saved."), "success")
        return redirect(url_for("accounts_admin.areas"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/areas.html", form=form, areas=queries.areas()), status


@admin_bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@require("admin.areas")
def area(area_id: int):
    target = db.get_or_404(Area, area_id)
    form = AreaForm(obj=target)
    if form.validate_on_submit():
        try:
            services.save_area(current_user, target, name_ja=form.name_ja.data, name_en=form.name_en.data,
                               position=int(form.position.data or 0))
        except DomainError as error:
            db.session.rollback()
            form.name_ja.errors.append(error.message)
            return _invalid("admin/area.html", form=form, area=target)
        db.session.commit()
        flash(_("The area has been saved."), "success")
        return redirect(url_for("accounts_admin.areas"))
    return render_template("admin/area.html", form=form, area=target), (422 if request.method == "POST" else 200)
