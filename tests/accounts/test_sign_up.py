"""Sign-up through the client with CSRF on: validation, consents, confirmation mail, confirm once."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.accounts.models import AccountToken, PolicyConsent, User
from participation.common.time import utcnow
from tests.accounts.conftest import page_text, translated
from tests.conftest import TEST_PASSWORD, link_in, mail_body


def _user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_sign_up_stores_user_with_consents_and_sends_confirmation(app, client, db, sign_up_data, outbox):
    before = utcnow()
    response = client.post("/account/sign-up", data=sign_up_data(email=" New.Resident@Example.JP "))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/check-your-mail")

    user = db.session.scalar(select(User).where(User.email == "new.resident@example.jp"))
    assert user is not None, "email is stored normalised (trimmed, lower-case)"
    assert user.display_name == "新しい住民"
    assert user.role == "resident" and user.locale == "ja" and user.confirmed_at is None
    assert user.password_hash and TEST_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")

    consents = {c.policy: c for c in db.session.scalars(select(PolicyConsent).where(PolicyConsent.user_id == user.id))}
    assert set(consents) == {"terms", "privacy"}
    for consent in consents.values():
        assert consent.version == app.config["POLICY_VERSION"]
        assert before - timedelta(seconds=1) <= consent.agreed_at <= utcnow()

    mails = outbox()
    assert len(mails) == 1
    assert mails[0]["To"] == "new.resident@example.jp"
    assert "/account/confirm/" in mail_body(mails[0])


def test_confirmation_link_works_once(client, db, sign_up_data, outbox, csrf):
    client.post("/account/sign-up", data=sign_up_data())
    link = link_in(outbox()[0], "/account/confirm/")

    first = client.get(link)
    assert first.status_code == 302 and first.headers["Location"].endswith("/account/sign-in")
    user = db.session.scalar(select(User).where(User.email == "new.resident@example.jp"))
    assert user.confirmed_at is not None

    second = client.get(link)
    assert second.status_code == 400
    assert "Traceback" not in page_text(second)

    # The account can now sign in.
    response = client.post("/account/sign-in", data={"email": "new.resident@example.jp", "password": TEST_PASSWORD,
                                                     "csrf_token": csrf()})
    assert response.status_code == 302


def test_confirmation_link_expires(app, client, db, sign_up_data, outbox):
    import time_machine

    client.post("/account/sign-up", data=sign_up_data())
    link = link_in(outbox()[0], "/account/confirm/")
    hours = app.config["TOKEN_TTL_CONFIRM_HOURS"]
    with time_machine.travel(utcnow() + timedelta(hours=hours, minutes=1)):
        assert client.get(link).status_code == 400
    user = db.session.scalar(select(User).where(User.email == "new.resident@example.jp"))
    assert user.confirmed_at is None


def test_unknown_confirmation_token_is_refused(client):
    response = client.get("/account/confirm/not-a-real-token")
    assert response.status_code == 400


def test_sign_in_before_confirmation_is_refused(client, db, sign_up_data, csrf):
    client.post("/account/sign-up", data=sign_up_data())
    response = client.post("/account/sign-in", data={"email": "new.resident@example.jp", "password": TEST_PASSWORD,
                                                     "csrf_token": csrf()})
    assert response.status_code == 422
    assert "/account/resend-confirmation" in page_text(response)
    assert client.get("/account/").status_code == 302, "not signed in"


@pytest.mark.parametrize("overrides, field, msgid, params", [
    ({"email": ""}, "email", "This field is required.", {}),
    ({"email": "not-an-email"}, "email", "Please enter a valid email address.", {}),
    ({"email": "a" * 250 + "@example.jp"}, "email", "Please enter at most %(max)d characters.", {"max": 254}),
    ({"display_name": ""}, "display_name", "This field is required.", {}),
    ({"display_name": "   "}, "display_name", "This field is required.", {}),
    ({"display_name": "名" * 51}, "display_name", "Please enter at most %(max)d characters.", {"max": 50}),
    ({"display_name": "bad\x07name"}, "display_name", "Please do not use control characters.", {}),
    ({"password": "short", "password_confirm": "short"}, "password",
     "Please enter between %(min)d and %(max)d characters.", {"min": 10, "max": 128}),
    ({"password": "x" * 129, "password_confirm": "x" * 129}, "password",
     "Please enter between %(min)d and %(max)d characters.", {"min": 10, "max": 128}),
    ({"password_confirm": "another-password-123"}, "password_confirm", "The two passwords do not match.", {}),
    ({"agree_terms": None}, "agree_terms", "This field is required.", {}),
    ({"agree_privacy": None}, "agree_privacy", "This field is required.", {}),
    ({"locale": "xx"}, "locale", "Not a valid choice.", {}),
])
def test_bad_sign_up_input_is_refused_with_a_message_and_nothing_stored(app, client, db, sign_up_data, outbox,
                                                                        overrides, field, msgid, params):
    response = client.post("/account/sign-up", data=sign_up_data(**overrides))
    assert response.status_code == 422
    body = page_text(response)
    assert f'id="{field}-error"' in body, f"no error shown next to {field}"
    if msgid != "Not a valid choice.":  # WTForms' own message, translated by WTForms itself
        assert translated(app, msgid, **params) in body
    assert _user_count(db) == 0
    assert db.session.scalar(select(func.count(PolicyConsent.id))) == 0
    assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    assert outbox() == []


def test_validation_messages_follow_the_language(client, sign_up_data):
    client.set_cookie("lang", "en")
    response = client.post("/account/sign-up", data=sign_up_data(password_confirm="another-password-123"))
    assert response.status_code == 422
    assert 'lang="en"' in page_text(response)
    assert "The two passwords do not match." in page_text(response)


def test_sign_up_with_existing_address_reveals_nothing_and_mails_the_owner(client, db, make_user, sign_up_data,
                                                                           outbox):
    owner = make_user(email="taken@example.jp")
    response = client.post("/account/sign-up", data=sign_up_data(email="taken@example.jp"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/check-your-mail")
    assert _user_count(db) == 1
    db.session.refresh(owner)
    assert owner.display_name != "新しい住民"
    mails = outbox()
    assert len(mails) == 1 and mails[0]["To"] == "taken@example.jp"
    assert "/account/confirm/" not in mail_body(mails[0])


def test_sign_up_in_english_stores_the_language(client, db, sign_up_data):
    client.post("/account/sign-up", data=sign_up_data(locale="en"))
    user = db.session.scalar(select(User).where(User.email == "new.resident@example.jp"))
    assert user.locale == "en"


def test_sign_up_is_rate_limited(app, client, sign_up_data):
    limit = int(app.config["SIGNUP_RATE_LIMIT"].split()[0])
    statuses = [client.post("/account/sign-up", data=sign_up_data(email=f"r{i}@example.jp")).status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [302] * limit
    assert statuses[limit] == 429


def test_simultaneous_sign_ups_with_one_address_store_one_account(app, client, db, sign_up_data, monkeypatch,
                                                                 make_user, outbox):
    """The unique constraint decides a race; the loser sees the usual answer, not a 500."""
    from participation.accounts import services

    make_user(email="race@example.jp")
    monkeypatch.setattr(services, "user_by_email", lambda email: None)  # both requests checked before either wrote
    response = client.post("/account/sign-up", data=sign_up_data(email="race@example.jp"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/check-your-mail")
    assert _user_count(db) == 1
    assert outbox() == [], "the rolled-back sign-up sends nothing"


def test_resend_confirmation_sends_a_new_link_and_voids_the_old(client, csrf, db, sign_up_data, outbox):
    client.post("/account/sign-up", data=sign_up_data())
    old_link = link_in(outbox()[0], "/account/confirm/")
    token = csrf("/account/resend-confirmation")
    known = client.post("/account/resend-confirmation", data={"email": "new.resident@example.jp", "csrf_token": token})
    unknown = client.post("/account/resend-confirmation", data={"email": "nobody@example.jp", "csrf_token": token})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox()) == 2
    new_link = link_in(outbox()[1], "/account/confirm/")
    assert client.get(old_link).status_code == 400
    assert client.get(new_link).status_code == 302


def test_unconfirmed_accounts_and_expired_tokens_are_purged(app, db, make_user):
    from participation.accounts import services

    stale = make_user(confirmed=False)
    fresh = make_user(confirmed=False)
    confirmed = make_user()
    staff = make_user("staff", confirmed=False)
    with app.test_request_context():
        services.send_confirmation(fresh)
    db.session.commit()
    days = app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    stale.created_at = utcnow() - timedelta(days=days + 1)
    confirmed.created_at = staff.created_at = utcnow() - timedelta(days=days + 30)
    db.session.commit()
    result = services.purge_expired(now=utcnow() + timedelta(hours=app.config["TOKEN_TTL_CONFIRM_HOURS"] + 1))
    db.session.commit()
    assert result == {"tokens": 1, "unconfirmed_accounts": 1, "data_exports": 0}
    remaining = set(db.session.scalars(select(User.id)))
    assert remaining == {fresh.id, confirmed.id, staff.id}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_whole_journey_in_each_language(app, client, db, csrf, outbox, lang):
    """Sign up -> confirmation mail -> confirm -> sign in -> sign out, in Japanese and in English."""
    from tests.conftest import csrf_from

    # A guest's language switch carries no token (a guest's page has none): the header's form as sent.
    switched = client.post("/language", data={"lang": lang, "next": "/account/sign-up"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/account/sign-up"
    form = client.get("/account/sign-up")
    body = page_text(form)
    assert f'<html lang="{lang}">' in body
    checked = re.findall(r'<input checked id="locale-\d" name="locale" required type="radio" value="(\w+)">', body)
    assert checked == [lang], "the current language is preselected"
    response = client.post("/account/sign-up", data={
        "email": f"journey-{lang}@example.jp", "display_name": "旅する人", "password": TEST_PASSWORD,
        "password_confirm": TEST_PASSWORD, "locale": lang, "agree_terms": "y", "agree_privacy": "y",
        "csrf_token": csrf_from(form)})
    assert response.status_code == 302
    mail = outbox()[-1]
    assert mail["Subject"] == translated(app, "Please confirm your email address", lang)
    assert client.get(link_in(mail, "/account/confirm/")).status_code == 302
    signed_in = client.post("/account/sign-in", data={"email": f"journey-{lang}@example.jp",
                                                      "password": TEST_PASSWORD, "csrf_token": csrf()})
    assert signed_in.status_code == 302
    overview = page_text(client.get("/account/"))
    assert f'<html lang="{lang}">' in overview and "旅する人" in overview
    assert client.post("/account/sign-out", data={"csrf_token": csrf("/")}).status_code == 302
    assert client.get("/account/").status_code == 302
