"""Security headers on every kind of response, and templates that need no inline script or style."""
from __future__ import annotations

import re

import pytest

from tests.accounts.conftest import page_text


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_headers(response):
    csp = _csp(response)
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert "'unsafe-inline'" not in csp.get("style-src", csp.get("default-src"))
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("method, path", [
    ("get", "/"), ("get", "/account/sign-in"), ("get", "/no/such/page"), ("get", "/healthz"),
    ("get", "/static/css/app.css"), ("post", "/account/sign-in"), ("get", "/account/sign-out"),
])
def test_security_headers_on_every_response(client, method, path):
    _assert_headers(getattr(client, method)(path))


def test_security_headers_on_redirects_and_rate_limited_responses(app, client, csrf):
    _assert_headers(client.get("/account/"))
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    token = csrf()
    for _ in range(2):
        response = client.post("/account/sign-in", data={"email": "a@example.jp", "password": "wrong-password",
                                                         "csrf_token": token})
    assert response.status_code == 429
    _assert_headers(response)


def test_uploads_are_sandboxed(app, client):
    from pathlib import Path

    from participation.common.uploads import upload_dir

    name = "0123456789abcdef0123456789abcdef.png"
    Path(upload_dir() / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    response = client.get(f"/uploads/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "image/png"


INLINE_PATTERNS = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I),
    "third-party resource": re.compile(r"(src|href)=\"(https?:)?//(?!localhost)[^\"]+\.(js|css)", re.I),
}

GUEST_PAGES = ["/", "/terms", "/privacy", "/account/sign-in", "/account/sign-up", "/account/forgot-password",
               "/account/resend-confirmation", "/account/check-your-mail", "/processes", "/nothing-here"]
USER_PAGES = ["/account/", "/account/profile", "/account/password", "/account/email",
              "/account/statistics-consent", "/account/data", "/account/delete"]
ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/areas", "/admin/audit", "/staff/outbox"]


def _assert_no_inline_code(path, response):
    body = page_text(response)
    for what, pattern in INLINE_PATTERNS.items():
        match = pattern.search(body)
        assert match is None, f"{path}: {what}: {match.group(0) if match else ''}"


def test_pages_need_no_inline_script_or_style(client, login, make_user):
    for path in GUEST_PAGES:
        _assert_no_inline_code(path, client.get(path, follow_redirects=True))
    login(make_user("admin"))
    for path in USER_PAGES + ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_no_inline_code(path, response)


def test_pages_have_landmarks_labels_and_a_skip_link(client):
    body = page_text(client.get("/account/sign-up"))
    assert 'class="skip-link" href="#main"' in body
    assert '<main id="main"' in body and "<header" in body and "<footer" in body and "<nav" in body
    for field_id in ("email", "display_name", "password", "password_confirm", "agree_terms", "agree_privacy"):
        assert f'for="{field_id}"' in body, field_id
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
