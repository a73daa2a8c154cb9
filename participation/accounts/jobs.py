"""Scheduled work of accounts."""
from __future__ import annotations

from datetime import datetime

from participation.accounts.services import purge_expired


def retention(now: datetime) -> dict:
    """Retention: expired one-time tokens, accounts never confirmed after UNCONFIRMED_ACCOUNT_DAYS, and
    data download records older than DATA_EXPORT_RETENTION_DAYS."""
    return purge_expired(now)
