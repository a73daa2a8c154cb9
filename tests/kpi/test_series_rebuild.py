"""A rebuild computes each period type as one series (one GROUP BY per indicator and scope for all its
days, months or years). It must store exactly what computing every period on its own stores.

The dataset is random but seeded: people with and without consented profiles, processes with and
without an area, proposals published, withdrawn (also before their answer), hidden, answered late or
never, supports, endorsements and comments, with events on the very instants of local midnights, over
a fiscal-year boundary and partial months at both ends of the rebuilt range."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from participation.accounts.models import AGE_BANDS, ParticipantProfile, User
from participation.common.time import local_midnight_utc
from participation.kpi import services
from participation.kpi.models import KpiSnapshot
from participation.kpi.spans import Span
from participation.processes.models import Process

models = pytest.importorskip("participation.proposals.models")

FIRST, LAST = date(2025, 3, 5), date(2025, 5, 5)     # rebuilt: partial March and May, FY2024 | FY2025


def _seed(db, add_area, seed=7):
    from participation.comments.models import Comment

    rng = random.Random(seed)
    areas = [add_area(f"地区{n}") for n in range(3)]
    begin = datetime(2025, 2, 20, tzinfo=timezone.utc)

    def when():
        if rng.random() < 0.15:  # exactly a local midnight: the first instant of a day
            return local_midnight_utc(date(2025, 3, 1) + timedelta(days=rng.randrange(70)))
        return begin + timedelta(minutes=rng.randrange(60 * 24 * 85))

    processes = [Process(slug=f"s{n}", title=f"s{n}", start_date=date(2025, 3, 1) + timedelta(days=10 * n),
                         end_date=date(2025, 4, 10) + timedelta(days=12 * n), published_at=begin,
                         area_id=areas[n].id if n < 2 else None) for n in range(3)]
    db.session.add_all(processes)
    db.session.flush()
    users = []
    for n in range(60):
        user = User(email=f"series{n}@example.jp", display_name=f"s{n}", role="resident", created_at=when())
        db.session.add(user)
        db.session.flush()
        users.append(user.id)
        if n % 4:  # a quarter have no profile; some profiles lack one consent or the other
            db.session.add(ParticipantProfile(
                user_id=user.id, age_band=rng.choice(AGE_BANDS), area_id=rng.choice(areas).id,
                age_band_consented_at=begin if n % 5 else None, area_consented_at=begin if n % 7 else None))
    states = []
    for code, accepted in (("ok", True), ("no", False)):
        state = models.AnswerState(code=f"series_{code}", label_ja=code, label_en=code, is_accepted=accepted)
        db.session.add(state)
        db.session.flush()
        states.append(state.id)
    for n in range(120):
        process = rng.choice(processes)
        published = when()
        proposal = models.Proposal(
            process_id=process.id, author_id=rng.choice(users), reference=f"S-{n}", title=f"提案{n}", body="本文",
            status="published", published_at=published, from_mobile=rng.random() < 0.5,
            area_id=rng.choice(areas).id if n % 5 == 0 else None,
            hidden_at=published + timedelta(days=1) if n % 17 == 0 else None)
        if n % 9 == 0:  # withdrawn some days later (sometimes before its answer is published)
            proposal.withdrawn_at = published + timedelta(hours=rng.randrange(1, 24 * 30))
        db.session.add(proposal)
        db.session.flush()
        for user_id in rng.sample(users, rng.randrange(0, 12)):
            db.session.add(models.ProposalSupport(proposal_id=proposal.id, user_id=user_id, from_mobile=rng.random() < 0.5,
                                                  created_at=published + timedelta(hours=rng.randrange(0, 24 * 20))))
        for user_id in rng.sample(users, rng.randrange(0, 3)):
            db.session.add(models.ProposalEndorsement(proposal_id=proposal.id, user_id=user_id,
                                                      created_at=published + timedelta(hours=rng.randrange(1, 500))))
        for _ in range(rng.randrange(0, 4)):
            # (a tenth outside any process: they count for the platform and areas, not for a process)
            db.session.add(Comment(target_type="proposal", target_id=proposal.id,
                                   process_id=process.id if rng.random() < 0.9 else None,
                                   author_id=rng.choice(users), body="意見", from_mobile=rng.random() < 0.5,
                                   created_at=published + timedelta(hours=rng.randrange(0, 24 * 25)),
                                   hidden_at=begin if rng.random() < 0.1 else None,
                                   deleted_at=begin if rng.random() < 0.1 else None))
        if n % 3:
            answered = published + timedelta(hours=rng.randrange(1, 24 * 40)) if n % 11 else None  # some unpublished
            db.session.add(models.ProposalAnswer(proposal_id=proposal.id, state_id=rng.choice(states), body="回答",
                                                 published_at=answered))
    db.session.commit()


def _stored(db) -> list[tuple]:
    t = KpiSnapshot
    rows = db.session.execute(select(t.code, t.scope_type, t.scope_id, t.dimension, t.dimension_value, t.period_type,
                                     t.period_start, t.period_end, t.value, t.numerator, t.denominator,
                                     t.suppressed)).all()
    return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows)


@pytest.fixture
def series_calls(monkeypatch):
    calls = []
    original = Span.series.__func__

    def spy(cls, periods, workspace):
        calls.append(periods[0].type)
        return original(cls, periods, workspace)

    monkeypatch.setattr(Span, "series", classmethod(spy))
    return calls


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York"])
def test_a_series_rebuild_stores_what_period_by_period_stores(app, db, add_area, series_calls, zone, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    _seed(db, add_area)
    count = services.rebuild(FIRST, LAST)
    series = _stored(db)
    dialect = db.engine.dialect.name
    # New York changes its offset on 9 March 2025: only PostgreSQL buckets local days with the zone's rules.
    expect_series = zone == "Asia/Tokyo" or dialect == "postgresql"
    assert series_calls == (["day", "month", "fiscal_year"] if expect_series else [])

    db.session.execute(KpiSnapshot.__table__.delete())
    db.session.commit()
    assert services._rebuild_period_by_period(FIRST, LAST, None) == count == 62 + 3 + 2
    one_by_one = _stored(db)

    assert len(series) == len(one_by_one) > 5_000
    assert series == one_by_one
    # Not a comparison of empty figures: published, unsuppressed values of every kind are in there.
    shown = {(row[0], row[5]) for row in series if row[8] not in (None, 0) and not row[11]}
    for code in ("participants", "participants_by_age_band", "participants_by_area", "repeat_participation_rate",
                 "participants_under_40_share", "mobile_share", "supports_given", "comments_posted",
                 "proposals_submitted", "proposal_answer_rate", "median_days_to_answer", "proposal_adoption_rate",
                 "new_registrations", "processes_open", "proposals_answered"):
        # (fewer than 5 accounts are created a day, and a day's few people split into 7 age bands)
        few_a_day = code in ("new_registrations", "participants_by_age_band")
        kinds = ("month", "fiscal_year") if few_a_day else ("day", "month", "fiscal_year")
        assert {(code, kind) for kind in kinds} <= shown, code


def test_a_series_rebuild_of_the_current_month_measures_states_as_of_today(app, db, add_area, series_calls):
    """processes_open and the answer rate of a month still under way are taken as of today in both paths."""
    from participation.common.time import local_today

    _seed(db, add_area)
    today = local_today()
    db.session.add(Process(slug="now", title="now", start_date=today - timedelta(days=3), end_date=today,
                           published_at=local_midnight_utc(today - timedelta(days=5))))
    db.session.commit()
    first = today.replace(day=1) - timedelta(days=3)
    services.rebuild(first, today - timedelta(days=1))
    series = _stored(db)
    assert "month" in series_calls
    db.session.execute(KpiSnapshot.__table__.delete())
    db.session.commit()
    services._rebuild_period_by_period(first, today - timedelta(days=1), None)
    assert series == _stored(db)
    month_open = [row for row in series if row[0] == "processes_open" and row[1] == "platform"
                  and row[5] == "month" and row[6] == today.replace(day=1)]
    assert month_open and month_open[0][8] == 1  # open today, though the month ends later
