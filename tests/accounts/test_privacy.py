"""Download my data and delete my account."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from participation.accounts.models import AccountToken, Area, DataExport, ParticipantProfile, PolicyConsent, User
from tests.accounts.conftest import page_text, translated
from tests.conftest import TEST_PASSWORD


def _with_profile(db, user):
    from participation.accounts import services

    area = Area(name_ja="北地区", name_en="North", position=1)
    db.session.add(area)
    db.session.flush()
    services.update_demographics(user, age_band="30s", age_consent=True, area_id=area.id, area_consent=True)
    db.session.add(PolicyConsent(user_id=user.id, policy="terms", version="2026-04-01"))
    db.session.commit()
    return area


def test_download_my_data_contains_what_we_hold_and_is_audited(client, csrf, login, make_user, db, audit_rows):
    user = make_user(email="hanako@example.jp", display_name="山田花子")
    _with_profile(db, user)
    login(user)
    page = client.get("/account/data")
    assert page.status_code == 200
    response = client.post("/account/data", data={"csrf_token": csrf("/account/data")})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "hanako@example.jp"
    assert data["account"]["display_name"] == "山田花子"
    assert data["account"]["id"] == user.id
    assert {"policy": "terms", "version": "2026-04-01"} in [
        {k: c[k] for k in ("policy", "version")} for c in data["policy_consents"]]
    assert all(c["agreed_at"] for c in data["policy_consents"])
    assert data["profile"]["age_band"] == "30s"
    assert data["profile"]["area"] == "北地区"
    assert data["profile"]["age_band_consented_at"] and data["profile"]["area_consented_at"]
    # What the platform logged about this person's own actions, including the download itself.
    assert [e["action"] for e in data["activity_log"]] == ["account.data_download"]
    assert data["activity_log"][0]["ip_address"] == "127.0.0.1"
    assert len(data["data_downloads"]) == 1
    assert "password_hash" not in response.get_data(as_text=True)
    assert "session_token" not in response.get_data(as_text=True)

    rows = audit_rows("account.data_download")
    assert len(rows) == 1
    assert rows[0].actor_id == user.id and rows[0].target_type == "users" and rows[0].target_id == str(user.id)
    assert rows[0].ip_address == "127.0.0.1"
    assert db.session.scalar(select(func.count(DataExport.id)).where(DataExport.user_id == user.id)) == 1


def test_download_needs_post_with_csrf_and_a_signed_in_user(client, login, make_user, audit_rows):
    assert client.post("/account/data").status_code == 400  # CSRF first
    assert client.get("/account/data").status_code == 302
    login(make_user())
    assert client.post("/account/data").status_code == 400
    assert audit_rows("account.data_download") == []


def test_delete_account_erases_personal_data_and_ends_sessions(app, client, csrf, login, make_user, db, audit_rows,
                                                              other_client):
    user = make_user(email="leaving@example.jp", display_name="去る人")
    _with_profile(db, user)
    elsewhere = other_client(user)
    login(user)
    response = client.post("/account/delete", data={"current_password": TEST_PASSWORD, "understood": "y",
                                                    "csrf_token": csrf("/account/delete")})
    assert response.status_code == 302 and response.headers["Location"] == "/"

    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone.email is None and gone.display_name == "" and gone.password_hash is None
    assert gone.deleted_at is not None
    assert gone.public_name == translated(app, "deleted participant")
    assert db.session.get(ParticipantProfile, user.id) is None
    assert db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.user_id == user.id)) == 0

    # Both this browser and another one signed in as the user are signed out.
    assert client.get("/account/").status_code == 302
    signed_out = elsewhere.get("/account/")
    assert signed_out.status_code == 302 and "/account/sign-in" in signed_out.headers["Location"]

    rows = audit_rows("account.delete")
    assert len(rows) == 1 and rows[0].target_id == str(user.id)

    # The address is free again for a new account.
    from participation.accounts import services

    services.create_user(email="leaving@example.jp", display_name="戻った人", password=TEST_PASSWORD)
    db.session.commit()


def test_deleted_user_is_shown_as_deleted_participant(app, client, login, make_user, db):
    from participation.accounts import services

    admin = make_user("admin")
    user = make_user(display_name="消える名前")
    services.delete_account(user, TEST_PASSWORD)
    db.session.commit()
    login(admin)
    page = page_text(client.get(f"/admin/users/{user.id}"))
    assert "消える名前" not in page
    assert translated(app, "deleted participant") in page


def test_delete_account_needs_the_password_and_the_tick(client, csrf, login, make_user, db, audit_rows):
    user = make_user()
    login(user)
    wrong = client.post("/account/delete", data={"current_password": "wrong-password-1", "understood": "y",
                                                 "csrf_token": csrf("/account/delete")})
    assert wrong.status_code == 422
    unticked = client.post("/account/delete", data={"current_password": TEST_PASSWORD,
                                                    "csrf_token": csrf("/account/delete")})
    assert unticked.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).deleted_at is None
    assert audit_rows("account.delete") == []
    assert client.get("/account/").status_code == 200


def test_feature_packages_extend_the_download_and_the_deletion(client, csrf, login, make_user, monkeypatch):
    """DATA_EXPORTERS add sections to the download; DELETION_HOOKS run when an account is deleted."""
    from participation.accounts import services

    seen = []
    monkeypatch.setitem(services.DATA_EXPORTERS, "proposals", lambda user: [{"title": f"by {user.id}"}])
    monkeypatch.setattr(services, "DELETION_HOOKS", [lambda user: seen.append(user.email)])
    user = make_user(email="hooks@example.jp")
    login(user)
    data = json.loads(client.post("/account/data", data={"csrf_token": csrf("/account/data")}).get_data(as_text=True))
    assert data["proposals"] == [{"title": f"by {user.id}"}]
    client.post("/account/delete", data={"current_password": TEST_PASSWORD, "understood": "y",
                                         "csrf_token": csrf("/account/delete")})
    assert seen == ["hooks@example.jp"], "hooks run before the personal data is erased"
