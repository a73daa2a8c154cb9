"""Notification pages: the notification centre, email settings, follow buttons, and the
staff-only mail outbox used in development and tests."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, flash, get_template_attribute, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation.accounts import services as account_services
from participation.accounts.forms import PostForm
from participation.common.errors import DomainError
from participation.common.fragments import cached_macro
from participation.common.pagecache import part_filler
from participation.common.pagination import paginate
from participation.common.security import safe_next
from participation.common.targets import get_target_type, load_target
from participation.extensions import db
from participation.notifications import queries, services
from participation.notifications.forms import FollowForm, SettingsForm
from participation.notifications.mail import list_outbox, outbox_dir
from participation.permissions import can, deny, require

bp = Blueprint("notifications", __name__)

account_services.DATA_EXPORTERS["notifications"] = services.export_notifications
account_services.DATA_EXPORTERS["follows"] = services.export_follows
account_services.DATA_EXPORTERS["notification_settings"] = services.export_settings
if services.forget_user not in account_services.DELETION_HOOKS:
    account_services.DELETION_HOOKS.append(services.forget_user)


@bp.app_template_global()
def unread_notifications_count() -> int:
    """For the header badge: one COUNT over an index."""
    if not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user)


@part_filler("notifications_link")
def notifications_link(facts: list[dict]) -> list[str]:
    """The header's link to the notification centre with the viewer's unread count (a viewer part)."""
    html = str(cached_macro("notifications/_parts.html", "notifications_link", unread_notifications_count()))
    return [html] * len(facts)


@bp.app_template_global()
def following_available(target_type: str, target) -> bool:
    return can(current_user, "notifications.follow", target)


@part_filler("follow_button")
def follow_buttons(facts: list[dict]) -> list[str]:
    """Follow / unfollow buttons as this viewer sees them (a viewer part). Facts: target_type, target_id."""
    button = get_template_attribute("notifications/_parts.html", "follow_button")
    followed = services.followed_among(current_user, [(f["target_type"], f["target_id"]) for f in facts])
    return [str(button(f["target_type"], f["target_id"], (f["target_type"], f["target_id"]) in followed))
            for f in facts]


@bp.route("/notifications")
@require("notifications.view")
def index():
    page = paginate(queries.notifications_for(current_user))
    return render_template("notifications/index.html", page=page, kind_label=services.kind_label,
                           form=PostForm())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@require("notifications.view")
def open_notification(notification_id: int):
    if not PostForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    row = services.mark_read(current_user, notification_id)
    if row is None:
        abort(404)
    db.session.commit()
    return redirect(safe_next(row.url, url_for("notifications.index")))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@require("notifications.view")
def mark_read(notification_id: int):
    if PostForm().validate_on_submit():
        if services.mark_read(current_user, notification_id) is None:
            abort(404)
        db.session.commit()
    return redirect(url_for("notifications.index", page=request.args.get("page", type=int)))


@bp.route("/notifications/read-all", methods=["POST"])
@require("notifications.view")
def mark_all_read():
    if PostForm().validate_on_submit():
        count = services.mark_all_read(current_user)
        db.session.commit()
        flash(_("%(count)d notifications marked as read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@require("notifications.view")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.email_frequency.data = services.email_frequency(current_user)
    if form.validate_on_submit():
        try:
            services.set_email_frequency(current_user, form.email_frequency.data)
        except DomainError as error:
            db.session.rollback()
            form.email_frequency.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your notification settings have been saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/follow/<target_type>/<int:target_id>", methods=["POST"])
def follow(target_type: str, target_id: int):
    kind = get_target_type(target_type)
    target = load_target(target_type, target_id)
    if not can(current_user, "notifications.follow", target):
        if not current_user.is_authenticated:  # POST-only URL: come back to the target after sign-in
            return redirect(url_for("accounts.sign_in", next=kind.url(target)))
        return deny("notifications.follow")
    form = FollowForm()
    if not form.validate_on_submit() or form.action.data not in ("follow", "unfollow"):
        flash(_("Please check what you entered."), "error")
        return redirect(kind.url(target))
    if form.action.data == "follow":
        services.follow(current_user, target_type, target_id)
        message = _("You are following this now. You will be notified of news.")
    else:
        services.unfollow(current_user, target_type, target_id)
        message = _("You no longer follow this.")
    db.session.commit()
    flash(message, "success")
    return redirect(kind.url(target))


def _read(path):
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


@bp.route("/staff/outbox")
@require("staff.outbox")
def outbox():
    messages = [(path.name, _read(path)) for path in list_outbox()]
    return render_template("notifications/outbox.html", messages=messages)


@bp.route("/staff/outbox/<name>")
@require("staff.outbox")
def outbox_message(name: str):
    path = outbox_dir() / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        abort(404)
    message = _read(path)
    return render_template("notifications/message.html", name=name, message=message,
                           body=message.get_body(preferencelist=("plain",)).get_content())
