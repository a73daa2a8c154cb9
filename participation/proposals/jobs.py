"""Scheduled work of proposals."""
from __future__ import annotations

from participation.common.time import utcnow
from participation.extensions import db
from participation.proposals.services import publish_due_answers


def publish_scheduled_answers(now=None) -> dict:
    """Publish official answers whose scheduled time has come (idempotent: each answer once)."""
    published = publish_due_answers(now or utcnow())
    db.session.commit()
    return {"published": len(published)}
