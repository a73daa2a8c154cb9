"""Hostile and malformed input, one test per defect found in the review: a clear message or the right 4xx,
never a 500, nothing half-stored, nothing shown or changed without permission."""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import csrf_from, signed_in

HUGE = "99999999999999999999"  # more than any database integer column holds



def token(client) -> str:
    return csrf_from(client.get("/account/data"))


def add_proposal(db, process, author, **columns):
    from participation.common.time import utcnow
    from participation.proposals.models import Proposal

    values = {"title": "駅前に駐輪場を増やしてほしいという提案", "body": "駅前の駐輪場がいつも満車なので増やしてください。",
              "status": "published", "published_at": utcnow()}
    values.update(columns)
    proposal = Proposal(process_id=process.id, author_id=author.id, **values)
    db.session.add(proposal)
    db.session.flush()
    proposal.reference = f"P-2026-{proposal.id:06d}"
    db.session.commit()
    return proposal


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def states(app, db):
    from participation.proposals.services import ensure_builtin_states

    rows = ensure_builtin_states()
    db.session.commit()
    return rows


# --- ids too large for the database ------------------------------------------------------------
@pytest.mark.parametrize("method, path", [
    ("GET", f"/proposals/{HUGE}"), ("GET", f"/proposals/{HUGE}/edit"), ("GET", f"/comments/{HUGE}/edit"),
    ("GET", f"/flag/proposal/{HUGE}"), ("GET", f"/admin/users/{HUGE}"), ("GET", f"/admin/processes/{HUGE}/edit"),
    ("GET", f"/staff/proposals/{HUGE}/answer"), ("POST", f"/comments/{HUGE}/vote"),
    ("POST", f"/notifications/{HUGE}/read"),
])
def test_an_id_too_large_for_the_database_is_a_404(app, make_user, method, path):
    client = signed_in(app, make_user("admin"))
    response = client.open(path, method=method, data={"csrf_token": token(client)} if method == "POST" else None)
    assert response.status_code == 404


# --- comments ------------------------------------------------------------------------------------
def test_a_unicode_digit_comments_page_shows_the_first_page(app, db, client, make_user, make_process):
    from participation.comments.services import post_comment

    proposal = add_proposal(db, make_process(), make_user())
    post_comment(make_user(), "proposal", proposal.id, "最初のコメントです", "0")
    db.session.commit()
    response = client.get(f"/proposals/{proposal.id}?comments_page=²")
    assert response.status_code == 200
    assert "最初のコメントです" in response.get_data(as_text=True)


@pytest.mark.parametrize("parent_id", ["²", "abc", "-1"])
def test_a_reply_naming_an_unreadable_parent_is_refused_and_not_stored_as_a_comment(app, db, make_user,
                                                                                     make_process, parent_id):
    from participation.comments.models import Comment

    proposal = add_proposal(db, make_process(), make_user())
    client = signed_in(app, make_user())
    response = client.post(f"/comments/proposal/{proposal.id}", data={
        "csrf_token": token(client), "body": "返信のつもりです", "alignment": "0", "parent_id": parent_id})
    assert response.status_code == 400
    assert count(db, Comment) == 0


def test_the_flag_page_does_not_show_deleted_or_hidden_comments(app, db, make_user, make_process):
    from participation.comments.services import delete_comment, post_comment
    from participation.common.time import utcnow
    from participation.moderation.models import Flag

    author = make_user()
    proposal = add_proposal(db, make_process(), author)
    hidden_proposal = add_proposal(db, make_process(), author, hidden_at=None)
    deleted = post_comment(author, "proposal", proposal.id, "消したコメント 090-1234-5678", "0")
    hidden = post_comment(author, "proposal", proposal.id, "非表示のコメント", "0")
    on_hidden = post_comment(author, "proposal", hidden_proposal.id, "非表示の提案へのコメント", "0")
    db.session.commit()
    delete_comment(author, deleted)
    hidden.hidden_at = hidden_proposal.hidden_at = utcnow()
    db.session.commit()
    client = signed_in(app, make_user())
    for comment, text in ((deleted, "消したコメント"), (hidden, "非表示のコメント"), (on_hidden, "非表示の提案へのコメント")):
        page = client.get(f"/flag/comment/{comment.id}")
        assert page.status_code == 403
        assert text not in page.get_data(as_text=True)
        sent = client.post(f"/flag/comment/{comment.id}", data={"csrf_token": token(client), "reason": "spam"})
        assert sent.status_code == 403
    assert count(db, Flag) == 0
    # A visible comment can still be reported.
    visible = post_comment(author, "proposal", proposal.id, "見えるコメント", "0")
    db.session.commit()
    assert "見えるコメント" in client.get(f"/flag/comment/{visible.id}").get_data(as_text=True)


def test_a_line_break_in_a_proposal_title_does_not_break_commenting_on_it(app, db, make_user, make_process, outbox):
    from participation.comments.models import Comment

    proposal = add_proposal(db, make_process(), make_user(),
                            title="駅前に駐輪場を増やしてほしいという提案\r\nBcc: someone@example.com")
    client = signed_in(app, make_user())
    response = client.post(f"/comments/proposal/{proposal.id}", data={
        "csrf_token": token(client), "body": "賛成です", "alignment": "1"})
    assert response.status_code == 302
    assert count(db, Comment) == 1
    [mail] = outbox()  # the proposal's author is told, in one subject line
    assert "\n" not in mail["Subject"] and mail["Bcc"] is None
    assert "Bcc: someone@example.com" in mail["Subject"]


# --- mails and the Host header -------------------------------------------------------------------
def test_a_password_reset_link_never_points_at_the_host_the_requester_sent(app, client, make_user, outbox):
    user = make_user()
    evil = {"Host": "evil.example"}
    response = client.post("/account/forgot-password", headers=evil, data={
        "email": user.email, "csrf_token": csrf_from(client.get("/account/forgot-password", headers=evil))})
    assert response.status_code == 400
    assert "Your form expired" not in response.get_data(as_text=True)
    assert not [mail for mail in outbox() if "evil.example" in mail.get_body().get_content()]
    # The same request to the site's own host sends the link; with PUBLIC_BASE_URL set, links use it whatever
    # the Host header says.
    app.config["PUBLIC_BASE_URL"] = "https://participation.example.jp"
    response = client.post("/account/forgot-password", headers=evil, data={
        "email": user.email, "csrf_token": csrf_from(client.get("/account/forgot-password", headers=evil))})
    assert response.status_code == 302
    [mail] = outbox()
    assert "https://participation.example.jp/account/reset/" in mail.get_body().get_content()


# --- proposals and answers -------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["category", "area", "answer_state", "template_state"])
def test_a_select_naming_an_id_too_large_for_the_database_is_refused(app, db, make_user, make_process, states,
                                                                       case):
    from participation.proposals.models import AnswerTemplate, Proposal, ProposalAnswer

    process = make_process()
    if case in ("category", "area"):
        client = signed_in(app, make_user())
        response = client.post(f"/processes/{process.slug}/proposals/new", data={
            "csrf_token": token(client), "title": "駅前に駐輪場を増やしてほしいという提案",
            "body": "駅前の駐輪場がいつも満車なので増やしてください。", f"{case}_id": HUGE})
        assert response.status_code == 400
        assert count(db, Proposal) == 0
        return
    client = signed_in(app, make_user("staff"))
    if case == "answer_state":
        proposal = add_proposal(db, process, make_user())
        response = client.post(f"/staff/proposals/{proposal.id}/answer", data={
            "csrf_token": token(client), "state_id": HUGE, "body": "検討します", "publish": "now"})
        assert response.status_code == 422
        assert count(db, ProposalAnswer) == 0
    else:
        response = client.post("/staff/answer-templates", data={
            "csrf_token": token(client), "title": "定型文", "body": "検討します", "state_id": HUGE})
        assert response.status_code == 422
        assert count(db, AnswerTemplate) == 0


@pytest.mark.parametrize("cost", ["Infinity", "1e400", "1" + "0" * 14])
def test_an_infinite_or_oversized_cost_is_refused_and_not_stored(app, db, make_user, make_process, states, cost):
    from participation.common.errors import DomainError
    from participation.proposals.models import ProposalAnswer
    from participation.proposals.services import save_answer

    proposal = add_proposal(db, make_process(), make_user())
    staff = make_user("staff")
    client = signed_in(app, staff)
    response = client.post(f"/staff/proposals/{proposal.id}/answer", data={
        "csrf_token": token(client), "state_id": str(states["accepted"].id), "body": "実施します", "cost": cost,
        "publish": "now"})
    assert response.status_code == 422
    assert count(db, ProposalAnswer) == 0
    with pytest.raises(DomainError):  # callers without the form (imports, the CLI) too
        save_answer(staff, proposal, {"state_id": states["accepted"].id, "body": "x", "cost": Decimal(cost),
                                      "publish": "now"})
    db.session.rollback()
    assert client.get(f"/proposals/{proposal.id}").status_code == 200


def test_zero_means_unlimited_in_the_process_form(app, db, make_user):
    from participation.processes.models import Process

    client = signed_in(app, make_user("staff"))
    response = client.post("/admin/processes/new", data={
        "csrf_token": token(client), "title": "バス路線の見直し", "slug": "bus-network-2027", "start_date": "2026-04-01",
        "end_date": "2026-09-30", "area_id": "", "group_id": "", "components": ["proposals"], "support_limit": "0",
        "support_threshold": "", "proposal_body_max": "2000", "edit_window_minutes": "0", "hide_after_flags": "3",
        "proposal_limit": "0"})
    assert response.status_code == 302
    process = db.session.scalar(select(Process).where(Process.slug == "bus-network-2027"))
    assert (process.support_limit, process.proposal_limit, process.edit_window_minutes) == (0, 0, 0)


# --- defects in participation/proposals/views.py -----------------------------------------------
@pytest.mark.parametrize("query", ["category=²", "area=²"])
def test_a_unicode_digit_list_filter_is_ignored(app, db, client, make_user, make_process, query):
    process = make_process()
    add_proposal(db, process, make_user())
    response = client.get(f"/processes/{process.slug}/proposals?{query}")
    assert response.status_code == 200
    assert "駅前に駐輪場を増やしてほしいという提案" in response.get_data(as_text=True)


def test_a_bulk_answer_naming_a_unicode_digit_id_answers_nothing(app, db, make_user, make_process, states):
    from participation.proposals.models import ProposalAnswer

    process = make_process()
    add_proposal(db, process, make_user())
    client = signed_in(app, make_user("staff"))
    response = client.post(f"/staff/processes/{process.slug}/proposals/bulk-answer", data={
        "csrf_token": token(client), "state_id": str(states["rejected"].id), "proposal_ids": ["²"],
        "publish": "draft"})
    assert response.status_code == 302
    assert count(db, ProposalAnswer) == 0


def test_a_refused_proposal_does_not_keep_its_photo(app, db, make_user, make_process):
    from participation.proposals.models import ProposalCategory

    process, other = make_process(), make_process()
    elsewhere = ProposalCategory(process_id=other.id, name_ja="他のプロセスの分類", name_en="")
    db.session.add(elsewhere)
    db.session.commit()
    uploads = Path(app.config["UPLOAD_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    before = set(uploads.iterdir())
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(photo, "PNG")
    photo.seek(0)
    client = signed_in(app, make_user())
    response = client.post(f"/processes/{process.slug}/proposals/new", content_type="multipart/form-data", data={
        "csrf_token": token(client), "title": "駅前に駐輪場を増やしてほしいという提案",
        "body": "駅前の駐輪場がいつも満車なので増やしてください。", "category_id": str(elsewhere.id),
        "image": (photo, "photo.png")})
    assert response.status_code == 400
    assert set(uploads.iterdir()) == before
