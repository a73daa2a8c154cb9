"""Creating a proposal on a phone: write -> similar -> preview -> publish, drafts, bad input."""
import io
import re

from PIL import Image
from sqlalchemy import func, select

from participation.proposals.models import Proposal, ProposalCategory

PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}
TITLE = "駅前に駐輪場を増やしてほしいです"
BODY = "朝の通勤時間に駅前の駐輪場がいつも満車です。台数を増やしてください。"


def _form(csrf_path, csrf, **values):
    data = {"title": TITLE, "body": BODY, "category_id": "", "area_id": "", "address": "", "latitude": "",
            "longitude": "", "csrf_token": csrf(csrf_path)}
    data.update(values)
    return data


def _count(db):
    return db.session.scalar(select(func.count(Proposal.id)))


def test_full_flow_write_similar_preview_publish(client, csrf, login, make_user, make_process, make_proposal, db):
    process = make_process(slug="bus")
    make_proposal(process, title="駅前の駐輪場を拡張してほしい", body="駅前の駐輪場が足りません。増設をお願いします。")
    author = make_user()
    client.environ_base["HTTP_USER_AGENT"] = PHONE["User-Agent"]
    login(author)
    new = f"/processes/{process.slug}/proposals/new"
    response = client.post(new, data=_form(new, csrf))
    assert response.status_code == 302, response.get_data(as_text=True)
    draft = db.session.scalar(select(Proposal).where(Proposal.author_id == author.id))
    assert draft.status == "draft" and draft.published_at is None and draft.from_mobile is True
    assert re.fullmatch(r"P-\d{4}-\d{6}", draft.reference)
    assert response.headers["Location"].endswith(f"/proposals/{draft.id}/similar")

    similar = client.get(f"/proposals/{draft.id}/similar").get_data(as_text=True)
    assert "駅前の駐輪場を拡張してほしい" in similar
    preview = client.get(f"/proposals/{draft.id}/preview")
    assert preview.status_code == 200 and TITLE in preview.get_data(as_text=True)
    # a draft is not listed and not visible to others
    assert TITLE not in client.get(f"/processes/{process.slug}/proposals").get_data(as_text=True)

    token = csrf(f"/proposals/{draft.id}/preview")
    response = client.post(f"/proposals/{draft.id}/publish", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert draft.status == "published" and draft.published_at is not None
    # double submit: the second publish changes nothing
    again = client.post(f"/proposals/{draft.id}/publish", data={"csrf_token": token})
    assert again.status_code == 302
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert TITLE in page and draft.reference in page and author.display_name in page
    assert TITLE in client.get(f"/processes/{process.slug}/proposals").get_data(as_text=True)


def test_drafts_are_listed_and_resumable(client, csrf, login, make_user, make_process, db):
    process = make_process()
    author, other = make_user(), make_user()
    login(author)
    new = f"/processes/{process.slug}/proposals/new"
    client.post(new, data=_form(new, csrf))
    draft = db.session.scalar(select(Proposal).where(Proposal.author_id == author.id))
    listing = client.get(f"/processes/{process.slug}/proposals/drafts").get_data(as_text=True)
    assert TITLE in listing and f"/proposals/{draft.id}/edit" in listing
    edit = f"/proposals/{draft.id}/edit"
    response = client.post(edit, data=_form(edit, csrf, title="駅前に駐輪場を増やして屋根もつけてほしい"))
    assert response.status_code == 302
    db.session.expire_all()
    assert draft.title == "駅前に駐輪場を増やして屋根もつけてほしい" and draft.status == "draft"
    # someone else cannot see or resume it
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    login(other)
    assert client.get(f"/proposals/{draft.id}/preview").status_code == 404
    assert client.get(f"/proposals/{draft.id}").status_code == 404


def test_bad_input_is_refused_and_nothing_stored(client, csrf, login, make_user, make_process, db):
    process = make_process(proposal_body_max=100)
    login(make_user())
    new = f"/processes/{process.slug}/proposals/new"
    cases = [
        {"title": ""},
        {"title": "短すぎる"},
        {"title": "あ" * 151},
        {"body": ""},
        {"body": "短い本文"},
        {"body": "あ" * 101},
        {"latitude": "95", "longitude": "139.7"},
        {"latitude": "35.6", "longitude": ""},
        {"latitude": "abc", "longitude": "139.7"},
        {"address": "あ" * 301},
    ]
    for values in cases:
        response = client.post(new, data=_form(new, csrf, **values))
        assert response.status_code == 422, values
        assert "error" in response.get_data(as_text=True)
    assert _count(db) == 0


def test_tampered_category_from_another_process(client, csrf, login, make_user, make_process, db):
    process, other = make_process(), make_process()
    foreign = ProposalCategory(process_id=other.id, name_ja="よその分類", name_en="Foreign")
    own = ProposalCategory(process_id=process.id, name_ja="交通", name_en="Transport")
    shared = ProposalCategory(process_id=None, name_ja="全体", name_en="Global")
    db.session.add_all([foreign, own, shared])
    db.session.commit()
    login(make_user())
    new = f"/processes/{process.slug}/proposals/new"
    page = client.get(new).get_data(as_text=True)
    assert "交通" in page and "全体" in page and "よその分類" not in page
    response = client.post(new, data=_form(new, csrf, category_id=str(foreign.id)))
    assert response.status_code == 400
    assert "does not belong to this process" in response.get_data(as_text=True) or \
        "このプロセス" in response.get_data(as_text=True)
    assert client.post(new, data=_form(new, csrf, category_id="999999")).status_code == 400
    assert _count(db) == 0
    assert client.post(new, data=_form(new, csrf, category_id=str(shared.id))).status_code == 302
    assert client.post(new, data=_form(new, csrf, category_id=str(own.id))).status_code == 302
    assert _count(db) == 2


def test_html_and_script_are_inert(client, csrf, login, make_user, make_process, db):
    process = make_process()
    login(make_user())
    new = f"/processes/{process.slug}/proposals/new"
    evil_title = "<script>alert(1)</script>タイトルのテストです"
    evil_body = "<img src=x onerror=alert(1)> [link](javascript:alert(1)) **太字** <b>b</b> 本文です"
    client.post(new, data=_form(new, csrf, title=evil_title, body=evil_body, address="<i>住所</i>"))
    proposal = db.session.scalar(select(Proposal))
    assert proposal.title == evil_title  # stored as typed
    draft_id = proposal.id
    client.post(f"/proposals/{draft_id}/publish", data={"csrf_token": csrf(f"/proposals/{draft_id}/preview")})
    for path in (f"/proposals/{draft_id}", f"/processes/{process.slug}/proposals"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html and 'href="javascript' not in html
        assert "&lt;script&gt;alert(1)" in html
        assert "<i>住所" not in html
    assert "<strong>太字</strong>" in client.get(f"/proposals/{draft_id}").get_data(as_text=True)


def test_creation_limit_and_closed_phase(client, csrf, login, make_user, make_process, db):
    process = make_process(proposal_limit=1)
    login(make_user())
    new = f"/processes/{process.slug}/proposals/new"
    ids = []
    for _ in range(2):
        client.post(new, data=_form(new, csrf))
    ids = list(db.session.scalars(select(Proposal.id).order_by(Proposal.id)))
    for proposal_id in ids:
        client.post(f"/proposals/{proposal_id}/publish", data={"csrf_token": csrf(f"/proposals/{proposal_id}/preview")})
    statuses = list(db.session.scalars(select(Proposal.status).order_by(Proposal.id)))
    assert statuses == ["published", "draft"]
    page = client.get(f"/proposals/{ids[1]}/preview").get_data(as_text=True)
    assert "limit" in page or "上限" in page

    closed = make_process(phases=[{"features": ["proposals.support"]}])
    assert client.get(f"/processes/{closed.slug}/proposals/new").status_code == 403


def test_blocked_and_guest_cannot_create(client, csrf, login, make_user, make_process, db):
    process = make_process()
    new = f"/processes/{process.slug}/proposals/new"
    assert client.get(new).status_code == 302  # guest -> sign in
    user = make_user()
    login(user)
    user.blocked_at = user.created_at
    db.session.commit()
    response = client.post(new, data={"title": TITLE, "body": BODY})
    assert response.status_code in (302, 400, 403)
    assert _count(db) == 0


def test_image_and_location(client, csrf, login, make_user, make_process, db):
    process = make_process()
    login(make_user())
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    buffer.seek(0)
    new = f"/processes/{process.slug}/proposals/new"
    data = _form(new, csrf, latitude="35.68", longitude="139.76", address="みどり市中央1-1")
    data["image"] = (buffer, "photo.png")
    response = client.post(new, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert proposal.image and proposal.image.endswith(".png")
    assert proposal.latitude == 35.68 and proposal.address == "みどり市中央1-1"
    bad = _form(new, csrf)
    bad["image"] = (io.BytesIO(b"not an image"), "x.png")
    assert client.post(new, data=bad, content_type="multipart/form-data").status_code == 422
    assert _count(db) == 1


def test_at_the_limit_the_resident_is_told_before_writing(client, csrf, login, make_user, make_process,
                                                          make_proposal, db):
    process = make_process(proposal_limit=1)
    resident = make_user(locale="en")
    login(resident)
    listing, new = f"/processes/{process.slug}/proposals", f"/processes/{process.slug}/proposals/new"
    assert f'href="{new}"' in client.get(listing).get_data(as_text=True)
    form = _form(new, csrf)  # the form as opened before the limit was reached
    make_proposal(process, resident)
    page = client.get(listing).get_data(as_text=True)
    assert f'href="{new}"' not in page and "You have reached the limit of 1 proposals" in page
    response = client.get(new)
    assert response.status_code == 403 and "You have reached the limit of 1 proposals" in response.get_data(as_text=True)
    assert client.post(new, data=form).status_code == 403
    assert _count(db) == 1  # no draft stored beyond the limit
