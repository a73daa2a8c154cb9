"""Supports and endorsements: integrity, limits, threshold, phases, withdrawn/hidden, blocked users."""
import re

import pytest
from sqlalchemy import func, select

from participation.common.errors import DomainError
from participation.common.time import utcnow
from participation.permissions import can
from participation.proposals import services
from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport


def _supports(db, proposal):
    rows = db.session.scalar(select(func.count(ProposalSupport.id)).where(ProposalSupport.proposal_id == proposal.id))
    db.session.expire_all()
    return rows, db.session.get(Proposal, proposal.id).supports_count


def _post(client, csrf, proposal, action):
    return client.post(f"/proposals/{proposal.id}/{action}", data={"csrf_token": csrf(f"/proposals/{proposal.id}")})


def test_support_and_withdraw_through_the_page(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process(support_limit=3, support_threshold=4)
    proposal = make_proposal(process)
    login(make_user())
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "3件中あと3件" in page  # "you have 3 of 3 supports left", as the resident reads it
    assert _post(client, csrf, proposal, "support").status_code == 302
    assert _supports(db, proposal) == (1, 1)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "3件中あと2件" in page
    assert '<progress max="4" value="1"' in page
    # double submit: friendly message, still one row
    response = _post(client, csrf, proposal, "support")
    assert response.status_code == 302
    assert _supports(db, proposal) == (1, 1)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "already support" in page or "すでに" in page
    assert _post(client, csrf, proposal, "unsupport").status_code == 302
    assert _supports(db, proposal) == (0, 0)
    _post(client, csrf, proposal, "unsupport")
    assert _supports(db, proposal) == (0, 0)


def test_support_limit(app, make_user, make_process, make_proposal, db):
    """Acceptance 3: the per-process limit is honoured, and withdrawing a support frees one again."""
    process = make_process(support_limit=2)
    first, second, third = (make_proposal(process) for _ in range(3))
    user = make_user()
    services.support(user, first)
    services.support(user, second)
    db.session.commit()
    assert not can(user, "proposals.support", third)
    with pytest.raises(DomainError) as error:
        services.support(user, third)
    assert "2" in str(error.value.message)
    db.session.rollback()
    assert _supports(db, third) == (0, 0)
    services.withdraw_support(user, second)
    db.session.commit()
    assert can(user, "proposals.support", third)


def _threshold_view(client, proposal):
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    match = re.search(r'<progress max="(\d+)" value="(\d+)"', page)
    assert match, "the proposal page shows no progress bar"
    return (int(match.group(1)), int(match.group(2))), page


def test_support_threshold_progress_and_reached(app, client, make_user, make_process, make_proposal, db):
    """Acceptance 3: the page shows progress towards the threshold, and "threshold reached" once it is met
    (in Japanese and English), not before."""
    process = make_process(support_threshold=3)
    proposal = make_proposal(process)
    english = app.test_client()
    english.set_cookie("lang", "en")
    view, page = _threshold_view(client, proposal)
    assert view == (3, 0) and "目標達成" not in page
    for count in (1, 2):
        services.support(make_user(), proposal)
        db.session.commit()
        view, page = _threshold_view(client, proposal)
        assert view == (3, count) and "目標達成" not in page
        assert f"賛成 {count}件（目標 3件）" in page
    view, page = _threshold_view(english, proposal)
    assert view == (3, 2) and "Threshold reached" not in page and "2 of 3 supports needed" in page
    services.support(make_user(), proposal)
    db.session.commit()
    view, page = _threshold_view(client, proposal)
    assert view == (3, 3) and "目標達成" in page
    view, page = _threshold_view(english, proposal)
    assert view == (3, 3) and "Threshold reached" in page
    services.support(make_user(), proposal)  # beyond the threshold the bar stays full
    db.session.commit()
    view, page = _threshold_view(client, proposal)
    assert view == (3, 3) and "目標達成" in page and "賛成 4件（目標 3件）" in page


def test_no_progress_bar_without_a_threshold(client, make_process, make_proposal):
    proposal = make_proposal(make_process(support_threshold=None))
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "<progress" not in page and "目標達成" not in page


def test_supports_closed_in_a_phase_without_supports(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process(phases=[{"features": ["proposals.create", "proposals.comment"]}])
    proposal = make_proposal(process)
    user = make_user()
    assert not can(user, "proposals.support", proposal)
    with pytest.raises(DomainError):
        services.support(user, proposal)
    db.session.rollback()
    login(user)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f'/proposals/{proposal.id}/support"' not in page
    assert _post(client, csrf, proposal, "support").status_code == 302
    assert _supports(db, proposal) == (0, 0)


@pytest.mark.parametrize("state", ["withdrawn", "hidden", "draft"])
def test_no_support_on_withdrawn_hidden_or_draft(state, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process, status="draft" if state == "draft" else "published")
    if state == "withdrawn":
        proposal.status, proposal.withdrawn_at = "withdrawn", utcnow()
    if state == "hidden":
        proposal.hidden_at = utcnow()
    db.session.commit()
    user = make_user()
    assert not can(user, "proposals.support", proposal)
    with pytest.raises(DomainError):
        services.support(user, proposal)
    with pytest.raises(DomainError):
        services.endorse(user, proposal)
    db.session.rollback()
    assert _supports(db, proposal) == (0, 0)


def test_blocked_user_cannot_support(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process)
    blocked = make_user(blocked=True)
    with pytest.raises(DomainError):
        services.support(blocked, proposal)
    db.session.rollback()
    user = make_user()
    login(user)
    token = csrf(f"/proposals/{proposal.id}")
    user.blocked_at = utcnow()
    db.session.commit()
    response = client.post(f"/proposals/{proposal.id}/support", data={"csrf_token": token})
    assert response.status_code in (302, 403)
    assert _supports(db, proposal) == (0, 0)


def test_guest_is_sent_to_sign_in(client, make_process, make_proposal, db):
    proposal = make_proposal(make_process())
    response = client.post(f"/proposals/{proposal.id}/support", data={})
    assert response.status_code in (302, 400)
    assert _supports(db, proposal) == (0, 0)


def test_endorsements_public_list(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process)
    first = make_user(display_name="賛同する花子")
    services.endorse(first, proposal)
    db.session.commit()
    with pytest.raises(DomainError):
        services.endorse(first, proposal)
    db.session.rollback()
    second = make_user(display_name="賛同する太郎")
    login(second)
    assert _post(client, csrf, proposal, "endorse").status_code == 302
    _post(client, csrf, proposal, "endorse")  # double submit
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).endorsements_count == 2
    assert db.session.scalar(select(func.count(ProposalEndorsement.id))) == 2
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "賛同する花子" in page and "賛同する太郎" in page


def test_phase_role_matrix(make_user, make_process, make_proposal):
    on = make_process()
    off = make_process(phases=[{"features": ["proposals.comment"]}])
    unpublished = make_process(published=False)
    roles = {"guest": None, "resident": make_user(), "blocked": make_user(blocked=True),
             "staff": make_user("staff"), "admin": make_user("admin")}
    expected = {"guest": False, "resident": True, "blocked": False, "staff": True, "admin": True}
    for process, open_ in ((on, True), (off, False), (unpublished, False)):
        proposal = make_proposal(process)
        for role, user in roles.items():
            assert can(user, "proposals.support", proposal) is (expected[role] and open_), (role, process.slug)
            assert can(user, "proposals.endorse", proposal) is (expected[role] and open_), (role, process.slug)
        assert can(roles["staff"], "staff.answer") and not can(roles["resident"], "staff.answer")
        assert not can(None, "staff.answer")


def test_supports_on_withdrawn_or_hidden_proposals_free_the_limit(client, csrf, login, make_user, make_process,
                                                                   make_proposal, db):
    """A withdrawn proposal is excluded from supports and a hidden one cannot be opened to take a support
    back: neither keeps a resident's support used up (the display and the service's limit check agree)."""
    process = make_process(support_limit=2)
    author = make_user()
    withdrawn, hidden, third, fourth = (make_proposal(process, author) for _ in range(4))
    user = make_user()
    services.support(user, withdrawn)
    services.support(user, hidden)
    db.session.commit()
    login(user)
    assert "2件中あと0件" in client.get(f"/processes/{process.slug}/proposals").get_data(as_text=True)
    assert not can(user, "proposals.support", third)

    services.withdraw_proposal(author, withdrawn)
    db.session.get(Proposal, hidden.id).hidden_at = utcnow()
    db.session.commit()
    assert client.get(f"/proposals/{hidden.id}").status_code == 404  # the resident cannot reach it any more

    assert "2件中あと2件" in client.get(f"/processes/{process.slug}/proposals").get_data(as_text=True)
    assert "2件中あと2件" in client.get(f"/proposals/{third.id}").get_data(as_text=True)
    assert _post(client, csrf, third, "support").status_code == 302
    assert _supports(db, third) == (1, 1)
    assert "2件中あと1件" in client.get(f"/proposals/{third.id}").get_data(as_text=True)
    db.session.expire_all()
    services.support(db.session.get(type(user), user.id), db.session.get(Proposal, fourth.id))
    db.session.commit()
    assert _supports(db, fourth) == (1, 1)
    # now at the limit again with two open supports: a fifth is refused
    fifth = make_proposal(process, author)
    with pytest.raises(DomainError):
        services.support(db.session.get(type(user), user.id), fifth)
    db.session.rollback()
    assert _supports(db, fifth) == (0, 0)


def test_withdrawing_a_support_is_refused_once_supports_are_off(client, csrf, login, make_user, make_process,
                                                                  make_proposal, db):
    """A support given while supports were on cannot be taken back in a later phase that switches them off:
    a clear message, no button, and the support and its count stay."""
    from datetime import timedelta

    from participation.common.time import local_today
    from participation.processes import services as process_services

    today = local_today()
    process = make_process(phases=[
        {"title": "提案と賛成", "features": ["proposals.create", "proposals.support", "proposals.comment"],
         "start": today - timedelta(days=10), "end": today + timedelta(days=10)},
        {"title": "検討", "features": ["proposals.comment"],
         "start": today + timedelta(days=11), "end": today + timedelta(days=20)}])
    proposal = make_proposal(process)
    user = make_user()
    login(user)
    assert _post(client, csrf, proposal, "support").status_code == 302
    assert _supports(db, proposal) == (1, 1)

    process_services.pin_phase(make_user("admin"), process.phases[1])  # the evaluation phase starts early
    db.session.commit()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "この提案に賛成しています" in page
    assert f'/proposals/{proposal.id}/unsupport"' not in page  # no button to press
    token = csrf(f"/proposals/{proposal.id}")
    response = client.post(f"/proposals/{proposal.id}/unsupport", data={"csrf_token": token})
    assert response.status_code in (302, 403, 409)
    assert _supports(db, proposal) == (1, 1)
    page = client.get(response.headers["Location"] if response.status_code == 302 else f"/proposals/{proposal.id}")
    assert "現在の段階では賛成を変更できません。" in page.get_data(as_text=True)
    db.session.expire_all()
    with pytest.raises(DomainError):
        services.withdraw_support(db.session.get(type(user), user.id), db.session.get(Proposal, proposal.id))
    db.session.rollback()
    assert _supports(db, proposal) == (1, 1)


def _endorsements(db, proposal):
    rows = db.session.scalar(select(func.count(ProposalEndorsement.id))
                             .where(ProposalEndorsement.proposal_id == proposal.id))
    db.session.expire_all()
    return rows, db.session.get(Proposal, proposal.id).endorsements_count


def test_withdrawing_an_endorsement(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process)
    services.endorse(make_user(display_name="賛同し続ける花子"), proposal)
    db.session.commit()
    user = make_user(display_name="取り消す太郎")
    login(user)
    assert _post(client, csrf, proposal, "endorse").status_code == 302
    assert _endorsements(db, proposal) == (2, 2)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "取り消す太郎" in page and f'/proposals/{proposal.id}/unendorse"' in page

    response = _post(client, csrf, proposal, "unendorse")
    assert response.status_code == 302
    assert _endorsements(db, proposal) == (1, 1)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "賛同を取り消しました。" in page
    assert "取り消す太郎" not in page and "賛同し続ける花子" in page
    assert f'/proposals/{proposal.id}/endorse"' in page  # they may endorse again
    # a second withdrawal (double submit) changes nothing
    _post(client, csrf, proposal, "unendorse")
    assert _endorsements(db, proposal) == (1, 1)
    assert "この提案には賛同していません。" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)


def test_no_withdraw_endorsement_button_once_the_proposal_is_withdrawn(client, csrf, login, make_user, make_process,
                                                                        make_proposal, db):
    """Endorsements close with the proposal: the page offers no button that would only answer with an error."""
    process = make_process()
    proposal = make_proposal(process)
    user = make_user(display_name="賛同した次郎")
    services.endorse(user, proposal)
    db.session.commit()
    login(user)
    assert f'/proposals/{proposal.id}/unendorse"' in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    services.withdraw_proposal(proposal.author, proposal)
    db.session.commit()
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f'/proposals/{proposal.id}/unendorse"' not in page and "賛同した次郎" in page


def test_endorsers_are_listed_by_public_name_and_a_deleted_account_as_deleted_participant(
        app, client, make_user, make_process, make_proposal, db):
    process = make_process()
    proposal = make_proposal(process)
    kept, gone = make_user(display_name="佐藤一郎"), make_user(display_name="鈴木次郎")
    services.endorse(kept, proposal)
    services.endorse(gone, proposal)
    db.session.get(type(gone), gone.id).deleted_at = utcnow()
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    endorsers = html.split('class="endorsers"')[1].split("</ul>")[0]
    assert "<li>佐藤一郎</li>" in endorsers and "<li>deleted participant</li>" in endorsers
    assert "鈴木次郎" not in html
