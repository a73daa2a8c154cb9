"""After the merge: the contract indicators over the REAL proposals / comments tables (skipped while
those packages are not installed). Values worked out by hand."""
from datetime import date

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
