"""Password reset: one-time token with expiry, ends other sessions, no user enumeration."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from participation.accounts.models import AccountToken
from participation.common.time import utcnow
from tests.accounts.conftest import page_text
from tests.conftest import TEST_PASSWORD, csrf_from, link_in

NEW_PASSWORD = "a-brand-new-password-7"


def _request_reset(client, csrf, email):
    return client.post("/account/forgot-password", data={"email": email, "csrf_token": csrf("/account/forgot-password")})


def _reset(client, csrf, link, password=NEW_PASSWORD, confirm=None, token=None):
    """Send the reset form of `link`: read from its page now, or, for a form loaded earlier (a link that no
    longer works shows no form), with that form's `token`."""
    return client.post(link, data={"password": password, "password_confirm": confirm or password,
                                   "csrf_token": token or csrf(link)})


def _link_refused(response) -> bool:
    """The "link not valid" page (offering a new link), not a refused CSRF token (also a 400)."""
    return response.status_code == 400 and 'href="/account/forgot-password"' in page_text(response)


def _can_sign_in(app, email, password) -> bool:
    browser = app.test_client()
    token = csrf_from(browser.get("/account/sign-in"))
    return browser.post("/account/sign-in", data={"email": email, "password": password,
                                                  "csrf_token": token}).status_code == 302


def test_reset_token_works_once(app, client, csrf, make_user, outbox, db):
    user = make_user()
    assert _request_reset(client, csrf, user.email).status_code == 302
    mails = outbox()
    assert len(mails) == 1 and mails[0]["To"] == user.email
    link = link_in(mails[0], "/account/reset/")

    # The token is stored hashed, never in clear.
    raw = link.rsplit("/", 1)[1]
    stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert stored and raw not in stored

    form = client.get(link)
    assert form.status_code == 200
    response = _reset(client, csrf, link, token=csrf_from(form))
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/sign-in")
    assert _can_sign_in(app, user.email, NEW_PASSWORD)
    assert not _can_sign_in(app, user.email, TEST_PASSWORD)

    # The same form sent again (the back button, a second tab): the link is used up.
    again = _reset(client, csrf, link, password="yet-another-password-9", token=csrf_from(form))
    assert _link_refused(again)
    assert _can_sign_in(app, user.email, NEW_PASSWORD)


def test_reset_token_expires(app, client, csrf, make_user, outbox):
    user = make_user()
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    form_token = csrf(link)  # the form opened in time, sent too late
    minutes = app.config["TOKEN_TTL_RESET_MINUTES"]
    with time_machine.travel(utcnow() + timedelta(minutes=minutes, seconds=1)):
        response = _reset(client, csrf, link, token=form_token)
    assert _link_refused(response)
    assert not _can_sign_in(app, user.email, NEW_PASSWORD)
    assert _can_sign_in(app, user.email, TEST_PASSWORD)


def test_reset_token_still_works_just_before_expiry(app, client, csrf, make_user, outbox):
    user = make_user()
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    minutes = app.config["TOKEN_TTL_RESET_MINUTES"]
    with time_machine.travel(utcnow() + timedelta(minutes=minutes - 1)):
        assert _reset(client, csrf, link).status_code == 302


def test_a_newer_reset_link_replaces_the_older_one(app, client, csrf, make_user, outbox):
    user = make_user()
    _request_reset(client, csrf, user.email)
    first = link_in(outbox()[0], "/account/reset/")
    older_form = csrf(first)  # the older link's form, opened before a newer link was asked for
    _request_reset(client, csrf, user.email)
    second = link_in(outbox()[1], "/account/reset/")
    assert _link_refused(_reset(client, csrf, first, token=older_form))
    assert _reset(client, csrf, second).status_code == 302


def test_reset_ends_other_sessions(app, client, csrf, make_user, outbox, other_client):
    user = make_user()
    elsewhere = other_client(user)
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    assert _reset(client, csrf, link).status_code == 302
    response = elsewhere.get("/account/")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_reset_form_validation(client, csrf, make_user, outbox):
    user = make_user()
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    assert _reset(client, csrf, link, password="short", confirm="short").status_code == 422
    assert _reset(client, csrf, link, confirm="not-the-same-password").status_code == 422
    # A refused attempt does not use up the token.
    assert _reset(client, csrf, link).status_code == 302


def test_reset_request_reveals_nothing_about_the_address(app, client, csrf, make_user, outbox):
    user = make_user()
    known = _request_reset(client, csrf, user.email)
    unknown = _request_reset(client, csrf, "nobody@example.jp")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox()) == 1 and outbox()[0]["To"] == user.email


def test_reset_messages_are_identical(client, csrf, make_user):
    user = make_user()
    pages = []
    for email in (user.email, "nobody@example.jp"):
        response = _request_reset(client, csrf, email)
        pages.append(re.findall(r'class="flash[^"]*">(.*?)</p>', page_text(client.get(response.headers["Location"]))))
    assert pages[0] == pages[1] and pages[0]


def test_blocked_or_deleted_accounts_get_no_reset_mail(client, csrf, make_user, outbox):
    blocked = make_user(blocked=True)
    _request_reset(client, csrf, blocked.email)
    assert outbox() == []


def test_reset_requests_are_rate_limited(app, client, csrf, make_user):
    limit = int(app.config["RESET_RATE_LIMIT"].split()[0])
    statuses = [_request_reset(client, csrf, f"someone{i}@example.jp").status_code for i in range(limit + 1)]
    assert statuses == [302] * limit + [429]


def test_bad_reset_email_is_a_422(client, csrf):
    for email in ("", "not-an-email", "x" * 300 + "@example.jp"):
        assert _request_reset(client, csrf, email).status_code == 422


def test_reset_page_says_at_once_when_the_link_no_longer_works(app, client, csrf, make_user, outbox):
    user = make_user()
    assert client.get("/account/reset/not-a-token").status_code == 400
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 200, "looking does not use the link up"
    with time_machine.travel(utcnow() + timedelta(minutes=app.config["TOKEN_TTL_RESET_MINUTES"] + 1)):
        assert client.get(link).status_code == 400
    _reset(client, csrf, link)
    page = client.get(link)
    assert page.status_code == 400
    assert 'href="/account/forgot-password"' in page_text(page)


def test_reset_link_of_a_user_blocked_meanwhile_does_not_work(app, client, csrf, make_user, outbox, db):
    from participation.accounts import services

    admin = make_user("admin")
    user = make_user()
    _request_reset(client, csrf, user.email)
    link = link_in(outbox()[0], "/account/reset/")
    services.block_user(admin, user, "spam")
    db.session.commit()
    assert client.get(link).status_code == 400
