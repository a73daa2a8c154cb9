"""Notification pages; for now the staff-only mail outbox used in development and tests."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from flask import Blueprint, abort, render_template

from participation.notifications.mail import list_outbox, outbox_dir
from participation.permissions import require

bp = Blueprint("notifications", __name__)


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
