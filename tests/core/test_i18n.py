"""Japanese by default, English on request; the choice sticks for guests (cookie) and users (account);
times shown in Asia/Tokyo."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale, refresh

from participation.common.i18n import format_date_local, format_datetime_local
from tests.accounts.conftest import page_text, translated
from tests.conftest import CSRF_RE, TEST_PASSWORD, csrf_from, link_in


def _switch(client, lang, next_url="/"):
    """Tap a language button of the home page's header, as a browser sends its form: with the form's CSRF token
    for a signed-in visitor, without one for a guest (a guest's header carries none: core.views.set_language)."""
    form = re.search(r'<form class="lang-switch".*?</form>', page_text(client.get("/")), re.S).group(0)
    data = {"lang": lang, "next": next_url}
    token = CSRF_RE.search(form)
    if token:
        data["csrf_token"] = token.group(1) or token.group(2)
    return client.post("/language", data=data)


def test_japanese_is_the_default(app, client):
    body = page_text(client.get("/"))
    assert '<html lang="ja">' in body
    assert app.config["MUNICIPALITY_NAME"] in body
    assert 'name="lang" value="en"' in body, "offers English"


def test_guest_switch_to_english_sticks_by_cookie(app, client):
    response = _switch(client, "en", "/terms")
    assert response.status_code == 302 and response.headers["Location"] == "/terms"
    assert client.get_cookie("lang").value == "en"
    for path in ("/terms", "/", "/account/sign-in"):
        body = page_text(client.get(path))
        assert '<html lang="en">' in body, path
        assert app.config["MUNICIPALITY_NAME_EN"] in body
    # and back
    _switch(client, "ja")
    assert '<html lang="ja">' in page_text(client.get("/"))


def test_switching_language_translates_the_page(app, client):
    """The catalogues are used: a page differs between the languages wherever the ja catalogue translates."""
    sign_in_ja = translated(app, "Sign in", "ja")
    sign_in_en = translated(app, "Sign in", "en")
    assert sign_in_en == "Sign in"
    _switch(client, "en")
    assert f"<h1>{sign_in_en}</h1>" in page_text(client.get("/account/sign-in"))
    _switch(client, "ja")
    assert f"<h1>{sign_in_ja}</h1>" in page_text(client.get("/account/sign-in"))


def test_user_switch_is_stored_on_the_account(app, client, login, make_user, db):
    user = make_user(locale="ja")
    login(user)
    _switch(client, "en", "/account/")
    db.session.refresh(user)
    assert user.locale == "en"
    # A fresh browser (no cookie) gets English once the user signs in.
    other = app.test_client()
    assert '<html lang="ja">' in page_text(other.get("/"))
    token = csrf_from(other.get("/account/sign-in"))
    other.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert '<html lang="en">' in page_text(other.get("/account/"))
    assert other.get_cookie("lang").value == "en"


def test_users_language_wins_over_a_stale_cookie(client, login, make_user):
    client.set_cookie("lang", "ja")
    login(make_user(locale="en"))
    assert '<html lang="en">' in page_text(client.get("/"))


@pytest.mark.parametrize("lang", ["fr", "", "en-US", "../../etc", "x" * 500])
def test_unsupported_language_changes_nothing(client, lang):
    _switch(client, lang)
    assert client.get_cookie("lang") is None
    assert '<html lang="ja">' in page_text(client.get("/"))


def test_bad_language_cookie_falls_back_to_japanese(client):
    client.set_cookie("lang", "<script>")
    assert '<html lang="ja">' in page_text(client.get("/"))


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_language_switch_ignores_external_next(client, next_url):
    response = _switch(client, "en", next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_mails_are_in_the_users_language(app, client, csrf, make_user, outbox):
    english = make_user(locale="en")
    client.post("/account/forgot-password", data={"email": english.email, "csrf_token": csrf("/account/forgot-password")})
    assert outbox()[-1]["Subject"] == "Reset your password"
    japanese = make_user(locale="ja")
    client.post("/account/forgot-password", data={"email": japanese.email,
                                                  "csrf_token": csrf("/account/forgot-password")})
    assert outbox()[-1]["Subject"] == translated(app, "Reset your password", "ja")
    link_in(outbox()[-1], "/account/reset/")


# --- time zone ---------------------------------------------------------------------------------
MIDNIGHT_CROSSING = datetime(2026, 11, 24, 15, 30, tzinfo=timezone.utc)  # 2026-11-25 00:30 in Tokyo


def test_datetimes_are_shown_in_tokyo_time(app):
    with app.test_request_context():
        refresh()
        with force_locale("ja"):
            assert format_datetime_local(MIDNIGHT_CROSSING) == "2026年11月25日 0:30"
        with force_locale("en"):
            shown = format_datetime_local(MIDNIGHT_CROSSING)
            assert "Nov 25, 2026" in shown and "12:30" in shown


def test_naive_database_values_are_treated_as_utc(app):
    from participation.common.time import as_utc

    with app.test_request_context():
        refresh()
        with force_locale("ja"):
            assert format_datetime_local(as_utc(MIDNIGHT_CROSSING.replace(tzinfo=None))) == "2026年11月25日 0:30"


def test_time_zone_is_configurable(app):
    app.config["TIMEZONE"] = "UTC"
    with app.test_request_context():
        refresh()
        with force_locale("ja"):
            assert format_datetime_local(MIDNIGHT_CROSSING) == "2026年11月24日 15:30"


def test_dates_follow_the_locale(app):
    with app.test_request_context():
        refresh()
        with force_locale("ja"):
            assert format_date_local(date(2026, 11, 22)) == "2026年11月22日"
            assert format_datetime_local(None) == "" and format_date_local(None) == ""
        with force_locale("en"):
            assert format_date_local(date(2026, 11, 22)) == "November 22, 2026"


def test_pages_show_tokyo_time(client, login, make_user, db):
    target = make_user()
    target.created_at = MIDNIGHT_CROSSING
    db.session.commit()
    login(make_user("admin"))
    assert "2026年11月25日 0:30" in page_text(client.get(f"/admin/users/{target.id}"))


def test_local_today_and_fiscal_year(app):
    import time_machine

    from participation.common.time import fiscal_year_of, local_today

    with time_machine.travel(MIDNIGHT_CROSSING):
        assert local_today() == date(2026, 11, 25)
    with time_machine.travel(datetime(2027, 3, 31, 15, 0, tzinfo=timezone.utc)):  # 2027-04-01 00:00 JST
        assert fiscal_year_of(local_today()) == 2027
    assert fiscal_year_of(date(2027, 3, 31)) == 2026


def test_times_are_shown_to_the_minute_in_both_languages(app):
    moment = datetime(2026, 11, 26, 12, 55, 52, tzinfo=timezone.utc)  # 21:55:52 in Tokyo
    for lang, expected in (("ja", "2026年11月26日 21:55"), ("en", "Nov 26, 2026, 9:55\u202fPM")):
        with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
            refresh()  # the locale chosen for this request, not one cached before it
            shown = format_datetime_local(moment)
            assert shown.replace("\u202f", " ") == expected.replace("\u202f", " ") and ":52" not in shown


def test_a_guest_page_left_open_past_its_session_still_switches_language(client):
    """The language buttons of a page whose session (and CSRF token) is gone: the tap works, no error page."""
    response = client.post("/language", data={"lang": "en", "next": "/terms", "csrf_token": "expired.token"})
    assert response.status_code == 302 and response.headers["Location"] == "/terms"
    assert client.get_cookie("lang").value == "en"
    assert '<html lang="en">' in page_text(client.get("/terms"))


def test_an_account_language_changes_only_with_a_valid_token(client, db, login, make_user):
    user = make_user(locale="ja")
    login(user)
    response = client.post("/language", data={"lang": "en", "next": "/terms"})
    assert response.status_code == 302 and response.headers["Location"] == "/terms"
    db.session.refresh(user)
    assert user.locale == "ja"
    assert "フォームの有効期限が切れました。もう一度お試しください。" in page_text(client.get("/terms"))
    _switch(client, "en", "/terms")
    db.session.refresh(user)
    assert user.locale == "en"
