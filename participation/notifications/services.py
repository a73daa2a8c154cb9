"""Notification writes: follows, in-app notifications, immediate emails and digests.

Each function changes the session; the caller (one request or one job run) commits."""
from __future__ import annotations

from datetime import timedelta

from flask import has_request_context, render_template
from flask_babel import force_locale, gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from participation.accounts.models import User
from participation.accounts.queries import ACCOUNT_FIGURES, account_figure, forget_account_figures
from participation.common.errors import DomainError
from participation.common.reads import read
from participation.common.security import public_base_url
from participation.common.time import utcnow
from participation.extensions import db
from participation.notifications.mail import queue_mail
from participation.notifications.models import FREQUENCIES, Follow, Notification, NotificationSetting

KIND_LABELS = {
    "answer_published": _l("An official answer was published"),
    "state_changed": _l("The state of a proposal changed"),
    "comment_on_my_proposal": _l("New comment on your proposal"),
    "reply_to_my_comment": _l("New reply to your comment"),
    "content_hidden": _l("Your content was hidden"),
    "comment_on_followed": _l("New comment on something you follow"),
}
DIGEST_LOOKBACK = {"daily": timedelta(days=2), "weekly": timedelta(days=8)}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


# --- follows ---------------------------------------------------------------------------------
# Built once: they run on every page a signed-in person views (the header, the follow buttons).
FOLLOWED_AMONG = select(Follow.target_type, Follow.target_id).where(
    Follow.user_id == bindparam("user_id"), Follow.target_id.in_(bindparam("ids", expanding=True)))
UNREAD_COUNT = select(func.count(Notification.id)).where(Notification.user_id == bindparam("user_id"),
                                                         Notification.read_at.is_(None))
# The header's unread count, read with the signed-in person's account (accounts.queries.ACCOUNT_FIGURES).
ACCOUNT_FIGURES["unread_notifications"] = (select(func.count(Notification.id))
                                           .where(Notification.user_id == User.id, Notification.read_at.is_(None))
                                           .scalar_subquery())


def followed_among(user, targets) -> set[tuple[str, int]]:
    """Which of these (target_type, target_id) the user follows: one query."""
    if user is None or not getattr(user, "is_authenticated", False) or not targets:
        return set()
    ids = list({target_id for _type, target_id in targets})
    rows = read(FOLLOWED_AMONG, {"user_id": user.id, "ids": ids})
    return {(row[0], row[1]) for row in rows} & set(targets)


def is_following(user, target_type: str, target_id: int) -> bool:
    return (target_type, target_id) in followed_among(user, [(target_type, target_id)])


def follow(user, target_type: str, target_id: int) -> Follow:
    """Idempotent: following twice keeps one row (unique constraint guards concurrent requests)."""
    existing = db.session.scalar(
        select(Follow).where(Follow.user_id == user.id, Follow.target_type == target_type,
                             Follow.target_id == target_id)
    )
    if existing is not None:
        return existing
    row = Follow(user_id=user.id, target_type=target_type, target_id=target_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return db.session.scalar(
            select(Follow).where(Follow.user_id == user.id, Follow.target_type == target_type,
                                 Follow.target_id == target_id)
        )
    return row


def unfollow(user, target_type: str, target_id: int) -> bool:
    removed = db.session.execute(
        delete(Follow).where(Follow.user_id == user.id, Follow.target_type == target_type,
                             Follow.target_id == target_id)
    ).rowcount
    return bool(removed)


def followers(target_type: str, target_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(Follow, Follow.user_id == User.id)
        .where(Follow.target_type == target_type, Follow.target_id == target_id,
               User.deleted_at.is_(None), User.blocked_at.is_(None))
        .order_by(User.id)
    ))


# --- settings --------------------------------------------------------------------------------
def email_frequency(user) -> str:
    value = db.session.scalar(select(NotificationSetting.email_frequency)
                              .where(NotificationSetting.user_id == user.id))
    return value or "immediate"


def set_email_frequency(user, frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise DomainError(_l("Please choose one of the options."))
    setting = db.session.get(NotificationSetting, user.id)
    if setting is None:
        db.session.add(NotificationSetting(user_id=user.id, email_frequency=frequency))
    else:
        setting.email_frequency = frequency


def _frequencies(user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(NotificationSetting.user_id, NotificationSetting.email_frequency)
                              .where(NotificationSetting.user_id.in_(user_ids)))
    return {user_id: frequency for user_id, frequency in rows}


# --- notify ----------------------------------------------------------------------------------
def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    base = public_base_url()
    return base + path if base else path


def notify(users, kind: str, *, target_type: str | None, target_id: int | None, title: str, body: str,
           url: str) -> list[Notification]:
    """Create one notification per distinct active user; email now those who chose 'immediate'."""
    unique: dict[int, User] = {}
    for user in users:
        if user is None or user.id in unique or user.deleted_at is not None or user.blocked_at is not None:
            continue
        unique[user.id] = user
    if not unique:
        return []
    forget_account_figures()  # the unread count, when the signed-in person is among them
    frequencies = _frequencies(list(unique))
    now = utcnow()
    created = []
    for user in unique.values():
        row = Notification(user_id=user.id, kind=kind, target_type=target_type, target_id=target_id,
                           title=(title or "")[:300], body=body or "", url=(url or "")[:500], created_at=now)
        if frequencies.get(user.id, "immediate") == "immediate" and user.email:
            _mail_one(user, row)
            row.emailed_at = now
        db.session.add(row)
        created.append(row)
    return created


def notify_followers(kind: str, target_type: str, target_id: int, *, title: str, body: str, url: str,
                     exclude_user_id: int | None = None) -> list[Notification]:
    users = [u for u in followers(target_type, target_id) if u.id != exclude_user_id]
    return notify(users, kind, target_type=target_type, target_id=target_id, title=title, body=body, url=url)


def _mail_one(user: User, notification: Notification) -> None:
    with force_locale(user.locale or "ja"):
        label = kind_label(notification.kind)
        text = render_template("mail/notification.txt", user=user, notification=notification, label=label,
                               url=absolute_url(notification.url),
                               settings_url=absolute_url("/notifications/settings"))
        subject = f"{label}: {notification.title}" if notification.title else label
        queue_mail(user.email, subject[:200], text)


# --- digests ---------------------------------------------------------------------------------
def send_digests(frequency: str, now=None) -> dict:
    """One email per user with this frequency listing their notifications not yet emailed.

    Idempotent: the included notifications get emailed_at, so a second run sends nothing."""
    if frequency not in DIGEST_LOOKBACK:
        raise ValueError(f"unknown digest frequency {frequency!r}")
    now = now or utcnow()
    since = now - DIGEST_LOOKBACK[frequency]
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .join(NotificationSetting, NotificationSetting.user_id == Notification.user_id)
        .where(NotificationSetting.email_frequency == frequency, Notification.emailed_at.is_(None),
               Notification.read_at.is_(None), Notification.created_at <= now, Notification.created_at > since,
               User.deleted_at.is_(None), User.blocked_at.is_(None), User.email.is_not(None))
        .order_by(Notification.user_id, Notification.created_at)
    ).all()
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for notification, user in rows:
        by_user.setdefault(user.id, (user, []))[1].append(notification)
    for user, items in by_user.values():
        with force_locale(user.locale or "ja"):
            text = render_template("mail/digest.txt", user=user, items=items, frequency=frequency,
                                   label=kind_label, absolute_url=absolute_url,
                                   settings_url=absolute_url("/notifications/settings"))
            subject = gettext("Your daily summary") if frequency == "daily" else gettext("Your weekly summary")
            queue_mail(user.email, subject, text)
        ids = [item.id for item in items]
        db.session.execute(update(Notification).where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
                           .values(emailed_at=now))
    return {"users": len(by_user), "notifications": len(rows)}


# --- reading ---------------------------------------------------------------------------------
def mark_read(user, notification_id: int) -> Notification | None:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        return None
    if row.read_at is None:
        row.read_at = utcnow()
        forget_account_figures()
    return row


def mark_all_read(user) -> int:
    marked = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                           Notification.read_at.is_(None))
                                .values(read_at=utcnow())).rowcount or 0
    forget_account_figures()
    return marked


def unread_count(user) -> int:
    """The person's unread notifications: as read with their account in this request, else one COUNT."""
    if has_request_context() and getattr(current_user, "id", None) == user.id:
        counted = account_figure("unread_notifications")
        if counted is not None:
            return counted
    return read(UNREAD_COUNT, {"user_id": user.id}).scalar() or 0


# --- personal data ---------------------------------------------------------------------------
def _iso(value):
    return value.isoformat() if value else None


def export_notifications(user) -> list[dict]:
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id))
    return [{"kind": n.kind, "title": n.title, "body": n.body, "url": n.url, "created_at": _iso(n.created_at),
             "read_at": _iso(n.read_at), "emailed_at": _iso(n.emailed_at)} for n in rows]


def export_follows(user) -> list[dict]:
    rows = db.session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id))
    return [{"target_type": f.target_type, "target_id": f.target_id, "created_at": _iso(f.created_at)}
            for f in rows]


def export_settings(user) -> dict:
    return {"email_frequency": email_frequency(user)}


def forget_user(user) -> None:
    """Deletion hook: follows, settings and notifications are personal and go with the account."""
    db.session.execute(delete(Follow).where(Follow.user_id == user.id))
    db.session.execute(delete(NotificationSetting).where(NotificationSetting.user_id == user.id))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
