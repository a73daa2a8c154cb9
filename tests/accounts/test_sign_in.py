"""Sign-in and sign-out: session rotation, cookie flags, blocked and deleted accounts, no open
redirect, no user enumeration, rate limits."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from participation.common.time import utcnow
from participation.extensions import db as _db
from tests.accounts.conftest import page_text, translated
from tests.conftest import TEST_PASSWORD


def _sign_in(client, csrf, email, password=TEST_PASSWORD, **extra):
    return client.post("/account/sign-in", data={"email": email, "password": password, "csrf_token": csrf(), **extra})


def _set_cookies(response) -> dict[str, str]:
    """name -> the full Set-Cookie header for it."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _flashes(response) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page_text(response))


def test_sign_in_and_sign_out(client, csrf, make_user, db):
    user = make_user(display_name="山田花子")
    assert client.get("/account/").status_code == 302
    response = _sign_in(client, csrf, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    overview = client.get("/account/")
    assert overview.status_code == 200 and "山田花子" in page_text(overview)
    db.session.refresh(user)
    assert user.last_sign_in_at is not None

    signed_in_page = client.get("/")
    token = re.search(r'action="/account/sign-out".*?name="csrf_token" value="([^"]+)"', page_text(signed_in_page),
                      re.S).group(1)
    response = client.post("/account/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302, "signed out"


def test_sign_in_email_is_case_and_space_insensitive(client, csrf, make_user):
    user = make_user(email="case@example.jp")
    assert _sign_in(client, csrf, "  CASE@Example.jp ").status_code == 302
    assert client.get("/account/").status_code == 200


def test_sign_out_needs_post_and_csrf(client, login, make_user):
    login(make_user())
    assert client.get("/account/sign-out").status_code == 405
    assert client.post("/account/sign-out").status_code == 400
    assert client.get("/account/").status_code == 200, "still signed in"


def test_session_is_rotated_at_sign_in(client, csrf, make_user):
    user = make_user()
    old_token = csrf()
    before = client.get_cookie("session").value
    assert _sign_in(client, csrf, user.email).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    # Nothing from the pre-sign-in session survives: its CSRF token is no longer accepted.
    response = client.post("/account/profile", data={"display_name": "x", "locale": "ja", "csrf_token": old_token})
    assert response.status_code == 400


def test_pre_sign_in_cookie_does_not_carry_the_sign_in(app, client, csrf, make_user):
    user = make_user()
    csrf()
    before = client.get_cookie("session").value
    _sign_in(client, csrf, user.email)
    other = app.test_client()
    other.set_cookie("session", before)
    assert other.get("/account/").status_code == 302


def test_cookies_are_httponly_and_samesite_lax(client, csrf, make_user):
    user = make_user()
    response = _sign_in(client, csrf, user.email, remember="y")
    cookies = _set_cookies(response)
    assert {"session", "remember_token", "lang"} <= set(cookies)
    for name in ("session", "remember_token", "lang"):
        assert "HttpOnly" in cookies[name], name
        assert "SameSite=Lax" in cookies[name], name
        assert "Secure" not in cookies[name], name  # not configured: plain http in development


def test_cookies_are_secure_when_configured(app, client, csrf, make_user):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    user = make_user()
    token = csrf()
    response = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                     "csrf_token": token, "remember": "y"},
                           base_url="https://localhost", headers={"Referer": "https://localhost/account/sign-in"})
    assert response.status_code == 302
    cookies = _set_cookies(response)
    for name in ("session", "remember_token", "lang"):
        assert "Secure" in cookies[name], name


def test_remember_cookie_survives_session_loss_but_not_password_change(app, client, csrf, make_user, db):
    from participation.accounts import services

    user = make_user()
    _sign_in(client, csrf, user.email, remember="y")
    client.delete_cookie("session")
    assert client.get("/account/").status_code == 200, "remember-me signs back in"
    services.change_password(user, TEST_PASSWORD, "another-password-456")
    db.session.commit()
    client.delete_cookie("session")
    assert client.get("/account/").status_code == 302


@pytest.mark.parametrize("next_url", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "https:evil.example",
    " //evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example",
])
def test_external_next_is_ignored_after_sign_in(client, csrf, make_user, next_url):
    user = make_user()
    as_query = client.post(f"/account/sign-in?next={next_url}",
                           data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf()})
    assert as_query.status_code == 302
    assert as_query.headers["Location"] == "/"
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    as_field = _sign_in(client, csrf, user.email, next=next_url)
    assert as_field.status_code == 302
    assert as_field.headers["Location"] == "/"


def test_local_next_is_followed(client, csrf, make_user):
    user = make_user()
    response = _sign_in(client, csrf, user.email, next="/account/profile?x=1")
    assert response.headers["Location"] == "/account/profile?x=1"


def test_signed_in_user_visiting_sign_in_with_external_next_stays_local(client, login, make_user):
    login(make_user())
    response = client.get("/account/sign-in?next=//evil.example")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_guest_is_sent_to_sign_in_and_back(client, csrf, make_user):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/sign-in?next=/account/profile"
    page = client.get(response.headers["Location"])
    assert 'name="next" value="/account/profile"' in page_text(page)
    user = make_user()
    assert _sign_in(client, csrf, user.email, next="/account/profile").headers["Location"] == "/account/profile"


def test_wrong_password_and_unknown_address_look_the_same(app, client, csrf, make_user):
    user = make_user()
    wrong = _sign_in(client, csrf, user.email, password="wrong-password-1")
    unknown = _sign_in(client, csrf, "nobody@example.jp", password="wrong-password-1")
    assert wrong.status_code == unknown.status_code == 422
    assert _flashes(wrong) == _flashes(unknown) == [
        translated(app, "The email address or password is not correct.")]
    strip = lambda r: re.sub(r'value="[^"]*"', "", page_text(r))  # noqa: E731 (tokens and typed email differ)
    assert strip(wrong) == strip(unknown)


def test_blocked_user_cannot_sign_in(app, client, csrf, make_user):
    user = make_user(blocked=True)
    response = _sign_in(client, csrf, user.email)
    assert response.status_code == 422
    assert _flashes(response) == [translated(app, "This account is blocked. Please contact the municipality.")]
    assert client.get("/account/").status_code == 302


def test_blocked_user_with_wrong_password_gets_the_generic_answer(app, client, csrf, make_user):
    user = make_user(blocked=True)
    response = _sign_in(client, csrf, user.email, password="wrong-password-1")
    assert _flashes(response) == [translated(app, "The email address or password is not correct.")]


def test_blocking_ends_the_session_of_a_signed_in_user(client, login, make_user, db):
    from participation.accounts import services

    admin = make_user("admin")
    user = make_user()
    login(user)
    assert client.get("/account/").status_code == 200
    services.block_user(admin, user, "spam")
    db.session.commit()
    assert client.get("/account/").status_code == 302


def test_sign_in_form_bad_input_is_a_422_not_a_500(client, csrf):
    for data in ({"email": "", "password": ""}, {"email": "x" * 300, "password": "y"},
                 {"email": "ok@example.jp", "password": "p" * 129}, {"email": "\x00@example.jp", "password": "p"}):
        response = client.post("/account/sign-in", data={**data, "csrf_token": csrf()})
        assert response.status_code == 422, data


def test_eleventh_wrong_password_within_a_minute_is_rate_limited(app, client, csrf, make_user):
    user = make_user()
    token = csrf()
    statuses = [client.post("/account/sign-in", data={"email": user.email, "password": f"wrong-{i}-password",
                                                      "csrf_token": token}).status_code for i in range(11)]
    assert statuses == [422] * 10 + [429]
    # Even the right password is refused until the window passes.
    blocked = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                    "csrf_token": token})
    assert blocked.status_code == 429
    assert "Traceback" not in page_text(blocked)
    assert translated(app, "Too many attempts. Please wait a moment and try again") in page_text(blocked)


def test_rate_limit_is_per_address_too(client, csrf, make_user):
    """Spreading attempts over many IP addresses does not get around the per-account limit."""
    user = make_user()
    token = csrf()
    statuses = [client.post("/account/sign-in", data={"email": user.email, "password": "wrong-password-x",
                                                      "csrf_token": token},
                            environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"}).status_code for i in range(11)]
    assert statuses[-1] == 429


def test_rate_limit_is_per_ip_across_addresses(client, csrf):
    token = csrf()
    statuses = [client.post("/account/sign-in", data={"email": f"guess{i}@example.jp", "password": "wrong-password",
                                                      "csrf_token": token}).status_code for i in range(11)]
    assert statuses[-1] == 429


def test_successful_sign_ins_do_not_count_and_the_window_passes(client, csrf, make_user):
    import time_machine

    user = make_user()
    for _ in range(12):
        assert _sign_in(client, csrf, user.email).status_code == 302
        client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    with time_machine.travel(utcnow(), tick=True) as traveller:
        token = csrf()
        for i in range(10):
            client.post("/account/sign-in", data={"email": user.email, "password": "bad-password-x",
                                                  "csrf_token": token})
        assert _sign_in(client, csrf, user.email).status_code == 429
        traveller.shift(timedelta(seconds=61))
        assert _sign_in(client, csrf, user.email).status_code == 302


def test_deleted_account_cannot_sign_in(client, csrf, make_user, db):
    from participation.accounts import services

    user = make_user(email="gone@example.jp")
    services.delete_account(user, TEST_PASSWORD)
    db.session.commit()
    response = _sign_in(client, csrf, "gone@example.jp")
    assert response.status_code == 422


def test_sign_out_clears_the_remember_cookie(client, csrf, make_user):
    user = make_user()
    _sign_in(client, csrf, user.email, remember="y")
    assert client.get_cookie("remember_token") is not None
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session")
    assert client.get("/account/").status_code == 302


def _wrong_passwords(client, token, forwarded_for, count):
    return [client.post("/account/sign-in", data={"email": f"nobody{i}@example.jp", "password": "wrong-password",
                                                  "csrf_token": token},
                        headers={"X-Forwarded-For": forwarded_for}).status_code for i in range(count)]


def test_behind_a_trusted_proxy_limits_and_audit_use_the_residents_address(app, client, csrf, make_user):
    """Behind nginx every request comes from the proxy: without TRUSTED_PROXIES one resident's typos
    would lock out the whole city, and the audit log would record the proxy's address."""
    from participation.moderation.models import AuditLog

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # what create_app does with TRUSTED_PROXIES=1
    token = csrf()
    assert _wrong_passwords(client, token, "203.0.113.7", 11)[-1] == 429
    assert _wrong_passwords(client, token, "203.0.113.8", 1) == [422]  # another resident, same proxy
    admin = make_user("admin")
    resident = make_user(email="forwarded@example.jp")
    assert _sign_in(client, csrf, admin.email).status_code == 302
    client.post(f"/admin/users/{resident.id}/block", data={"reason": "spam", "csrf_token": csrf("/admin/users")},
                headers={"X-Forwarded-For": "198.51.100.23"})
    entry = _db.session.scalars(select(AuditLog).where(AuditLog.action == "user.block")).one()
    assert entry.ip_address == "198.51.100.23"


def test_without_trusted_proxies_a_forwarded_header_is_not_believed(client, csrf):
    token = csrf()
    statuses = [_wrong_passwords(client, token, f"203.0.113.{i}", 1)[0] for i in range(11)]
    assert statuses[-1] == 429  # a client cannot dodge the limit by inventing X-Forwarded-For


def test_trusted_proxies_setting_installs_the_proxy_fix(app):
    from participation import create_app

    assert not isinstance(app.wsgi_app, ProxyFix)
    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1, "SCHEDULER_IN_PROCESS": False})
    assert isinstance(proxied.wsgi_app, ProxyFix) and proxied.wsgi_app.x_for == 1
