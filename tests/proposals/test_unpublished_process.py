"""Acceptance 3 of issue 3 for what lives inside a process: once a process is unpublished, every URL naming
one of its proposals is 404 for residents (GET pages and POST actions, which store nothing), and neither the
home page nor the open-data ZIP (live or written by the job) shows its proposals. Staff still see them."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from participation.comments import services as comment_services
from participation.comments.models import Comment
from participation.common.time import utcnow
from participation.kpi import opendata
from participation.moderation.models import Flag
from participation.notifications.models import Follow
from participation.processes import services as process_services
from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport

ROLES = ("guest", "resident", "blocked")


@pytest.fixture
def world(db, make_process, make_proposal, make_user):
    """A process (every feature on) where people took part while it was published, then unpublished."""
    admin = make_user("admin")
    process = make_process(actor=admin, title="非公開になったプロセス")
    author = make_user()
    proposal = make_proposal(process, author, title="非公開プロセスの提案です")
    draft = make_proposal(process, author, status="draft", title="非公開プロセスの下書きです")
    comment = comment_services.post_comment(author, "proposal", proposal.id, "補足のコメント", 0)
    db.session.commit()
    process_services.unpublish_process(admin, process)
    db.session.commit()
    return {"process": process, "author": author, "proposal": proposal, "draft": draft, "comment": comment}


def _sign_in(role, world, make_user, login, db, *, as_author: bool):
    """The visitor: a guest, or a resident (the proposals' author, or someone else), possibly blocked."""
    if role == "guest":
        return None
    user = world["author"] if as_author else make_user()
    login(user)
    if role == "blocked":  # blocked after signing in: the session must not reveal anything either
        user.blocked_at = utcnow()
        db.session.commit()
    return user


def _get_urls(app, proposal_id: int) -> list[str]:
    """Every GET URL naming a proposal: the proposals blueprint's /proposals/<proposal_id>... pages, and the
    generic target pages (e.g. the flag form) with target_type=proposal. /staff URLs refuse non-staff before
    reading the id (they reveal nothing) and are checked for staff below."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/staff", "/admin")):
            continue
        if rule.endpoint.startswith("proposals.") and "proposal_id" in rule.arguments:
            urls.append(rule.rule.replace("<int:proposal_id>", str(proposal_id)))
        elif rule.arguments == {"target_type", "target_id"}:
            urls.append(rule.rule.replace("<target_type>", "proposal").replace("<int:target_id>", str(proposal_id)))
    return urls


def test_the_url_list_covers_the_proposal_pages(app):
    urls = _get_urls(app, 7)
    assert {"/proposals/7", "/proposals/7/edit", "/proposals/7/preview", "/proposals/7/similar",
            "/flag/proposal/7"} <= set(urls)
    assert all("<" not in url for url in urls), urls


@pytest.mark.parametrize("role, as_author", [("guest", False), ("resident", True), ("resident", False),
                                             ("blocked", True), ("blocked", False)],
                         ids=["guest", "author", "other-resident", "blocked-author", "blocked-other"])
def test_every_get_url_naming_its_proposals_is_404(role, as_author, app, client, db, world, make_user, login):
    _sign_in(role, world, make_user, login, db, as_author=as_author)
    for proposal in (world["proposal"], world["draft"]):
        for url in _get_urls(app, proposal.id):
            assert client.get(url).status_code == 404, url
    # A comment on the proposal is named by its own URLs too (its author, the proposals' author, may not
    # edit it there now).
    assert client.get(f"/comments/{world['comment'].id}/edit").status_code == 404


def _counts(db) -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (ProposalSupport, ProposalEndorsement, Comment, Flag, Follow)}


def _actions(proposal_id: int) -> dict[str, dict]:
    return {
        f"/proposals/{proposal_id}/support": {},
        f"/proposals/{proposal_id}/endorse": {},
        f"/comments/proposal/{proposal_id}": {"body": "見えないはずの提案へのコメント", "alignment": "1", "parent_id": ""},
        f"/flag/proposal/{proposal_id}": {"reason": "spam", "details": ""},
        f"/follow/proposal/{proposal_id}": {"action": "follow"},
    }


@pytest.mark.parametrize("role", ROLES)
def test_post_actions_on_its_proposals_are_404_and_store_nothing(role, client, csrf, db, world, make_user, login):
    _sign_in(role, world, make_user, login, db, as_author=False)
    before = _counts(db)
    # A valid token of this session, from a page with a form: the header's (sign-out) for a resident, the
    # sign-in form for a guest or a blocked account (never signed in, so its header is a guest's: no token).
    token = csrf("/" if role == "resident" else "/account/sign-in")
    for url, data in _actions(world["proposal"].id).items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert _counts(db) == before


def test_the_same_actions_work_while_the_process_is_published(client, csrf, db, world, make_user, login):
    """Guards the test above: the requests are valid, so their 404 comes from the unpublished process."""
    process_services.publish_process(make_user("admin"), world["process"])
    db.session.commit()
    login(make_user())
    before = _counts(db)
    token = csrf("/")
    for url, data in _actions(world["proposal"].id).items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 302, url
    after = _counts(db)
    assert {name: after[name] - before[name] for name in after} == {
        "ProposalSupport": 1, "ProposalEndorsement": 1, "Comment": 1, "Flag": 1, "Follow": 1}


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_still_see_the_proposal(role, client, world, make_user, login):
    login(make_user(role))
    proposal = world["proposal"]
    for url in (f"/proposals/{proposal.id}", f"/staff/proposals/{proposal.id}/answer", f"/flag/proposal/{proposal.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert proposal.title in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_home_page_never_lists_it_or_its_proposals(role, client, db, world, make_user, make_process, login):
    shown = make_process(title="公開中のプロセス")
    _sign_in(role, world, make_user, login, db, as_author=True)
    html = client.get("/").get_data(as_text=True)
    assert shown.title in html  # the home page does list open processes
    assert world["process"].title not in html and f"/processes/{world['process'].slug}" not in html
    assert world["proposal"].title not in html and f"/proposals/{world['proposal'].id}" not in html


def _proposal_ids_in_open_data(client, *, from_job: bool) -> set[str]:
    response = client.get("/open-data.zip")
    assert response.status_code == 200
    # The job's file is sent as it is (its length known); otherwise the ZIP is streamed live.
    assert ("Content-Length" in response.headers) is from_job
    text = zipfile.ZipFile(io.BytesIO(response.get_data())).read("proposals.csv").decode("utf-8-sig")
    return {line.split(",")[0] for line in text.split("\r\n")[1:] if line}


def test_open_data_never_contains_its_proposals(client, db, world, make_process, make_proposal, make_user):
    admin = make_user("admin")
    visible = make_proposal(make_process())
    hidden = world["proposal"]
    assert db.session.get(Proposal, hidden.id).status == "published"  # only its process hides it
    path = opendata.cached_path()
    path.unlink(missing_ok=True)
    try:
        # Streamed live, and as written by the nightly job.
        assert _proposal_ids_in_open_data(client, from_job=False) == {str(visible.id)}
        opendata.regenerate()
        assert _proposal_ids_in_open_data(client, from_job=True) == {str(visible.id)}
        # The job wrote the file while the process was published; it is unpublished afterwards: the file
        # written before must not be served with the proposal in it (not even until the next run).
        process_services.publish_process(admin, world["process"])
        db.session.commit()
        opendata.regenerate()
        assert _proposal_ids_in_open_data(client, from_job=True) == {str(visible.id), str(hidden.id)}
        process_services.unpublish_process(admin, world["process"])
        db.session.commit()
        assert _proposal_ids_in_open_data(client, from_job=False) == {str(visible.id)}
    finally:
        path.unlink(missing_ok=True)
