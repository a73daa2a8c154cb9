"""The site header is rendered once per language and kind of viewer and shared (core.views.site_header); what
differs per request (the CSRF token, the page's own path for the language switch and the sign-in link) is
filled in for each request."""
import re

from participation.common.fragments import fragment_cache
from tests.conftest import csrf_from, signed_in

NEXT_RE = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
SIGN_IN_RE = re.compile(r'href="(/account/sign-in[^"]*)"')


def _header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def test_each_page_gets_its_own_path_and_token_in_a_shared_header(app, client):
    fragment_cache.clear()
    first = client.get("/terms").get_data(as_text=True)
    rendered = fragment_cache.misses
    second = client.get("/privacy?from=%3Cposter%3E&a=1").get_data(as_text=True)
    assert fragment_cache.misses == rendered  # the second page's header came from the shared rendering
    assert NEXT_RE.search(_header(first)).group(1) == "/terms"
    assert NEXT_RE.search(_header(second)).group(1) == "/privacy?from=%3Cposter%3E&amp;a=1"
    assert SIGN_IN_RE.search(_header(first)).group(1) == "/account/sign-in?next=/terms"
    assert SIGN_IN_RE.search(_header(second)).group(1).startswith("/account/sign-in?next=/privacy")
    assert "\x00" not in first + second  # no hole left unfilled
    # the token in the shared header is this visitor's own: the language switch takes it
    response = client.post("/language", data={"lang": "en", "next": "/terms", "csrf_token": csrf_from(
        client.get("/terms"))})
    assert response.status_code == 302 and client.get_cookie("lang").value == "en"
    english = client.get("/terms").get_data(as_text=True)
    assert ">日本語</button>" in _header(english) and "Sign in" in _header(english)


def test_the_sign_in_page_does_not_send_people_back_to_itself(client):
    html = client.get("/account/sign-in").get_data(as_text=True)
    assert SIGN_IN_RE.search(_header(html)).group(1) == "/account/sign-in"


def test_signed_in_headers_differ_by_role_not_by_person(app, make_user):
    fragment_cache.clear()
    resident, other, staff = make_user(), make_user(), make_user("staff")
    resident_page = _header(signed_in(app, resident).get("/terms").get_data(as_text=True))
    rendered = fragment_cache.misses
    other_page = _header(signed_in(app, other).get("/terms").get_data(as_text=True))
    assert fragment_cache.misses == rendered
    staff_page = _header(signed_in(app, staff).get("/terms").get_data(as_text=True))
    assert "/staff/outbox" in staff_page and "/staff/outbox" not in resident_page + other_page
    assert "/account/sign-out" in resident_page and "/account/sign-in" not in resident_page
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
              for page in (resident_page, other_page, staff_page)}
    assert len(tokens) == 3  # each person's own token
