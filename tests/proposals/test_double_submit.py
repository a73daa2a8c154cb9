"""A double submit (double tap, resend after a slow network) stores nothing the second time: the
new-proposal form carries a random key made when the page is shown, and a unique index on
(author, key) lets the database refuse a second draft. Both responses lead to the one draft."""
import re
import threading

import pytest
from sqlalchemy import func, select

from participation.proposals.models import Proposal
from tests.conftest import TEST_PASSWORD, csrf_from

KEY_RE = re.compile(r'name="submission_key"[^>]*value="([^"]*)"')
TITLE = "駅前に駐輪場を増やしてほしいです"
BODY = "朝の通勤時間に駅前の駐輪場がいつも満車です。台数を増やしてください。"


def _form_page(client, process):
    """(csrf token, submission key) read from the new-proposal page, as a browser would."""
    page = client.get(f"/processes/{process.slug}/proposals/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    keys = KEY_RE.findall(html)
    assert len(keys) == 1 and re.fullmatch(r"[A-Za-z0-9_-]{22}", keys[0]), keys
    return csrf_from(page), keys[0]


def _proposal_data(token, key=None, **values):
    data = {"title": TITLE, "body": BODY, "category_id": "", "area_id": "", "address": "", "latitude": "",
            "longitude": "", "csrf_token": token}
    if key is not None:
        data["submission_key"] = key
    data.update(values)
    return data


def _drafts(db):
    return db.session.scalar(select(func.count(Proposal.id)))


# --- the new-proposal form -------------------------------------------------------------------
def test_the_same_new_proposal_form_sent_twice_stores_one_draft(client, db, login, make_user, make_process):
    process = make_process()
    author = make_user()
    login(author)
    token, key = _form_page(client, process)
    url = f"/processes/{process.slug}/proposals/new"
    first = client.post(url, data=_proposal_data(token, key))
    second = client.post(url, data=_proposal_data(token, key))
    assert first.status_code == second.status_code == 302
    draft = db.session.scalar(select(Proposal))
    assert _drafts(db) == 1 and draft.author_id == author.id and draft.submission_key == key
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/proposals/{draft.id}/similar")
    assert client.get(second.headers["Location"]).status_code == 200  # the user sees their one draft


def test_two_renderings_of_the_form_store_two_drafts(client, db, login, make_user, make_process):
    process = make_process()
    login(make_user())
    url = f"/processes/{process.slug}/proposals/new"
    token, key_one = _form_page(client, process)
    _token, key_two = _form_page(client, process)
    assert key_one != key_two
    first = client.post(url, data=_proposal_data(token, key_one))
    second = client.post(url, data=_proposal_data(token, key_two))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] != second.headers["Location"]
    assert _drafts(db) == 2


def test_a_post_without_a_key_still_works_as_before(client, db, login, make_user, make_process):
    """A page rendered before keys existed: each post stores a draft."""
    process = make_process()
    login(make_user())
    url = f"/processes/{process.slug}/proposals/new"
    token, _key = _form_page(client, process)
    assert client.post(url, data=_proposal_data(token)).status_code == 302
    assert client.post(url, data=_proposal_data(token, "")).status_code == 302
    assert _drafts(db) == 2
    assert db.session.scalars(select(Proposal.submission_key)).all() == [None, None]


def test_the_same_key_from_another_author_is_their_own_submission(app, client, db, login, make_user, make_process):
    """Keys are unique per author: another person's post never returns (or reveals) someone else's draft."""
    process = make_process()
    url = f"/processes/{process.slug}/proposals/new"
    login(make_user())
    token, key = _form_page(client, process)
    assert client.post(url, data=_proposal_data(token, key)).status_code == 302
    other = app.test_client()
    page = other.get("/account/sign-in")
    other.post("/account/sign-in", data={"email": make_user().email, "password": TEST_PASSWORD,
                                         "csrf_token": csrf_from(page)})
    response = other.post(url, data=_proposal_data(csrf_from(other.get(url)), key))
    assert response.status_code == 302
    assert _drafts(db) == 2
    assert len(set(db.session.scalars(select(Proposal.author_id)))) == 2


def test_the_form_used_again_with_other_text_stores_a_new_draft(client, db, login, make_user, make_process):
    """The back button can restore the page with its old key; what the person then writes is not a resend
    and must not be dropped."""
    process = make_process()
    login(make_user())
    url = f"/processes/{process.slug}/proposals/new"
    token, key = _form_page(client, process)
    first = client.post(url, data=_proposal_data(token, key))
    second = client.post(url, data=_proposal_data(token, key, body=BODY + "夜も混んでいます。"))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] != second.headers["Location"]
    assert _drafts(db) == 2


def test_a_resend_after_publishing_leads_to_the_published_proposal(client, db, login, make_user, make_process):
    process = make_process()
    login(make_user())
    url = f"/processes/{process.slug}/proposals/new"
    token, key = _form_page(client, process)
    client.post(url, data=_proposal_data(token, key))
    draft = db.session.scalar(select(Proposal))
    assert client.post(f"/proposals/{draft.id}/publish", data={"csrf_token": token}).status_code == 302
    again = client.post(url, data=_proposal_data(token, key))
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/proposals/{draft.id}")
    assert _drafts(db) == 1


@pytest.mark.parametrize("key", ["a" * 65, "short", "abc!def<ghi>jkl%mnopq", "鍵" * 22, "a" * 21 + "\x00"],
                         ids=["too-long", "too-short", "wrong-characters", "not-ascii", "nul"])
def test_a_malformed_key_is_refused_and_nothing_is_stored(client, db, login, make_user, make_process, key):
    process = make_process()
    login(make_user())
    token, _key = _form_page(client, process)
    response = client.post(f"/processes/{process.slug}/proposals/new", data=_proposal_data(token, key))
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True) or "再読み込み" in response.get_data(as_text=True)
    assert _drafts(db) == 0


def test_the_edit_form_carries_no_key(client, db, login, make_user, make_process):
    process = make_process()
    login(make_user())
    token, key = _form_page(client, process)
    client.post(f"/processes/{process.slug}/proposals/new", data=_proposal_data(token, key))
    draft = db.session.scalar(select(Proposal))
    assert KEY_RE.search(client.get(f"/proposals/{draft.id}/edit").get_data(as_text=True)) is None


# --- sent at the same moment -----------------------------------------------------------------
SENDS = 4


def _send_at_once(app, email, get_path, post_path, data):
    """SENDS browsers of one person post `data` (with one key) at the same moment; returns the responses'
    (status, Location) and the errors."""
    barrier = threading.Barrier(SENDS)
    results, errors = [], []
    lock = threading.Lock()

    def browser():
        try:
            client = app.test_client()
            page = client.get("/account/sign-in")
            response = client.post("/account/sign-in", data={"email": email, "password": TEST_PASSWORD,
                                                             "csrf_token": csrf_from(page)})
            assert response.status_code == 302
            token = csrf_from(client.get(get_path))
            barrier.wait(timeout=120)
            response = client.post(post_path, data={**data, "csrf_token": token})
            with lock:
                results.append((response.status_code, response.headers.get("Location")))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=browser) for _ in range(SENDS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results, errors


def test_new_proposal_sent_at_the_same_moment_stores_one_draft(app, client, db, login, make_user, make_process):
    process = make_process()
    author = make_user()
    login(author)
    _token, key = _form_page(client, process)
    path = f"/processes/{process.slug}/proposals/new"
    email = author.email
    db.session.remove()
    results, errors = _send_at_once(app, email, path, path, _proposal_data("", key))
    assert errors == []
    assert {status for status, _location in results} == {302}, results  # never a 500
    assert len({location for _status, location in results}) == 1, results
    assert _drafts(db) == 1
