"""Fixtures for process tests: a fixed three-phase calendar in Asia/Tokyo and users of every role."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

JST = ZoneInfo("Asia/Tokyo")

# The calendar every process test uses (dates are local to Asia/Tokyo).
PROCESS_START, PROCESS_END = date(2026, 4, 1), date(2026, 9, 30)
PHASES = [
    {"title": "提案の募集", "start": date(2026, 4, 1), "end": date(2026, 5, 31),
     "features": ["proposals.create", "proposals.comment", "surveys.answer"]},
    {"title": "説明会と賛同", "start": date(2026, 6, 1), "end": date(2026, 7, 31),
     "features": ["proposals.support", "proposals.endorse", "proposals.comment", "meetings.register"]},
    {"title": "検討結果の公表", "start": date(2026, 8, 1), "end": date(2026, 9, 30),
     "features": ["proposals.answers_visible", "reports.create"]},
]
# One local noon in each state of that calendar.
MOMENTS = {
    "before": datetime(2026, 3, 15, 12, 0, tzinfo=JST),
    "phase1": datetime(2026, 4, 15, 12, 0, tzinfo=JST),
    "phase2": datetime(2026, 6, 15, 12, 0, tzinfo=JST),
    "phase3": datetime(2026, 8, 15, 12, 0, tzinfo=JST),
    "after": datetime(2026, 10, 15, 12, 0, tzinfo=JST),
}


@pytest.fixture
def travel():
    """travel(aware datetime) freezes the clock there (until the test ends or travel is called again)."""
    state = {}

    def go(moment: datetime):
        if "traveller" in state:
            state["traveller"].stop()
        state["traveller"] = time_machine.travel(moment, tick=False)
        state["traveller"].start()

    yield go
    if "traveller" in state:
        state["traveller"].stop()


@pytest.fixture
def calendar_process(make_process):
    """calendar_process(**kwargs) -> a process with the three PHASES above."""

    def factory(**kwargs):
        return make_process(phases=[dict(p) for p in PHASES], start_date=PROCESS_START, end_date=PROCESS_END,
                            **kwargs)

    return factory


@pytest.fixture
def audit_actions(db):
    """audit_actions() -> the process and phase actions in audit_log so far, oldest first."""
    from sqlalchemy import select

    from participation.moderation.models import AuditLog

    def read():
        db.session.expire_all()
        return list(db.session.scalars(select(AuditLog.action).where(
            AuditLog.action.like("process%") | AuditLog.action.like("phase.%")).order_by(AuditLog.id)))

    return read
