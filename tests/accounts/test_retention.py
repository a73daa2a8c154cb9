"""Retention of data download records: the accounts.retention job deletes those older than
DATA_EXPORT_RETENTION_DAYS and keeps the recent ones."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from participation.accounts.models import DataExport
from participation.common.time import utcnow
from participation.jobs.runner import run_job


def test_retention_job_purges_old_data_download_records(app, db, make_user):
    user = make_user()
    now = utcnow()
    app.config["DATA_EXPORT_RETENTION_DAYS"] = 30
    for days in (400, 31, 29, 0):
        db.session.add(DataExport(user_id=user.id, created_at=now - timedelta(days=days)))
    db.session.add(DataExport(user_id=None, created_at=now - timedelta(days=60)))  # of a deleted account
    db.session.commit()
    result = run_job("accounts.retention", now=now)
    assert result.status == "succeeded" and result.counts["data_exports"] == 3
    kept = sorted((now - at).days for at in db.session.scalars(select(DataExport.created_at)))
    assert kept == [0, 29]
    assert run_job("accounts.retention", period_key="again", now=now).counts["data_exports"] == 0


def test_data_download_records_are_kept_90_days_by_default(app, db, make_user):
    assert app.config["DATA_EXPORT_RETENTION_DAYS"] == 90
    user = make_user()
    now = utcnow()
    db.session.add_all([DataExport(user_id=user.id, created_at=now - timedelta(days=89)),
                        DataExport(user_id=user.id, created_at=now - timedelta(days=91))])
    db.session.commit()
    assert run_job("accounts.retention", now=now).counts["data_exports"] == 1
    assert [(now - at).days for at in db.session.scalars(select(DataExport.created_at))] == [89]
