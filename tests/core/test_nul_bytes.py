"""NUL characters in URLs and query strings: a 4xx, never a database error (PostgreSQL rejects NUL)."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/admin/users?q=a%00b", "/admin/audit?action=%00", "/processes/a%00b",
                                  "/admin/users?role=%00", "/account/reset/%00"])
def test_nul_in_the_url_is_refused(client, login, make_user, path):
    login(make_user("admin"))
    response = client.get(path)
    assert response.status_code in (400, 404), response.status_code
    assert "Traceback" not in response.get_data(as_text=True)


def test_nul_in_a_form_post_is_refused(client, csrf):
    response = client.post("/account/sign-in", data={"email": "a@example.jp\x00", "password": "pw",
                                                     "csrf_token": csrf()})
    assert response.status_code == 422, "a message next to the field"
