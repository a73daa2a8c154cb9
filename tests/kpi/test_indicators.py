"""Every implemented indicator on a small hand-built dataset; expected values worked out by hand."""
from datetime import date, timedelta

import pytest

from participation.kpi import periods as P
from participation.kpi import services
from participation.kpi.engine import suppress
from participation.kpi.registry import INDICATORS, available_indicators
from participation.processes.models import Process
from tests.kpi.conftest import by_key, jst


def _process(db, slug, start, end, published_at=None, area=None):
    process = Process(slug=slug, title=f"プロセス {slug}", start_date=start, end_date=end,
                      published_at=published_at, area_id=getattr(area, "id", None))
    db.session.add(process)
    db.session.commit()
    return process


def test_processes_open_counts_published_processes_running_at_period_end(db, add_area):
    north, south = add_area("北地区"), add_area("南地区")
    _process(db, "a", date(2026, 5, 1), date(2026, 7, 31), jst(2026, 5, 1), north)   # open on 30 June
    _process(db, "b", date(2026, 4, 1), date(2026, 6, 29), jst(2026, 4, 1), north)   # ended the day before
    _process(db, "c", date(2026, 5, 1), date(2026, 7, 31), None, north)              # never published
    _process(db, "d", date(2026, 6, 15), date(2026, 12, 31), jst(2026, 6, 10))       # open, no area
    _process(db, "e", date(2026, 6, 1), date(2026, 7, 31), jst(2026, 7, 1, 0, 5), south)  # published after June
    records = services.compute(["processes_open"], P.month(2026, 6))
    assert by_key(records, "processes_open")["value"] == 2                      # a and d
    assert by_key(records, "processes_open", "area", str(north.id))["value"] == 1
    assert by_key(records, "processes_open", "area", str(south.id))["value"] == 0
    assert by_key(records, "processes_open")["suppressed"] is False  # a count of processes, not of people
    assert not [r for r in records if r["scope_type"] == "process"]  # no process scope for this one
    # in July: a (until 31 July), d, e (published 1 July) are running on 31 July
    assert by_key(services.compute(["processes_open"], P.month(2026, 7)), "processes_open")["value"] == 3


def test_new_registrations_fiscal_year_boundary_and_suppression(db, add_user, add_area):
    north, south = add_area("北地区"), add_area("南地区")
    inside = [jst(2026, 4, 1, 0, 0), jst(2026, 8, 15, 9), jst(2026, 12, 1, 18), jst(2027, 1, 10, 7),
              jst(2027, 3, 31, 23, 30)]
    for when in inside:
        add_user(when, area=north)
    add_user(jst(2026, 10, 1))                 # in FY2026, no consented area
    add_user(jst(2026, 3, 31, 23, 59))         # FY2025
    add_user(jst(2027, 4, 1, 0, 10))           # FY2027
    fy2026 = services.compute(["new_registrations"], P.fiscal_year(2026))
    assert by_key(fy2026, "new_registrations")["value"] == 6
    assert by_key(fy2026, "new_registrations", "area", str(north.id))["value"] == 5
    south_cell = by_key(fy2026, "new_registrations", "area", str(south.id))
    assert south_cell["value"] is None and south_cell["suppressed"] is True
    fy2027 = by_key(services.compute(["new_registrations"], P.fiscal_year(2027)), "new_registrations")
    assert fy2027["value"] is None and fy2027["suppressed"] is True    # 1 person: suppressed
    last_day = by_key(services.compute(["new_registrations"], P.day(date(2027, 3, 31))), "new_registrations")
    assert last_day["suppressed"] is True and last_day["value"] is None


@pytest.fixture
def june(db, add_user, add_area, actions):
    """Eight participants in June 2026 (JST), see the comments for who did what."""
    north, south = add_area("北地区"), add_area("南地区")
    p1 = _process(db, "p1", date(2026, 1, 1), date(2026, 12, 31), jst(2026, 1, 1), north)
    p2 = _process(db, "p2", date(2026, 1, 1), date(2026, 12, 31), jst(2026, 1, 1), south)
    u = {}
    for i in range(1, 6):
        u[i] = add_user(age_band="20s", area=north)     # u1..u5: 20s, North
    u[6] = add_user(age_band="40s", area=north)         # u6: 40s, North
    u[7] = add_user(age_band="60s", area=south)         # u7: 60s, South
    u[8] = add_user()                                   # u8: no consented data
    u[9] = add_user()                                   # u9: only acts just outside June
    # June actions: u1..u4, u8 in p1; u5..u7 in p2; u1 twice; phones: u1 (first), u2, u5
    actions(u[1], jst(2026, 6, 1, 0, 0), p1.id, mobile=True)
    actions(u[1], jst(2026, 6, 2), p1.id)
    actions(u[2], jst(2026, 6, 3), p1.id, mobile=True)
    actions(u[3], jst(2026, 6, 4), p1.id)
    actions(u[4], jst(2026, 6, 5), p1.id)
    actions(u[8], jst(2026, 6, 30, 23, 59), p1.id)
    actions(u[5], jst(2026, 6, 6), p2.id, mobile=True)
    actions(u[6], jst(2026, 6, 7), p2.id)
    actions(u[7], jst(2026, 6, 8), p2.id)
    # earlier participation (May) by u1..u6; u9 just before and just after June
    for i in range(1, 7):
        actions(u[i], jst(2026, 5, 10), p1.id)
    actions(u[9], jst(2026, 5, 31, 23, 59), p1.id)
    actions(u[9], jst(2026, 7, 1, 0, 5), p1.id)
    codes = ["participants", "repeat_participation_rate", "participants_under_40_share", "participants_by_age_band",
             "participants_by_area", "mobile_share"]
    return {"records": services.compute(codes, P.month(2026, 6)), "p1": str(p1.id), "p2": str(p2.id),
            "north": str(north.id), "south": str(south.id)}


def test_participants_by_scope(june):
    r = june["records"]
    assert by_key(r, "participants")["value"] == 8                                 # u1..u8 (u9 outside June)
    assert by_key(r, "participants", "process", june["p1"])["value"] == 5          # u1..u4, u8
    p2 = by_key(r, "participants", "process", june["p2"])                          # u5..u7 = 3 < 5
    assert (p2["value"], p2["suppressed"]) == (None, True)
    assert by_key(r, "participants", "area", june["north"])["value"] == 6          # u1..u6 consented North
    assert by_key(r, "participants", "area", june["south"])["suppressed"] is True   # u7 only


def test_repeat_participation_rate(june):
    cell = by_key(june["records"], "repeat_participation_rate")
    assert (cell["numerator"], cell["denominator"]) == (6, 8)                      # u1..u6 acted in May
    assert cell["value"] == 0.75
    p2 = by_key(june["records"], "repeat_participation_rate", "process", june["p2"])  # 3 people: suppressed
    assert (p2["value"], p2["numerator"], p2["denominator"], p2["suppressed"]) == (None, None, None, True)


def test_under_40_share(june):
    cell = by_key(june["records"], "participants_under_40_share")
    assert (cell["numerator"], cell["denominator"]) == (5, 7)                      # u1..u5 of u1..u7 with a band
    assert cell["value"] == round(5 / 7, 6)


def test_participants_by_age_band(june):
    r = june["records"]
    assert by_key(r, "participants_by_age_band", dimension_value="20s")["value"] == 5
    for band in ("under_20", "30s", "40s", "50s", "60s", "70_plus"):               # 0 or 1 person each
        cell = by_key(r, "participants_by_age_band", dimension_value=band)
        assert (cell["value"], cell["suppressed"], cell["dimension"]) == (None, True, "age_band")


def test_participants_by_area(june):
    r = june["records"]
    assert by_key(r, "participants_by_area", dimension_value=june["north"])["value"] == 6
    assert by_key(r, "participants_by_area", dimension_value=june["south"])["suppressed"] is True
    assert by_key(r, "participants_by_area", "process", june["p1"], june["north"])["suppressed"] is True  # 4


def test_mobile_share(june):
    r = june["records"]
    cell = by_key(r, "mobile_share")
    assert (cell["numerator"], cell["denominator"], cell["value"]) == (3, 9, round(3 / 9, 6))
    north = by_key(r, "mobile_share", "area", june["north"])                        # actions in p1: 6, phones 2
    assert (north["numerator"], north["denominator"]) == (2, 6)
    p2 = by_key(r, "mobile_share", "process", june["p2"])                          # actions, not people: shown
    assert (p2["numerator"], p2["denominator"], p2["suppressed"]) == (1, 3, False)


def test_action_indicators_are_not_exported_without_a_source(app):
    from participation.kpi.actions import has_actions

    codes = {ind.code for ind in available_indicators()}
    if has_actions():
        pytest.skip("participation features with action sources are installed")
    assert {"processes_open", "new_registrations"} <= codes
    assert "participants" not in codes and "mobile_share" not in codes


def test_suppression_rule():
    persons, count, ratio = INDICATORS["new_registrations"], INDICATORS["processes_open"], INDICATORS["mobile_share"]
    assert suppress(persons, 4, None, None) == (None, None, None, True)
    assert suppress(persons, 0, None, None) == (None, None, None, True)
    assert suppress(persons, 5, None, None) == (5, None, None, False)
    assert suppress(count, 1, None, None) == (1, None, None, False)
    assert suppress(ratio, None, 1, 3) == (round(1 / 3, 6), 1, 3, False)
    assert suppress(ratio, None, 0, 0) == (None, 0, 0, False)      # undefined: no denominator
    share = INDICATORS["participants_under_40_share"]
    assert suppress(share, None, 4, 10) == (None, None, None, True)
    assert suppress(share, None, 5, 10) == (0.5, 5, 10, False)


def test_processes_open_in_a_period_under_way_is_measured_today(db):
    from participation.common.time import local_today, utcnow

    today = local_today()
    _process(db, "now", today - timedelta(days=3), today + timedelta(days=3), utcnow() - timedelta(hours=1))
    _process(db, "ends-today", today - timedelta(days=3), today, utcnow() - timedelta(hours=1))
    _process(db, "later", today + timedelta(days=1), date(today.year + 2, 3, 31), utcnow() - timedelta(hours=1))
    year = P.containing("fiscal_year", today)
    # Measured today, not on 31 March: "later" has not started yet.
    assert by_key(services.compute(["processes_open"], year), "processes_open")["value"] == 2
