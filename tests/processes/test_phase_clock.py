"""Acceptance 2: the active phase follows the clock in Asia/Tokyo, and a pinned phase does not."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from participation.permissions import can
from participation.processes import services
from participation.processes.jobs import activate_phases
from participation.processes.models import Phase

from .conftest import JST

# Phase 1 ends on 2026-05-31 and phase 2 starts on 2026-06-01 (local dates).
BEFORE_MIDNIGHT = datetime(2026, 5, 31, 23, 59, tzinfo=JST)   # 14:59 UTC on May 31
AFTER_MIDNIGHT = datetime(2026, 6, 1, 0, 1, tzinfo=JST)       # 15:01 UTC on May 31: UTC has not turned yet


def _active_titles(db, process) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Phase.title).where(Phase.process_id == process.id, Phase.is_active)))


def test_active_phase_switches_at_local_midnight(db, calendar_process, make_user, travel):
    resident = make_user()
    travel(BEFORE_MIDNIGHT)
    process = calendar_process()
    assert activate_phases() == {"changed": 0}
    assert _active_titles(db, process) == ["提案の募集"]
    assert can(resident, "proposals.create", process)
    assert not can(resident, "proposals.support", process)

    travel(AFTER_MIDNIGHT)
    # can() follows the calendar at once, the stored flag when the job runs.
    assert not can(resident, "proposals.create", process)
    assert can(resident, "proposals.support", process)
    assert _active_titles(db, process) == ["提案の募集"]
    assert activate_phases() == {"changed": 1}
    db.session.commit()
    assert _active_titles(db, process) == ["説明会と賛同"]
    # Running it again changes nothing.
    assert activate_phases() == {"changed": 0}


def test_job_clears_the_active_phase_after_the_end_and_sets_it_before_the_start(db, calendar_process, travel):
    travel(datetime(2026, 3, 31, 23, 59, tzinfo=JST))
    process = calendar_process()
    assert _active_titles(db, process) == []
    travel(datetime(2026, 4, 1, 0, 1, tzinfo=JST))
    assert activate_phases() == {"changed": 1}
    assert _active_titles(db, process) == ["提案の募集"]
    travel(datetime(2026, 10, 1, 0, 1, tzinfo=JST))
    assert activate_phases() == {"changed": 1}
    assert _active_titles(db, process) == []


def test_the_process_page_switches_the_phase_on_demand(db, client, calendar_process, travel):
    travel(BEFORE_MIDNIGHT)
    process = calendar_process()
    travel(AFTER_MIDNIGHT)
    response = client.get(f"/processes/{process.slug}")
    assert response.status_code == 200
    assert _active_titles(db, process) == ["説明会と賛同"]


def test_pinned_phase_stays_active_and_unpin_returns_to_the_dates(db, calendar_process, make_user, travel):
    admin, resident = make_user("admin"), make_user()
    travel(BEFORE_MIDNIGHT)
    process = calendar_process()
    first = process.phases[0]
    services.pin_phase(admin, first)
    db.session.commit()

    for moment in (AFTER_MIDNIGHT, datetime(2026, 8, 15, 12, 0, tzinfo=JST), datetime(2026, 12, 1, tzinfo=JST)):
        travel(moment)
        assert activate_phases() == {"changed": 0}
        db.session.commit()
        assert _active_titles(db, process) == ["提案の募集"], moment
        assert can(resident, "proposals.create", process)
        assert not can(resident, "proposals.support", process)

    travel(AFTER_MIDNIGHT)
    services.unpin_phase(admin, process)
    db.session.commit()
    assert _active_titles(db, process) == ["説明会と賛同"]
    assert can(resident, "proposals.support", process)
    assert not can(resident, "proposals.create", process)


def test_pinning_another_phase_moves_the_pin(db, calendar_process, make_user, travel):
    admin = make_user("admin")
    travel(AFTER_MIDNIGHT)
    process = calendar_process()
    services.pin_phase(admin, process.phases[0])
    db.session.commit()
    services.pin_phase(admin, process.phases[2])
    db.session.commit()
    db.session.expire_all()
    assert [p.is_pinned for p in process.phases] == [False, False, True]
    assert _active_titles(db, process) == ["検討結果の公表"]


def test_the_job_reads_phases_in_a_fixed_number_of_queries(db, calendar_process, travel):
    from sqlalchemy import event

    travel(BEFORE_MIDNIGHT)
    for _ in range(4):
        calendar_process()
    travel(AFTER_MIDNIGHT)
    db.session.expire_all()
    selects = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert activate_phases() == {"changed": 4}
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(selects) <= 3, selects


def test_two_first_visitors_racing_over_a_boundary_both_get_the_page(db, client, calendar_process, travel,
                                                                      monkeypatch):
    """The first visitors after a boundary switch the phase on demand at the same moment; the loser's
    switch is refused by the one-active-phase index (on PostgreSQL: IntegrityError). It must still get
    the page (not a 500), with the phase of the calendar, and the database must stay consistent."""
    from sqlalchemy import update

    travel(BEFORE_MIDNIGHT)
    process = calendar_process()
    first_phase_id = process.phases[0].id
    travel(AFTER_MIDNIGHT)
    real_refresh = services.refresh_active_phase
    conflicts = []

    def refresh_while_another_worker_switches(process, today=None):
        changed = real_refresh(process, today)
        if not conflicts:  # the other worker's row lands first: a second active phase, refused by the index
            conflicts.append(True)
            db.session.execute(update(Phase).where(Phase.id == first_phase_id).values(is_active=True))
        return changed

    monkeypatch.setattr(services, "refresh_active_phase", refresh_while_another_worker_switches)
    response = client.get(f"/processes/{process.slug}")
    assert conflicts == [True]
    assert response.status_code == 200
    now = response.get_data(as_text=True).split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert "説明会と賛同" in now  # the phase of the calendar, whoever stored the switch
    assert _active_titles(db, process) == ["提案の募集"]  # this request's switch was rolled back, nothing half-done
    # The next visit (no race) stores the switch.
    assert client.get(f"/processes/{process.slug}").status_code == 200
    assert _active_titles(db, process) == ["説明会と賛同"]
