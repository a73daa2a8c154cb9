"""Generic error pages: 404, 405, 400 on CSRF failure, 413, 500, never a stack trace."""
from __future__ import annotations

import pytest

from tests.accounts.conftest import page_text, translated


def _friendly(response, status):
    body = page_text(response)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "Traceback" not in body and "File \"" not in body and "werkzeug" not in body.lower()
    assert '<html lang="ja">' in body
    assert 'href="/"' in body, "a way back home"
    return body


def test_unknown_route_is_a_friendly_404(app, client):
    body = _friendly(client.get("/no/such/page"), 404)
    assert translated(app, "Page not found") in body


def test_wrong_method_is_a_friendly_405_with_allow(app, client):
    response = client.get("/account/sign-out")
    body = _friendly(response, 405)
    assert "POST" in response.headers["Allow"]
    assert translated(app, "This action is not available here") in body
    assert client.delete("/").status_code == 405


@pytest.mark.parametrize("path, data", [
    ("/account/sign-in", {"email": "a@example.jp", "password": "whatever-pass"}),
    ("/account/sign-up", {"email": "a@example.jp"}),
    ("/account/forgot-password", {"email": "a@example.jp"}),
])
def test_post_without_csrf_token_is_a_friendly_400(app, client, db, path, data):
    body = _friendly(client.post(path, data=data), 400)
    assert translated(app, "Your form expired or was sent from elsewhere. Please go back, reload the page and "
                           "try again.") in body
    assert client.get_cookie("lang") is None, "the refused request changed nothing"
    from participation.accounts.models import User

    assert db.session.query(User).count() == 0


def test_post_with_a_forged_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/account/sign-in", data={"email": user.email, "password": "x" * 12,
                                                     "csrf_token": "forged.token.value"})
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302


def test_csrf_token_from_another_session_is_refused(app, client, csrf, make_user):
    user = make_user()
    token = csrf()
    other = app.test_client()
    response = other.post("/account/sign-in", data={"email": user.email, "password": "correct-horse-battery-42",
                                                    "csrf_token": token})
    assert response.status_code == 400


def test_unexpected_error_is_a_friendly_500_and_rolls_back(app, db, make_user):
    from participation.accounts.models import User

    def boom():
        db.session.add(User(email="half@example.jp", display_name="half", role="resident"))
        db.session.flush()
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/test-boom", "test_boom", boom)
    client = app.test_client()
    response = client.get("/test-boom")
    body = _friendly(response, 500)
    assert "secret internal detail" not in body
    assert translated(app, "Something went wrong on our side") in body
    assert db.session.query(User).filter_by(email="half@example.jp").count() == 0


def test_too_large_request_is_a_friendly_413(app, client, csrf):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    token = csrf()
    response = client.post("/account/sign-in", data={"email": "a@example.jp", "password": "p" * 5000,
                                                     "csrf_token": token})
    _friendly(response, 413)


def test_json_paths_get_json_errors(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["status"] == 404


def test_error_pages_follow_the_language(app, client):
    client.set_cookie("lang", "en")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert '<html lang="en">' in page_text(response)
    assert translated(app, "Page not found", "en") in page_text(response)


@pytest.mark.parametrize("path", ["/account/confirm/%00", "/account/reset/" + "x" * 5000, "/uploads/..%2f..%2fetc",
                                  "/account/sign-in?next=%00%0d%0aSet-Cookie:x=y", "/?page=-1&q=%ff"])
def test_odd_urls_never_500(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert "Set-Cookie: x=y" not in str(response.headers)


def test_database_outage_gives_a_503_page_even_for_a_signed_in_user(app, client, login, make_user, db, monkeypatch):
    """The layout loads the signed-in user from the database; when that fails too, a static page is shown."""
    from sqlalchemy.exc import OperationalError

    login(make_user())

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)  # the account is read through execute (load_user)
    monkeypatch.setattr(db.session, "get", unreachable)
    response = client.get("/")
    assert response.status_code == 503
    body = page_text(response)
    assert "Traceback" not in body and "connection refused" not in body
    assert '<html lang="ja">' in body and 'href="/"' in body


def test_database_outage_in_a_view_is_a_503(app, db, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def view():
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    app.add_url_rule("/test-db-down", "test_db_down", view)
    response = app.test_client().get("/test-db-down")
    body = _friendly(response, 503)
    assert translated(app, "The service is temporarily unavailable") in body


def test_wrong_method_while_the_error_page_cannot_render_is_still_a_405(app, client, monkeypatch):
    """The 405 handler adds Allow to whatever render_error gives, the static fallback page included."""
    import participation.common.errors as errors

    def broken_template(*args, **kwargs):
        raise RuntimeError("template engine unavailable")

    monkeypatch.setattr(errors, "render_template", broken_template)
    response = client.get("/account/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "トップページへ" in page_text(response)


def _sample_url(rule) -> str:
    from werkzeug.routing.converters import AnyConverter, NumberConverter

    values = {}
    for name, converter in rule._converters.items():  # isinstance: the app's <int:...> is a subclass
        values[name] = 1 if isinstance(converter, NumberConverter) else (
            sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "x")
    return rule.build(values, append_unknown=False)[1]


# Routes that take no session-authenticated writes: the health probe and the bearer-token KPI API.
# /language checks its token itself: a guest's switch needs none (tests/core/test_i18n.py).
CSRF_EXEMPT = {"/healthz", "/language"}


def test_every_post_route_refuses_a_request_without_a_csrf_token(app, client, login, make_user):
    """Checked over the whole URL map, so a new form route cannot slip out of CSRF protection."""
    login(make_user("admin"))
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule in CSRF_EXEMPT or rule.rule.startswith("/api/"):
            continue
        url = _sample_url(rule)
        response = client.post(url, data={"body": "x", "title": "x"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked.append(rule.rule)
    assert len(checked) > 40 and "/account/sign-in" in checked and "/account/delete" in checked
