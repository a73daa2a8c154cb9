"""Email: queued on the database session and sent only after the commit succeeds,
through SMTP when configured, otherwise into a local outbox folder of .eml files."""
from __future__ import annotations

import smtplib
import threading
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from participation.common.time import utcnow
from participation.extensions import db

_QUEUE_KEY = "outgoing_mail"


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    # One line: a subject is built from titles people typed, and a line break in a header value (CR, LF,
    # U+2028...) makes the email library refuse the whole message (a 500 for whoever triggered the mail).
    msg["Subject"] = " ".join(str(subject).split())
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="participation.local")
    msg.set_content(body)
    return msg


def queue_mail(to: str, subject: str, body: str) -> None:
    """Send once the current transaction commits; dropped if it rolls back."""
    msg = build_message(to, subject, body)
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any SQL ran, discards this mail
    session.info.setdefault(_QUEUE_KEY, []).append((current_app._get_current_object(), msg))


def outbox_dir() -> Path:
    path = Path(current_app.config["MAIL_OUTBOX_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def deliver(app, msg: EmailMessage) -> None:
    with app.app_context():
        if app.config.get("MAIL_SERVER"):
            with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=20) as smtp:
                if app.config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if app.config.get("MAIL_USERNAME"):
                    smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
                smtp.send_message(msg)
            return
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        (outbox_dir() / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(bytes(msg))


def _deliver_all(queued: list) -> None:
    for app, msg in queued:
        try:
            deliver(app, msg)
        except Exception:  # a mail server outage must not break the request that committed
            app.logger.exception("Could not send mail to %s", msg["To"])


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUE_KEY, [])
    if not queued:
        return
    if has_request_context() and any(app.config.get("MAIL_SERVER") for app, _msg in queued):
        # An SMTP exchange takes from tens of milliseconds to seconds. Done in the request, it would make
        # "reset my password" visibly slower for an address that has an account than for one that has
        # none (account enumeration by timing), and keep the resident waiting. A non-daemon thread
        # finishes its sends even while the worker shuts down.
        threading.Thread(target=_deliver_all, args=(queued,), name="mail-delivery", daemon=False).start()
        return
    _deliver_all(queued)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: Session, previous_transaction) -> None:
    # after_soft_rollback fires on every Session.rollback(), also when no SQL had run (after_rollback
    # does not); only the outermost transaction's rollback discards the queue.
    if previous_transaction.parent is None:
        session.info.pop(_QUEUE_KEY, None)


def list_outbox(limit: int = 200) -> list[Path]:
    files = sorted(outbox_dir().glob("*.eml"), reverse=True)
    return files[:limit]
