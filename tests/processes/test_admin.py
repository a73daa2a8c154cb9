"""Staff pages for processes: create (validated, nothing half-stored), edit, publish, phases, the
switches table, pin/unpin; every action audited; residents 403, guests sent to sign in."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from flask_babel import gettext
from PIL import Image
from sqlalchemy import func, select

from participation.processes.models import PHASE_FEATURES, Phase, Process

from .conftest import MOMENTS


def _valid(**overrides) -> dict:
    data = {"title": "バス路線の見直し", "slug": "bus-network-2027", "subtitle": "ご意見をお寄せください",
            "description": "**計画案**を公開しました。", "start_date": "2026-04-01", "end_date": "2026-09-30",
            "area_id": "", "group_id": "", "components": ["proposals", "meetings"],
            "support_limit": "10", "support_threshold": "", "proposal_body_max": "2000",
            "edit_window_minutes": "60", "hide_after_flags": "3", "proposal_limit": "5"}
    data.update(overrides)
    return data


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def staff(make_user, login, travel):
    travel(MOMENTS["phase1"])
    user = make_user("staff")
    login(user)
    return user


@pytest.fixture
def post(client, csrf):
    """post(url, data, token_page) posts a form with a CSRF token read from token_page."""

    def do(url: str, data: dict | None = None, token_page: str = "/admin/processes/new", **kwargs):
        payload = dict(data or {})
        payload["csrf_token"] = csrf(token_page)
        return client.post(url, data=payload, **kwargs)

    return do


def test_staff_create_a_process(db, staff, post, audit_actions):
    response = post("/admin/processes/new", _valid())
    assert response.status_code == 302
    process = db.session.scalar(select(Process).where(Process.slug == "bus-network-2027"))
    assert response.headers["Location"] == f"/admin/processes/{process.id}/phases"
    assert (process.title, process.components, process.support_limit, process.support_threshold) == (
        "バス路線の見直し", ["proposals", "meetings"], 10, None)
    assert (process.start_date, process.end_date, process.is_published) == (date(2026, 4, 1), date(2026, 9, 30),
                                                                             False)
    assert audit_actions() == ["process.create"]
    from participation.moderation.models import AuditLog

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "process.create"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (staff.id, "processes", str(process.id))


@pytest.mark.parametrize("overrides, message", [
    ({"slug": "Bus Network"}, ("Use lower-case letters, digits and single hyphens (3 to 80 characters).", {})),
    ({"slug": "bus--network"}, ("Use lower-case letters, digits and single hyphens (3 to 80 characters).", {})),
    ({"slug": "-bus"}, ("Use lower-case letters, digits and single hyphens (3 to 80 characters).", {})),
    ({"slug": "バス"}, ("Use lower-case letters, digits and single hyphens (3 to 80 characters).", {})),
    ({"slug": "ab"}, ("Please enter between %(min)d and %(max)d characters.", {"min": 3, "max": 80})),
    ({"slug": "a" * 81}, ("Please enter between %(min)d and %(max)d characters.", {"min": 3, "max": 80})),
    ({"end_date": "2026-03-31"}, ("The end date must be on or after the start date.", {})),
    ({"end_date": "2026-02-30"}, None),
    ({"title": "あ" * 151}, ("Please enter at most %(max)d characters.", {"max": 150})),
    ({"subtitle": "あ" * 301}, ("Please enter at most %(max)d characters.", {"max": 300})),
    ({"description": "あ" * 20_001}, ("Please enter at most %(max)d characters.", {"max": 20_000})),
    ({"title": ""}, ("This field is required.", {})),
    ({"support_limit": "-1"}, ("Please enter a number from %(min)d to %(max)d.", {"min": 0, "max": 100_000})),
    ({"components": ["proposals", "wiki"]}, None),
    ({"area_id": "999999"}, None),
])
def test_invalid_process_is_refused_and_nothing_stored(db, staff, post, audit_actions, overrides, message):
    response = post("/admin/processes/new", _valid(**overrides))
    assert response.status_code == 422
    if message:
        assert gettext(message[0], **message[1]) in response.get_data(as_text=True)
    assert _count(db, Process) == 0
    assert audit_actions() == []


def test_duplicate_slug_is_refused(db, staff, post, make_process, audit_actions):
    make_process(slug="bus-network-2027")
    before = audit_actions()
    response = post("/admin/processes/new", _valid())
    assert response.status_code == 422
    assert gettext("This web address is already used by another process.") in response.get_data(as_text=True)
    assert _count(db, Process) == 1
    assert audit_actions() == before


def test_edit_a_process(db, staff, post, calendar_process, audit_actions):
    process = calendar_process()
    before = len(audit_actions())
    url = f"/admin/processes/{process.id}/edit"
    response = post(url, _valid(slug=process.slug, title="新しい題名"), token_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert process.title == "新しい題名"
    assert audit_actions()[before:] == ["process.update"]
    # A published process keeps its web address.
    response = post(url, _valid(slug="another-address"), token_page=url)
    assert response.status_code == 422
    assert gettext("The web address of a published process cannot change (links must keep working).") in \
        response.get_data(as_text=True)
    # The process dates must keep including its phases.
    response = post(url, _valid(slug=process.slug, start_date="2026-05-01"), token_page=url)
    assert response.status_code == 422
    db.session.expire_all()
    assert (process.slug, process.start_date) == (process.slug, date(2026, 4, 1))
    assert audit_actions()[before:] == ["process.update"]


def test_publish_and_unpublish(db, client, staff, post, make_process, audit_actions):
    process = make_process(published=False, phases=[], start_date=date(2026, 4, 1), end_date=date(2026, 9, 30))
    phases_url = f"/admin/processes/{process.id}/phases"
    # No phase yet: refused with a message.
    response = post(f"/admin/processes/{process.id}/publish", token_page=phases_url)
    assert response.headers["Location"] == phases_url
    assert gettext("Add at least one phase before publishing.") in client.get(phases_url).get_data(as_text=True)
    db.session.expire_all()
    assert not process.is_published
    response = post(phases_url, {"title": "提案募集", "start_date": "2026-04-01", "end_date": "2026-05-31"},
                    token_page=phases_url)
    assert response.status_code == 302
    assert post(f"/admin/processes/{process.id}/publish", token_page=phases_url).status_code == 302
    db.session.expire_all()
    assert process.is_published
    assert post(f"/admin/processes/{process.id}/unpublish", token_page=phases_url).status_code == 302
    db.session.expire_all()
    assert not process.is_published
    assert audit_actions()[-3:] == ["phase.create", "process.publish", "process.unpublish"]


def test_add_reorder_and_delete_phases(db, staff, post, make_process, audit_actions):
    process = make_process(published=False, phases=[], start_date=date(2026, 4, 1), end_date=date(2026, 9, 30))
    url = f"/admin/processes/{process.id}/phases"
    before = len(audit_actions())
    for title, start, end in (("一", "2026-04-01", "2026-05-31"), ("二", "2026-06-01", "2026-07-31"),
                              ("三", "2026-08-01", "2026-09-30")):
        assert post(url, {"title": title, "start_date": start, "end_date": end}, token_page=url).status_code == 302
    # Outside the process dates: refused, nothing added.
    response = post(url, {"title": "はみ出し", "start_date": "2026-09-01", "end_date": "2026-10-31"}, token_page=url)
    assert response.status_code == 422
    assert gettext("A phase must lie within the dates of its process.") in response.get_data(as_text=True)
    assert _count(db, Phase) == 3

    def titles():
        db.session.expire_all()
        return [p.title for p in process.phases]

    ids = {p.title: p.id for p in process.phases}
    assert titles() == ["一", "二", "三"]
    assert post(f"{url}/{ids['三']}/up", token_page=url).status_code == 302
    assert titles() == ["一", "三", "二"]
    assert post(f"{url}/{ids['一']}/down", token_page=url).status_code == 302
    assert titles() == ["三", "一", "二"]
    post(f"{url}/{ids['三']}/up", token_page=url)  # already first: refused, unchanged
    assert titles() == ["三", "一", "二"]
    assert post(f"{url}/{ids['一']}/delete", token_page=url).status_code == 302
    assert titles() == ["三", "二"]
    assert [p.position for p in process.phases] == [0, 1]
    assert audit_actions()[before:] == ["phase.create"] * 3 + ["phase.move", "phase.move", "phase.delete"]
    # Editing one phase.
    response = post(f"{url}/{ids['二']}", {"title": "二（改）", "start_date": "2026-06-01",
                                            "end_date": "2026-07-15"}, token_page=f"{url}/{ids['二']}")
    assert response.status_code == 302
    assert titles() == ["三", "二（改）"]
    assert audit_actions()[-1] == "phase.update"


def test_phase_of_another_process_is_404(db, staff, post, calendar_process):
    one, other = calendar_process(), calendar_process()
    url = f"/admin/processes/{one.id}/phases/{other.phases[0].id}"
    assert post(f"{url}/delete", token_page=f"/admin/processes/{one.id}/phases").status_code == 404
    assert _count(db, Phase) == 6


def test_switches_table(db, client, staff, post, calendar_process, audit_actions):
    process = calendar_process()
    url = f"/admin/processes/{process.id}/switches"
    html = client.get(url).get_data(as_text=True)
    first, second, third = process.phases
    for phase in process.phases:
        for feature in PHASE_FEATURES:
            assert f'name="{phase.id}:{feature}"' in html
    def checked(phase, feature) -> bool:
        tag = re.search(rf'<input type="checkbox" name="{phase.id}:{re.escape(feature)}"[^>]*>', html).group(0)
        return "checked" in tag

    assert [checked(first, f) for f in ("proposals.create", "proposals.support", "surveys.answer")] == [
        True, False, True]
    assert [checked(second, f) for f in ("proposals.create", "proposals.support")] == [False, True]
    before = len(audit_actions())
    response = post(url, {f"{first.id}:proposals.support": "on", f"{third.id}:proposals.answers_visible": "on",
                          f"{third.id}:no.such.feature": "on"}, token_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert {f for f in PHASE_FEATURES if first.allows(f)} == {"proposals.support"}
    assert {f for f in PHASE_FEATURES if second.allows(f)} == set()
    assert {f for f in PHASE_FEATURES if third.allows(f)} == {"proposals.answers_visible"}
    assert audit_actions()[before:] == ["phase.switches"]


def test_tampered_switches_form_naming_another_process_phase_is_refused(db, staff, post, calendar_process,
                                                                       audit_actions):
    process, other = calendar_process(), calendar_process()
    db.session.expire_all()
    snapshot = {p.id: dict(p.features) for p in process.phases + other.phases}
    before = audit_actions()
    url = f"/admin/processes/{process.id}/switches"
    response = post(url, {f"{process.phases[0].id}:proposals.support": "on",
                          f"{other.phases[0].id}:reports.create": "on"}, token_page=url)
    assert response.status_code == 400
    db.session.expire_all()
    assert {p.id: dict(p.features) for p in process.phases + other.phases} == snapshot
    assert audit_actions() == before


def test_pin_and_unpin(db, staff, post, calendar_process, audit_actions):
    process = calendar_process()  # today is in phase 1
    url = f"/admin/processes/{process.id}/phases"
    third = process.phases[2]
    assert post(f"{url}/{third.id}/pin", token_page=url).status_code == 302
    db.session.expire_all()
    assert [(p.is_pinned, p.is_active) for p in process.phases] == [(False, False), (False, False), (True, True)]
    assert post(f"/admin/processes/{process.id}/unpin", token_page=url).status_code == 302
    db.session.expire_all()
    assert [(p.is_pinned, p.is_active) for p in process.phases] == [(False, True), (False, False), (False, False)]
    assert audit_actions()[-2:] == ["phase.pin", "phase.unpin"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_hero_image_upload(app, db, client, staff, post):
    uploads = app.config["UPLOAD_DIR"]
    data = _valid()
    data["hero_image"] = (io.BytesIO(_png()), "hero.png", "image/png")
    response = post("/admin/processes/new", data, content_type="multipart/form-data")
    assert response.status_code == 302
    process = db.session.scalar(select(Process))
    assert process.hero_image and process.hero_image.endswith(".png")
    from pathlib import Path

    stored = Path(uploads) / process.hero_image
    with Image.open(stored) as image:
        assert image.size == (40, 20)
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)  # staff see it unpublished
    assert f'src="/uploads/{process.hero_image}"' in html
    served = client.get(f"/uploads/{process.hero_image}")
    assert served.status_code == 200 and served.mimetype == "image/png"


@pytest.mark.parametrize("content, name", [(b"not an image at all\n", "hero.png"),
                                           (b"%PDF-1.4 pretend", "hero.pdf")])
def test_hero_image_that_is_not_an_image_is_refused(app, db, staff, post, content, name):
    from pathlib import Path

    uploads = Path(app.config["UPLOAD_DIR"])
    before = set(uploads.glob("*")) if uploads.exists() else set()
    data = _valid()
    data["hero_image"] = (io.BytesIO(content), name, "image/png")
    response = post("/admin/processes/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert gettext("This file is not an image we can read.") in response.get_data(as_text=True)
    assert _count(db, Process) == 0
    assert (set(uploads.glob("*")) if uploads.exists() else set()) == before


def test_image_is_not_kept_when_the_process_is_refused(app, db, staff, post, make_process):
    from pathlib import Path

    make_process(slug="bus-network-2027")
    uploads = Path(app.config["UPLOAD_DIR"])
    before = set(uploads.glob("*")) if uploads.exists() else set()
    data = _valid()
    data["hero_image"] = (io.BytesIO(_png()), "hero.png", "image/png")
    response = post("/admin/processes/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert (set(uploads.glob("*")) if uploads.exists() else set()) == before


def _admin_urls(process) -> list[tuple[str, str]]:
    base, phase = f"/admin/processes/{process.id}", process.phases[0].id
    return [("GET", "/admin/processes"), ("GET", "/admin/processes/new"), ("POST", "/admin/processes/new"),
            ("GET", f"{base}/edit"), ("POST", f"{base}/edit"), ("POST", f"{base}/publish"),
            ("POST", f"{base}/unpublish"), ("POST", f"{base}/unpin"), ("GET", f"{base}/phases"),
            ("POST", f"{base}/phases"), ("GET", f"{base}/phases/{phase}"), ("POST", f"{base}/phases/{phase}"),
            ("POST", f"{base}/phases/{phase}/up"), ("POST", f"{base}/phases/{phase}/down"),
            ("POST", f"{base}/phases/{phase}/pin"), ("POST", f"{base}/phases/{phase}/delete"),
            ("GET", f"{base}/switches"), ("POST", f"{base}/switches"), ("POST", "/admin/process-groups")]


def test_residents_get_403_on_every_staff_page(db, client, csrf, make_user, login, calendar_process, audit_actions):
    process = calendar_process()
    before = audit_actions()
    login(make_user("resident"))
    token = csrf("/")  # the sign-out form carries one
    for method, url in _admin_urls(process):
        response = client.open(url, method=method, data={"csrf_token": token, "title": "x"})
        assert response.status_code == 403, (method, url)
    assert audit_actions() == before


def test_guests_are_sent_to_sign_in_and_come_back(client, csrf, make_user, calendar_process):
    process = calendar_process()
    phases_page = f"http://localhost/admin/processes/{process.id}/phases"
    for method, url in _admin_urls(process):
        response = client.open(url, method=method, data={"csrf_token": csrf("/account/sign-in")})
        assert response.status_code == 302, (method, url)
        if method == "GET":
            assert response.headers["Location"] == f"/account/sign-in?next={url}", url
        else:  # a post cannot be replayed: back to the page the form was on, or just sign in
            assert response.headers["Location"] == "/account/sign-in", url
            response = client.open(url, method=method, data={"csrf_token": csrf("/account/sign-in")},
                                   headers={"Referer": phases_page})
            assert response.headers["Location"] == f"/account/sign-in?next=/admin/processes/{process.id}/phases"
            response = client.open(url, method=method, data={"csrf_token": csrf("/account/sign-in")},
                                   headers={"Referer": "https://evil.example/admin"})
            assert response.headers["Location"] == "/account/sign-in", url
    staff = make_user("staff")
    target = f"/admin/processes/{process.id}/switches"
    sign_in = client.get(target).headers["Location"]
    response = client.post(sign_in, data={"email": staff.email, "password": "correct-horse-battery-42",
                                          "csrf_token": csrf(sign_in)})
    assert response.status_code == 302
    assert response.headers["Location"] == target
    assert client.get(target).status_code == 200


def test_post_without_csrf_token_is_refused(db, client, staff, calendar_process):
    process = calendar_process(published=False)
    assert client.post(f"/admin/processes/{process.id}/publish").status_code == 400
    db.session.expire_all()
    assert not process.is_published


def test_editing_keeps_or_replaces_the_hero_image(app, db, staff, post):
    from pathlib import Path

    uploads = Path(app.config["UPLOAD_DIR"])
    data = _valid()
    data["hero_image"] = (io.BytesIO(_png()), "hero.png", "image/png")
    assert post("/admin/processes/new", data, content_type="multipart/form-data").status_code == 302
    process = db.session.scalar(select(Process))
    first = process.hero_image
    url = f"/admin/processes/{process.id}/edit"
    # Saving without a file keeps the image.
    assert post(url, _valid(title="題名だけ変更"), token_page=url, content_type="multipart/form-data"
                ).status_code == 302
    db.session.expire_all()
    assert (process.title, process.hero_image) == ("題名だけ変更", first)
    # A new file replaces it, and the old file is removed.
    data = _valid()
    data["hero_image"] = (io.BytesIO(_png()), "other.png", "image/png")
    assert post(url, data, token_page=url, content_type="multipart/form-data").status_code == 302
    db.session.expire_all()
    assert process.hero_image != first and (uploads / process.hero_image).is_file()
    assert not (uploads / first).exists()


def test_add_a_theme(db, client, staff, post, audit_actions):
    from participation.processes.models import ProcessGroup

    data = {"name_ja": "交通", "name_en": "Transport"}
    assert post("/admin/process-groups", data, token_page="/admin/processes").status_code == 302
    assert post("/admin/process-groups", data, token_page="/admin/processes").status_code == 302
    assert gettext("A theme with this name already exists.") in client.get("/admin/processes").get_data(as_text=True)
    assert post("/admin/process-groups", {"name_ja": "", "name_en": "x"}, token_page="/admin/processes"
                ).status_code == 302
    assert [g.name_ja for g in db.session.scalars(select(ProcessGroup))] == ["交通"]
    assert audit_actions() == ["process_group.create"]
    # The theme can then be chosen for a process.
    group = db.session.scalar(select(ProcessGroup))
    assert post("/admin/processes/new", _valid(group_id=str(group.id))).status_code == 302
    assert db.session.scalar(select(Process)).group_id == group.id
