"""Service-level rules of processes that the pages rely on, and the demo data."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from participation.common.errors import DomainError
from participation.permissions import can
from participation.processes import services
from participation.processes.models import Process

from .conftest import MOMENTS


def _data(slug: str) -> dict:
    return {"title": "題名", "slug": slug, "subtitle": "", "description": "", "area_id": None, "group_id": None,
            "promoted": False, "start_date": date(2026, 4, 1), "end_date": date(2026, 9, 30),
            "components": ["proposals"], "support_limit": 0, "support_threshold": None, "proposal_body_max": 3000,
            "edit_window_minutes": 60, "hide_after_flags": 3, "proposal_limit": 0}


def test_a_slug_taken_at_the_same_moment_is_a_clear_error(db, make_user, monkeypatch):
    admin = make_user("admin")
    services.create_process(admin, _data("same-address"))
    db.session.commit()
    # The other request checked before this one was stored: only the unique constraint is left.
    monkeypatch.setattr(services, "_check_process_data", lambda process, data: None)
    with pytest.raises(DomainError):
        services.create_process(admin, _data("same-address"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Process)) == 1


def test_a_published_process_keeps_at_least_one_phase(db, make_user, calendar_process, travel):
    travel(MOMENTS["phase1"])
    admin = make_user("admin")
    process = calendar_process()
    services.delete_phase(admin, process.phases[0])
    services.delete_phase(admin, process.phases[0])
    with pytest.raises(DomainError):
        services.delete_phase(admin, process.phases[0])


def test_demo_data(db, make_user, travel):
    from participation.processes import demo

    travel(MOMENTS["phase2"])
    admin, resident = make_user("admin"), make_user()
    demo.load(admin)
    db.session.commit()
    bus = db.session.scalar(select(Process).where(Process.slug == "bus-network-2027"))
    park = db.session.scalar(select(Process).where(Process.slug == "central-park-renewal"))
    assert bus.is_published and park.is_published
    # The bus plan collects proposals now; the park renewal is over and shows how proposals were considered.
    assert bus.active_phase is bus.phases[0]
    assert can(resident, "proposals.create", bus)
    assert park.time_state(date(2026, 6, 15)) == "past" and park.active_phase is None
    assert not can(resident, "proposals.create", park)
    assert can(resident, "proposals.answers_visible", park)
    assert can(None, "proposals.answers_visible", park)
