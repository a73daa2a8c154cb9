"""After the merge: the contract indicators over the REAL proposals / comments tables (skipped while
those packages are not installed). Values worked out by hand."""
from datetime import date
from types import SimpleNamespace

import pytest

from participation.kpi import periods as P
from participation.kpi import services
from participation.processes.models import Process
from tests.kpi.conftest import by_key, jst

proposals_models = pytest.importorskip("participation.proposals.models")


def test_real_tables_feed_the_indicators(db, add_user, add_area):
    Proposal, Support = proposals_models.Proposal, proposals_models.ProposalSupport
    AnswerState, Answer = proposals_models.AnswerState, proposals_models.ProposalAnswer
    north = add_area("北地区")
    process = Process(slug="real", title="real", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                      published_at=jst(2026, 1, 1), area_id=north.id)
    db.session.add(process)
    db.session.commit()
    users = [add_user() for _ in range(6)]
    proposals = []
    for i, when in enumerate([jst(2026, 6, 1, 0, 0), jst(2026, 6, 15), jst(2026, 5, 31, 23, 59)]):
        proposal = Proposal(process_id=process.id, author_id=users[i], reference=f"P-T-{i}", title=f"提案{i}",
                            body="本文", status="published", published_at=when, from_mobile=i == 0)
        db.session.add(proposal)
        proposals.append(proposal)
    db.session.flush()
    for u in users[3:6]:
        db.session.add(Support(proposal_id=proposals[0].id, user_id=u, created_at=jst(2026, 6, 20), from_mobile=True))
    state = AnswerState(code="kpi_test_accepted", label_ja="採用", label_en="Accepted", is_accepted=True)
    db.session.add(state)
    db.session.flush()
    db.session.add(Answer(proposal_id=proposals[2].id, state_id=state.id, body="回答",
                           published_at=jst(2026, 6, 10, 23, 59)))                 # 10 days after 31 May 23:59
    db.session.commit()
    records = services.compute(None, P.month(2026, 6), [("platform", None), ("process", process.id)])
    assert by_key(records, "proposals_submitted")["value"] == 2                   # the May one is outside June
    assert by_key(records, "supports_given", "process", str(process.id))["value"] == 3
    assert by_key(records, "proposals_answered")["value"] == 1
    assert by_key(records, "median_days_to_answer")["value"] == 10.0
    assert by_key(records, "proposal_adoption_rate")["value"] == 1.0
    assert by_key(records, "participants")["value"] == 5       # authors 0, 1 and supporters 3, 4, 5
    mobile = by_key(records, "mobile_share")                   # 2 proposals + 3 supports, 4 from a phone
    assert (mobile["numerator"], mobile["denominator"]) == (4, 5)


# --- every indicator of issue 5 over the real tables, FY2025 (2025-04-01 .. 2026-03-31 JST) -----------------
# The dataset straddles both fiscal-year boundaries by one minute: 2025-03-31 23:59 JST is FY2024,
# 2026-03-31 23:59 JST is FY2025, 2026-04-01 00:00 JST is FY2026.
FY_START_EVE = (2025, 3, 31, 23, 59)     # last minute of FY2024
FY_LAST = (2026, 3, 31, 23, 59)          # last minute of FY2025
FY_NEXT = (2026, 4, 1, 0, 0)             # first instant of FY2026


@pytest.fixture
def fy2025(db, add_user, add_area):
    from participation.comments.models import Comment

    m = proposals_models
    north, south = add_area("北地区"), add_area("南地区")
    proc = lambda slug, **kw: Process(slug=slug, title=slug, **kw)  # noqa: E731
    a = proc("a", area_id=north.id, start_date=date(2025, 1, 1), end_date=date(2026, 12, 31),
             published_at=jst(2025, 1, 1))
    b = proc("b", start_date=date(2025, 4, 1), end_date=date(2026, 3, 30), published_at=jst(2025, 1, 1))
    c = proc("c", area_id=south.id, start_date=date(2025, 1, 1), end_date=date(2026, 12, 31))  # never published
    d = proc("d", area_id=north.id, start_date=date(2026, 3, 1), end_date=date(2026, 12, 31),
             published_at=jst(*FY_NEXT))                                            # published one minute late
    db.session.add_all([a, b, c, d])
    db.session.commit()
    before = jst(2025, 3, 1)
    u = {1: add_user(before, age_band="20s", area=north), 2: add_user(before, age_band="30s", area=north),
         3: add_user(before, age_band="20s", area=north), 4: add_user(before, age_band="30s", area=north),
         5: add_user(before, age_band="under_20", area=north), 6: add_user(jst(*FY_LAST), age_band="60s", area=south),
         7: add_user(jst(*FY_NEXT), age_band="20s", area=south), 8: add_user(jst(2025, 4, 1, 0, 0))}

    def proposal(n, author, process, when, mobile=False, area=None):
        row = m.Proposal(process_id=process.id, author_id=u[author], reference=f"FY-{n}", title=f"提案{n}",
                         body="本文", status="published", published_at=jst(*when), from_mobile=mobile, area_id=area)
        db.session.add(row)
        db.session.flush()
        return row

    p1 = proposal(1, 1, a, FY_START_EVE)                        # FY2024: u1 took part before FY2025
    p2 = proposal(2, 2, a, (2025, 5, 10))
    p3 = proposal(3, 3, b, FY_LAST, mobile=True, area=south.id)
    p4 = proposal(4, 7, a, FY_NEXT)                             # FY2026
    p5 = proposal(5, 2, a, (2025, 6, 1))
    db.session.add_all([
        m.ProposalSupport(proposal_id=p2.id, user_id=u[1], created_at=jst(2025, 6, 1), from_mobile=True),
        m.ProposalSupport(proposal_id=p2.id, user_id=u[8], created_at=jst(2025, 9, 1), from_mobile=False),
        m.ProposalSupport(proposal_id=p3.id, user_id=u[6], created_at=jst(*FY_NEXT), from_mobile=True),  # FY2026
        m.ProposalEndorsement(proposal_id=p2.id, user_id=u[4], created_at=jst(2025, 7, 1), from_mobile=False),
    ])
    comment = lambda author, process, when, **kw: Comment(  # noqa: E731
        target_type="proposal", target_id=p2.id, process_id=process.id, author_id=u[author], body="意見",
        created_at=jst(*when), **kw)
    db.session.add_all([
        *[comment(n, a, (2025, 2, 1)) for n in (2, 3, 4, 5)],          # FY2024: u2..u5 took part before too
        comment(5, a, (2025, 8, 1), from_mobile=True),
        comment(5, a, (2025, 8, 2), hidden_at=jst(2025, 8, 3)),        # an action, but not a visible comment
        comment(6, b, (2025, 12, 1)),
    ])
    states = {}
    for code, accepted in (("accepted", True), ("rejected", False), ("evaluating", False)):
        state = m.AnswerState(code=f"fy_{code}", label_ja=code, label_en=code, is_accepted=accepted)
        db.session.add(state)
        db.session.flush()
        states[code] = state.id
    db.session.add_all([
        m.ProposalAnswer(proposal_id=p1.id, state_id=states["accepted"], body="採用",
                         published_at=jst(2025, 4, 10, 23, 59)),                       # 10 days
        m.ProposalAnswer(proposal_id=p2.id, state_id=states["rejected"], body="不採用",
                         published_at=jst(2025, 5, 30)),                               # 20 days
        m.ProposalAnswer(proposal_id=p5.id, state_id=states["evaluating"], body="検討中",
                         published_at=jst(2025, 6, 4)),                                # 3 days
        m.ProposalAnswer(proposal_id=p3.id, state_id=states["accepted"], body="採用",
                         published_at=jst(*FY_NEXT)),                                  # FY2026
        m.ProposalAnswer(proposal_id=p4.id, state_id=states["accepted"], body="未公開"),  # never published
    ])
    db.session.commit()
    return SimpleNamespace(a=a, b=b, north=north, south=south, u=u)


def _fy(fy2025):
    return services.compute(None, P.fiscal_year(2025), [("platform", None), ("process", None), ("area", None)])


def test_fy_counts_output_and_tier1(fy2025):
    records = _fy(fy2025)
    a, b, north, south = str(fy2025.a.id), str(fy2025.b.id), str(fy2025.north.id), str(fy2025.south.id)
    # processes_open at 2026-03-31: a only (b ended on 30 March, c unpublished, d published 1 minute late)
    assert by_key(records, "processes_open")["value"] == 1
    assert by_key(records, "processes_open", "area", north)["value"] == 1
    assert by_key(records, "processes_open", "area", south)["value"] == 0
    # proposals published in FY2025: p2, p5 (process a) and p3 (process b, own area south); p1 and p4 are outside
    assert by_key(records, "proposals_submitted")["value"] == 3
    assert by_key(records, "proposals_submitted", "process", a)["value"] == 2
    assert by_key(records, "proposals_submitted", "area", north)["value"] == 2   # p2, p5 via process a
    assert by_key(records, "proposals_submitted", "area", south)["value"] == 1   # p3's own area
    # supports: u1 and u8 on p2 (u6's support is in FY2026)
    assert by_key(records, "supports_given")["value"] == 2
    # visible comments in FY2025: u5 (a) and u6 (b); the hidden one and the FY2024 ones do not count
    assert by_key(records, "comments_posted")["value"] == 2
    assert by_key(records, "comments_posted", "process", b)["value"] == 1
    # answers published in FY2025: p1 (10 days), p2 (20 days), p5 (3 days)
    assert by_key(records, "proposals_answered")["value"] == 3
    # new registrations: u6 (last minute of FY2025) and u8 (first minute); u7 is FY2026 -> 2 people, suppressed
    registrations = by_key(records, "new_registrations")
    assert (registrations["value"], registrations["suppressed"]) == (None, True)


def test_fy_participants_and_person_ratios(fy2025):
    records = _fy(fy2025)
    a, b, north, south = str(fy2025.a.id), str(fy2025.b.id), str(fy2025.north.id), str(fy2025.south.id)
    # distinct people over proposals, supports, endorsements and comments in FY2025:
    # u1 (support), u2 (p2, p5), u3 (p3), u4 (endorsement), u5 (comments), u6 (comment), u8 (support) = 7
    assert by_key(records, "participants")["value"] == 7
    # process a: u1, u2, u4, u5, u8 = 5; process b: u3, u6 = 2 -> suppressed
    assert by_key(records, "participants", "process", a)["value"] == 5
    assert by_key(records, "participants", "process", b)["suppressed"] is True
    # consented areas: north u1..u5 = 5; south u6 = 1 -> suppressed
    assert by_key(records, "participants", "area", north)["value"] == 5
    assert by_key(records, "participants_by_area", dimension_value=north)["value"] == 5
    assert by_key(records, "participants_by_area", dimension_value=south)["suppressed"] is True
    # age bands: 20s = u1, u3 (2) -> suppressed like every band here
    assert by_key(records, "participants_by_age_band", dimension_value="20s")["suppressed"] is True
    # repeat: u1 (p1 at 2025-03-31 23:59) and u2..u5 (comments in February 2025) acted before: 5 of 7
    repeat = by_key(records, "repeat_participation_rate")
    assert (repeat["numerator"], repeat["denominator"], repeat["value"]) == (5, 7, round(5 / 7, 6))
    # under 40 among the 6 with a consented band (u8 has none): u1, u2, u3, u4, u5 = 5 of 6
    under = by_key(records, "participants_under_40_share")
    assert (under["numerator"], under["denominator"], under["value"]) == (5, 6, round(5 / 6, 6))
    # process a: u1, u2, u4, u5 have a band (u8 has none), all under 40 -> 4 of 4, fewer than 5 -> suppressed
    assert by_key(records, "participants_under_40_share", "process", a)["suppressed"] is True


def test_fy_mobile_share_and_answer_ratios(fy2025):
    records = _fy(fy2025)
    a = str(fy2025.a.id)
    # FY2025 actions: p2, p3 (phone), p5, support u1 (phone), support u8, endorsement u4, comments u5 (phone),
    # u5 hidden, u6 = 9 actions, 3 from a phone (from_mobile)
    mobile = by_key(records, "mobile_share")
    assert (mobile["numerator"], mobile["denominator"], mobile["value"]) == (3, 9, round(3 / 9, 6))
    # process a: p2, p5, u1 (phone), u8, u4, u5 (phone), u5 hidden = 7 actions, 2 from a phone
    assert (by_key(records, "mobile_share", "process", a)["numerator"],
            by_key(records, "mobile_share", "process", a)["denominator"]) == (2, 7)
    # answer rate at 2026-03-31: published p1, p2, p3, p5 (p4 later); answered by then p1, p2, p5 -> 3/4
    rate = by_key(records, "proposal_answer_rate")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (3, 4, 0.75)
    # median of 10, 20 and 3 days
    assert by_key(records, "median_days_to_answer")["value"] == 10.0
    # accepted / answered in FY2025: p1 accepted; p2 rejected, p5 evaluating -> 1/3
    adoption = by_key(records, "proposal_adoption_rate")
    assert (adoption["numerator"], adoption["denominator"]) == (1, 3)
    assert adoption["value"] == round(1 / 3, 6)


def test_next_fiscal_year_picks_up_the_boundary_rows(fy2025):
    records = services.compute(None, P.fiscal_year(2026), [("platform", None)])
    assert by_key(records, "proposals_submitted")["value"] == 1            # p4 at 2026-04-01 00:00
    assert by_key(records, "supports_given")["value"] == 1                 # u6's support
    assert by_key(records, "proposals_answered")["value"] == 1             # p3's answer
    assert by_key(records, "median_days_to_answer")["value"] == round(1 / 1440, 2)  # one minute
    # answer rate cumulative at the end of FY2026: p1..p5 published, p1, p2, p3, p5 answered
    rate = by_key(records, "proposal_answer_rate")
    assert (rate["numerator"], rate["denominator"]) == (4, 5)
