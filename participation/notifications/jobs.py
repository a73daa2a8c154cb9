"""Scheduled work of notifications: the email digests (idempotent through emailed_at)."""
from __future__ import annotations

from participation.extensions import db
from participation.notifications.services import send_digests


def send_daily_digest(now=None) -> dict:
    counts = send_digests("daily", now)
    db.session.commit()
    return counts


def send_weekly_digest(now=None) -> dict:
    counts = send_digests("weekly", now)
    db.session.commit()
    return counts
