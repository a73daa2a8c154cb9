"""Roles and the admin UI: who may enter, creating staff, role changes and blocks (audited), areas."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.accounts.models import Area, User
from tests.accounts.conftest import page_text
from tests.conftest import TEST_PASSWORD, csrf_from

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/areas", "/admin/audit"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["resident", "staff"])
def test_non_admins_get_403(client, login, make_user, role, path):
    login(make_user(role))
    response = client.get(path)
    assert response.status_code == 403
    assert "Traceback" not in page_text(response)


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/staff/outbox"])
def test_guests_are_sent_to_sign_in_with_next(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/sign-in?next={path}"


def test_admin_posts_are_forbidden_to_non_admins(client, csrf, login, make_user, db):
    target = make_user()
    login(make_user("staff"))
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "admin", "csrf_token": csrf("/")})
    assert response.status_code == 403
    db.session.refresh(target)
    assert target.role == "resident"


def test_staff_see_the_outbox_residents_do_not(client, login, make_user, app):
    staff = make_user("staff")
    login(staff)
    assert client.get("/staff/outbox").status_code == 200
    resident_browser = app.test_client()
    resident = make_user()
    token = csrf_from(resident_browser.get("/account/sign-in"))
    resident_browser.post("/account/sign-in", data={"email": resident.email, "password": TEST_PASSWORD,
                                                    "csrf_token": token})
    assert resident_browser.get("/staff/outbox").status_code == 403


def test_admin_creates_staff_in_the_ui(client, csrf, login, make_user, db, audit_rows, app):
    admin = make_user("admin")
    login(admin)
    response = client.post("/admin/users/new", data={"email": "Staff.New@City.example.jp", "display_name": "新職員",
                                                     "role": "staff", "password": "initial-password-1",
                                                     "csrf_token": csrf("/admin/users/new")})
    assert response.status_code == 302
    staff = db.session.scalar(select(User).where(User.email == "staff.new@city.example.jp"))
    assert staff.role == "staff" and staff.confirmed_at is not None
    rows = audit_rows("user.create")
    assert rows[-1].actor_id == admin.id and rows[-1].target_id == str(staff.id)
    assert rows[-1].details == {"role": "staff"}
    # The new staff member can sign in and reach staff pages.
    browser = app.test_client()
    token = csrf_from(browser.get("/account/sign-in"))
    assert browser.post("/account/sign-in", data={"email": "staff.new@city.example.jp",
                                                  "password": "initial-password-1",
                                                  "csrf_token": token}).status_code == 302
    assert browser.get("/staff/outbox").status_code == 200


@pytest.mark.parametrize("data", [
    {"email": "dup@example.jp"},  # already taken
    {"email": "not-an-email"},
    {"role": "superuser"},
    {"display_name": "x" * 51},
    {"password": "short"},
])
def test_admin_create_user_bad_input(client, csrf, login, make_user, db, data):
    make_user(email="dup@example.jp")
    login(make_user("admin"))
    before = db.session.query(User).count()
    form = {"email": "fresh@example.jp", "display_name": "職員", "role": "staff", "password": "initial-password-1",
            "csrf_token": csrf("/admin/users/new"), **data}
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 422
    assert db.session.query(User).count() == before


def test_role_change_is_audited_and_ends_the_target_sessions(client, csrf, login, make_user, db, audit_rows,
                                                            other_client):
    admin = make_user("admin")
    target = make_user()
    elsewhere = other_client(target)
    login(admin)
    page = f"/admin/users/{target.id}"
    response = client.post(f"{page}/role", data={"role": "staff", "csrf_token": csrf(page)})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.role == "staff"
    row = audit_rows("user.role")[-1]
    assert (row.actor_id, row.target_id, row.details) == (admin.id, str(target.id), {"from": "resident", "to": "staff"})
    assert row.ip_address == "127.0.0.1" and row.created_at is not None
    assert elsewhere.get("/account/").status_code == 302


def test_admin_cannot_remove_own_admin_role(client, csrf, login, make_user, db, audit_rows):
    admin = make_user("admin")
    login(admin)
    page = f"/admin/users/{admin.id}"
    client.post(f"{page}/role", data={"role": "resident", "csrf_token": csrf(page)})
    db.session.refresh(admin)
    assert admin.role == "admin"
    assert audit_rows("user.role") == []


def test_unknown_role_is_refused(client, csrf, login, make_user, db):
    target = make_user()
    login(make_user("admin"))
    page = f"/admin/users/{target.id}"
    client.post(f"{page}/role", data={"role": "root", "csrf_token": csrf(page)})
    db.session.refresh(target)
    assert target.role == "resident"


def test_block_and_unblock_are_audited(app, client, csrf, login, make_user, db, audit_rows, other_client):
    admin = make_user("admin")
    target = make_user()
    elsewhere = other_client(target)
    login(admin)
    page = f"/admin/users/{target.id}"
    assert client.post(f"{page}/block", data={"reason": "x" * 501, "csrf_token": csrf(page)}).status_code == 302
    db.session.refresh(target)
    assert not target.is_blocked, "over-long reason refused"

    client.post(f"{page}/block", data={"reason": "繰り返しの迷惑行為", "csrf_token": csrf(page)})
    db.session.refresh(target)
    assert target.is_blocked and target.blocked_reason == "繰り返しの迷惑行為"
    row = audit_rows("user.block")[-1]
    assert (row.actor_id, row.target_id, row.details) == (admin.id, str(target.id), {"reason": "繰り返しの迷惑行為"})
    assert elsewhere.get("/account/").status_code == 302, "blocked user is signed out"

    browser = app.test_client()
    token = csrf_from(browser.get("/account/sign-in"))
    assert browser.post("/account/sign-in", data={"email": target.email, "password": TEST_PASSWORD,
                                                  "csrf_token": token}).status_code == 422

    client.post(f"{page}/unblock", data={"csrf_token": csrf(page)})
    db.session.refresh(target)
    assert not target.is_blocked
    assert audit_rows("user.unblock")[-1].target_id == str(target.id)


def test_admin_cannot_block_self(client, csrf, login, make_user, db):
    admin = make_user("admin")
    login(admin)
    page = f"/admin/users/{admin.id}"
    client.post(f"{page}/block", data={"reason": "test", "csrf_token": csrf(page)})
    db.session.refresh(admin)
    assert not admin.is_blocked


def test_unknown_user_is_404(client, login, make_user):
    login(make_user("admin"))
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


def test_user_list_search_and_filter(client, login, make_user):
    make_user(display_name="検索される人", email="findme@example.jp")
    make_user("staff", display_name="職員さん")
    login(make_user("admin"))
    page = page_text(client.get("/admin/users?q=findme"))
    assert "検索される人" in page and "職員さん" not in page
    page = page_text(client.get("/admin/users?role=staff"))
    assert "職員さん" in page and "検索される人" not in page
    assert client.get("/admin/users?q=" + "%25" * 300 + "&page=abc").status_code == 200


def test_admin_manages_areas(client, csrf, login, make_user, db, audit_rows):
    admin = make_user("admin")
    login(admin)
    response = client.post("/admin/areas", data={"name_ja": "東地区", "name_en": "East", "position": "2",
                                                 "csrf_token": csrf("/admin/areas")})
    assert response.status_code == 302
    area = db.session.scalar(select(Area).where(Area.name_ja == "東地区"))
    assert area.position == 2
    assert audit_rows("area.create")[-1].actor_id == admin.id
    for bad in ({"name_ja": "東地区"}, {"name_ja": "x" * 101}, {"position": "two"}, {"position": "1234567"},
                {"name_en": ""}):
        data = {"name_ja": "西地区", "name_en": "West", "position": "1", "csrf_token": csrf("/admin/areas"), **bad}
        assert client.post("/admin/areas", data=data).status_code == 422, bad
    assert db.session.query(Area).count() == 1
    edit = f"/admin/areas/{area.id}"
    assert client.post(edit, data={"name_ja": "東部地区", "name_en": "East", "position": "3",
                                   "csrf_token": csrf(edit)}).status_code == 302
    db.session.refresh(area)
    assert area.name_ja == "東部地区"
    assert audit_rows("area.update")[-1].target_id == str(area.id)


def test_audit_log_page_lists_actions(client, csrf, login, make_user, db):
    admin = make_user("admin")
    target = make_user()
    login(admin)
    page = f"/admin/users/{target.id}"
    client.post(f"{page}/role", data={"role": "staff", "csrf_token": csrf(page)})
    audit = page_text(client.get("/admin/audit"))
    assert "user.role" in audit
    assert client.get("/admin/audit?action=" + "a" * 500).status_code == 200


def test_admin_create_user_race_is_a_422(client, csrf, login, make_user, db, monkeypatch):
    from participation.accounts import services

    make_user(email="dup@example.jp")
    login(make_user("admin"))
    token = csrf("/admin/users/new")
    monkeypatch.setattr(services, "user_by_email", lambda email: None)
    response = client.post("/admin/users/new", data={"email": "dup@example.jp", "display_name": "職員",
                                                     "role": "staff", "password": "initial-password-1",
                                                     "csrf_token": token})
    assert response.status_code == 422


def test_nul_characters_are_refused_not_a_database_error(client, csrf, login, make_user, db):
    """PostgreSQL cannot store NUL: every length-limited field refuses it with a message."""
    admin = make_user("admin")
    target = make_user()
    login(admin)
    page = f"/admin/users/{target.id}"
    response = client.post(f"{page}/block", data={"reason": "spam\x00", "csrf_token": csrf(page)})
    assert response.status_code == 302
    db.session.refresh(target)
    assert not target.is_blocked
    response = client.post("/admin/areas", data={"name_ja": "北\x00地区", "name_en": "North", "position": "1",
                                                 "csrf_token": csrf("/admin/areas")})
    assert response.status_code == 422
    assert db.session.query(Area).count() == 0
