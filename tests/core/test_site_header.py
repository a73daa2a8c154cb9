"""The site header is rendered once per language and kind of viewer and shared (core.views.site_header); what
differs per request (the page's own path for the language switch and the sign-in link, and a signed-in
visitor's CSRF token) is filled in for each request. A guest's header carries no token (their language switch
needs none), so a guest's plain page starts no session and sets no cookie."""
import re
from html import unescape

from participation.common.fragments import fragment_cache
from tests.conftest import TEST_PASSWORD, csrf_from, signed_in

NEXT_RE = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
SIGN_IN_RE = re.compile(r'href="(/account/sign-in[^"]*)"')


def _header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def _language_form(header: str) -> dict:
    """What the header's language switch sends: its hidden fields and its button's name and value."""
    form = re.search(r'<form class="lang-switch".*?</form>', header, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields.update(re.findall(r'<button type="submit" name="([^"]+)" value="([^"]*)"', form))
    return {name: unescape(value) for name, value in fields.items()}


def test_each_page_gets_its_own_path_in_a_shared_guest_header_with_no_token_and_no_cookie(app, client):
    fragment_cache.clear()
    first_response = client.get("/terms")
    first = first_response.get_data(as_text=True)
    rendered = fragment_cache.misses
    second_response = client.get("/privacy?from=%3Cposter%3E&a=1")
    second = second_response.get_data(as_text=True)
    assert fragment_cache.misses == rendered  # the second page's header came from the shared rendering
    assert NEXT_RE.search(_header(first)).group(1) == "/terms"
    assert NEXT_RE.search(_header(second)).group(1) == "/privacy?from=%3Cposter%3E&amp;a=1"
    assert SIGN_IN_RE.search(_header(first)).group(1) == "/account/sign-in?next=/terms"
    assert SIGN_IN_RE.search(_header(second)).group(1).startswith("/account/sign-in?next=/privacy")
    assert "\x00" not in first + second  # no hole left unfilled
    # A guest's header has no token (its language switch needs none): the page makes no session, sets no cookie.
    assert "csrf_token" not in _header(first) + _header(second)
    assert "Set-Cookie" not in first_response.headers and "Set-Cookie" not in second_response.headers
    # The guest's language switch works without a token: the header's form sent as it is.
    response = client.post("/language", data=_language_form(_header(first)))
    assert response.status_code == 302 and response.headers["Location"] == "/terms"
    assert client.get_cookie("lang").value == "en"
    english = client.get("/terms").get_data(as_text=True)
    assert ">日本語</button>" in _header(english) and "Sign in" in _header(english)


def test_a_guest_browsing_plain_pages_gets_no_cookie_and_can_still_sign_in(client, make_user):
    user = make_user()
    for path in ("/", "/terms", "/processes"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], path
    assert client.get_cookie("session") is None
    # The sign-in form is a real form: its page starts the session (with the form's token)...
    form = client.get("/account/sign-in")
    assert form.status_code == 200
    token = csrf_from(form)
    assert any(cookie.startswith("session=") for cookie in form.headers.getlist("Set-Cookie"))
    # ...and signing in with it works.
    response = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                     "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200


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
