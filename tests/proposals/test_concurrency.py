"""Acceptance 2: 50 participants support the same proposal at the same moment, each twice, through
the web app, each request in its own thread with its own app context and database session."""
import re
import threading

from sqlalchemy import func, select

from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport
from tests.conftest import TEST_PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
USERS = 50


def test_fifty_users_supporting_twice_at_once(app, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process)
    emails = [make_user().email for _ in range(USERS)]
    proposal_id = proposal.id
    db.session.remove()  # the test's own session holds nothing while the threads run

    barrier = threading.Barrier(USERS * 2)
    statuses, errors = [], []
    lock = threading.Lock()

    def participant(user_email):
        try:
            client = app.test_client()
            page = client.get("/account/sign-in").get_data(as_text=True)
            response = client.post("/account/sign-in", data={"email": user_email, "password": TEST_PASSWORD,
                                                             "csrf_token": TOKEN_RE.search(page).group(1)})
            assert response.status_code == 302
            token = TOKEN_RE.search(client.get(f"/proposals/{proposal_id}").get_data(as_text=True)).group(1)
            barrier.wait(timeout=120)
            response = client.post(f"/proposals/{proposal_id}/support", data={"csrf_token": token})
            with lock:
                statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(repr(exc))
            barrier.abort()

    # Each user twice: two browsers of the same person pressing "support" at the same time.
    threads = [threading.Thread(target=participant, args=(email,)) for email in emails for _ in range(2)]
    assert len(set(emails)) == USERS
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert len(statuses) == USERS * 2
    assert set(statuses) == {302}, statuses  # redirect with a message; never a 500
    rows = db.session.scalar(select(func.count(ProposalSupport.id)).where(ProposalSupport.proposal_id == proposal_id))
    distinct = db.session.scalar(select(func.count(func.distinct(ProposalSupport.user_id)))
                                 .where(ProposalSupport.proposal_id == proposal_id))
    counter = db.session.get(Proposal, proposal_id).supports_count
    assert rows == distinct == counter == USERS


def test_one_person_supporting_many_proposals_at_once_stays_within_the_limit(app, make_user, make_process,
                                                                              make_proposal, db):
    """Support limit 2, the same person supports 8 proposals from 8 browsers at the same moment."""
    process = make_process(support_limit=2)
    proposal_ids = [make_proposal(process).id for _ in range(8)]
    email = make_user().email
    db.session.remove()

    barrier = threading.Barrier(len(proposal_ids))
    statuses, errors = [], []
    lock = threading.Lock()

    def browser(proposal_id):
        try:
            client = app.test_client()
            page = client.get("/account/sign-in").get_data(as_text=True)
            client.post("/account/sign-in", data={"email": email, "password": TEST_PASSWORD,
                                                  "csrf_token": TOKEN_RE.search(page).group(1)})
            token = TOKEN_RE.search(client.get(f"/proposals/{proposal_id}").get_data(as_text=True)).group(1)
            barrier.wait(timeout=120)
            response = client.post(f"/proposals/{proposal_id}/support", data={"csrf_token": token})
            with lock:
                statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=browser, args=(pid,)) for pid in proposal_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == [] and set(statuses) == {302}, (errors, statuses)
    assert db.session.scalar(select(func.count(ProposalSupport.id))) == 2
    counters = db.session.scalars(select(Proposal.supports_count).where(Proposal.id.in_(proposal_ids))).all()
    assert sorted(counters) == [0] * 6 + [1, 1]


ENDORSERS = 20


def test_twenty_users_endorsing_twice_at_once(app, make_user, make_process, make_proposal, db):
    """Endorsements follow the same integrity rules: 20 participants press "I endorse this" at the same moment,
    each from two browsers; the count equals the distinct endorsers, with no duplicate and no 500."""
    process = make_process()
    proposal = make_proposal(process)
    emails = [make_user().email for _ in range(ENDORSERS)]
    proposal_id = proposal.id
    db.session.remove()

    barrier = threading.Barrier(ENDORSERS * 2)
    statuses, errors = [], []
    lock = threading.Lock()

    def endorser(user_email):
        try:
            client = app.test_client()
            page = client.get("/account/sign-in").get_data(as_text=True)
            response = client.post("/account/sign-in", data={"email": user_email, "password": TEST_PASSWORD,
                                                             "csrf_token": TOKEN_RE.search(page).group(1)})
            assert response.status_code == 302
            token = TOKEN_RE.search(client.get(f"/proposals/{proposal_id}").get_data(as_text=True)).group(1)
            barrier.wait(timeout=120)
            response = client.post(f"/proposals/{proposal_id}/endorse", data={"csrf_token": token})
            with lock:
                statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=endorser, args=(email,)) for email in emails for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert len(statuses) == ENDORSERS * 2
    assert set(statuses) == {302}, statuses
    where = ProposalEndorsement.proposal_id == proposal_id
    rows = db.session.scalar(select(func.count(ProposalEndorsement.id)).where(where))
    distinct = db.session.scalar(select(func.count(func.distinct(ProposalEndorsement.user_id))).where(where))
    counter = db.session.get(Proposal, proposal_id).endorsements_count
    assert rows == distinct == counter == ENDORSERS
