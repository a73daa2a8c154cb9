"""Helpers for account tests: sign-up form data, a second signed-in browser, audit rows."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_from


@pytest.fixture
def sign_up_data(csrf):
    def data(**overrides) -> dict:
        values = {"email": "new.resident@example.jp", "display_name": "新しい住民", "password": TEST_PASSWORD,
                  "password_confirm": TEST_PASSWORD, "locale": "ja", "agree_terms": "y", "agree_privacy": "y",
                  "csrf_token": csrf("/account/sign-up")}
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    return data


@pytest.fixture
def other_client(app):
    """A second, independent browser: other_client(user) returns it signed in as user."""

    def make(user, password: str = TEST_PASSWORD):
        browser = app.test_client()
        token = csrf_from(browser.get("/account/sign-in"))
        response = browser.post("/account/sign-in", data={"email": user.email, "password": password,
                                                          "csrf_token": token})
        assert response.status_code == 302
        assert browser.get("/account/").status_code == 200
        return browser

    return make


@pytest.fixture
def audit_rows(db):
    """audit_rows(action=None) -> the audit log entries, oldest first."""
    from participation.moderation.models import AuditLog

    def rows(action: str | None = None):
        db.session.expire_all()
        stmt = select(AuditLog).order_by(AuditLog.id)
        if action:
            stmt = stmt.where(AuditLog.action == action)
        return list(db.session.scalars(stmt))

    return rows


def page_text(response) -> str:
    return response.get_data(as_text=True)


def translated(app, msgid: str, locale: str = "ja", **params) -> str:
    """msgid in the given language as the app would show it (whatever the catalogue holds today)."""
    from flask_babel import force_locale, gettext
    from markupsafe import escape

    with app.test_request_context(), force_locale(locale):
        return str(escape(gettext(msgid, **params)))
