"""Per-request state that extensions cache on `flask.g`.

Flask reuses an application context that is already pushed when a request starts (the test suite keeps
one pushed per test; so can scripts). Flask-Login caches the current user on g and Flask-Babel the
locale, Flask-WTF the signed CSRF token, so without this a request could see the previous request's
user, language or (after the session was cleared) a stale CSRF token. Clearing them
when each request starts makes every request resolve its own; in production it is a no-op."""
from __future__ import annotations

from flask import Flask, g, request_started

REQUEST_SCOPED_GLOBALS = ("_login_user", "_flask_babel")


def _reset_request_globals(sender, **extra) -> None:
    for name in REQUEST_SCOPED_GLOBALS + (sender.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"),):
        g.pop(name, None)


def isolate_requests(app: Flask) -> None:
    request_started.connect(_reset_request_globals, app)
