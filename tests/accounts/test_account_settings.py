"""My account: profile, change password, change email."""
from __future__ import annotations

from tests.accounts.conftest import page_text
from tests.conftest import TEST_PASSWORD, link_in


def test_profile_update_and_length_limit(client, csrf, login, make_user, db):
    user = make_user(display_name="古い名前")
    login(user)
    too_long = client.post("/account/profile", data={"display_name": "長" * 51, "locale": "ja",
                                                     "csrf_token": csrf("/account/profile")})
    assert too_long.status_code == 422
    db.session.refresh(user)
    assert user.display_name == "古い名前"
    ok = client.post("/account/profile", data={"display_name": " 新しい名前 ", "locale": "en",
                                               "csrf_token": csrf("/account/profile")})
    assert ok.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "新しい名前" and user.locale == "en"


def test_change_password_keeps_this_session_and_ends_others(app, client, csrf, login, make_user, other_client, db):
    user = make_user()
    elsewhere = other_client(user)
    login(user)
    wrong = client.post("/account/password", data={"current_password": "not-my-password", "password": "new-password-123",
                                                   "password_confirm": "new-password-123",
                                                   "csrf_token": csrf("/account/password")})
    assert wrong.status_code == 422
    response = client.post("/account/password", data={"current_password": TEST_PASSWORD,
                                                      "password": "new-password-123",
                                                      "password_confirm": "new-password-123",
                                                      "csrf_token": csrf("/account/password")})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert elsewhere.get("/account/").status_code == 302


def test_change_email_confirms_the_new_address(client, csrf, login, make_user, outbox, db):
    user = make_user(email="old@example.jp")
    login(user)
    response = client.post("/account/email", data={"email": "New@Example.jp", "current_password": TEST_PASSWORD,
                                                   "csrf_token": csrf("/account/email")})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.jp", "unchanged until confirmed"
    mail = outbox()[-1]
    assert mail["To"] == "new@example.jp"
    link = link_in(mail, "/account/email/confirm/")
    assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.email == "new@example.jp"
    assert client.get(link).status_code == 400


def test_change_email_to_a_taken_address_fails_at_confirmation(client, csrf, login, make_user, outbox, db):
    make_user(email="taken@example.jp")
    user = make_user(email="mine@example.jp")
    login(user)
    response = client.post("/account/email", data={"email": "taken@example.jp", "current_password": TEST_PASSWORD,
                                                   "csrf_token": csrf("/account/email")})
    assert response.status_code == 302, "no enumeration when asking"
    link = link_in(outbox()[-1], "/account/email/confirm/")
    assert client.get(link).status_code == 400
    db.session.refresh(user)
    assert user.email == "mine@example.jp"


def test_change_email_needs_the_password(client, csrf, login, make_user, outbox):
    login(make_user())
    response = client.post("/account/email", data={"email": "new@example.jp", "current_password": "wrong-password",
                                                   "csrf_token": csrf("/account/email")})
    assert response.status_code == 422
    assert outbox() == []
    assert 'id="email-error"' in page_text(response)


def test_email_taken_between_check_and_write_is_a_400_not_a_500(client, csrf, login, make_user, outbox, db,
                                                               monkeypatch):
    from participation.accounts import services

    user = make_user(email="mine@example.jp")
    login(user)
    client.post("/account/email", data={"email": "wanted@example.jp", "current_password": TEST_PASSWORD,
                                        "csrf_token": csrf("/account/email")})
    link = link_in(outbox()[-1], "/account/email/confirm/")
    make_user(email="wanted@example.jp")
    monkeypatch.setattr(services, "user_by_email", lambda email: None)
    assert client.get(link).status_code == 400
    db.session.refresh(user)
    assert user.email == "mine@example.jp"
