"""Notification reads."""
from __future__ import annotations

from sqlalchemy import case, select

from participation.notifications.models import Notification


def notifications_for(user):
    """A user's notifications, unread first, newest first."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(case((Notification.read_at.is_(None), 0), else_=1), Notification.created_at.desc(),
                      Notification.id.desc()))
