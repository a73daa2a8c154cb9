"""Every form control on the foundation's pages has a label; pages have one h1 and a title."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.core.test_security_headers import ADMIN_PAGES, GUEST_PAGES, USER_PAGES


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.h1 = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(attrs)
        elif tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        elif tag == "h1":
            self.h1 += 1
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _check(path, response):
    parser = _Controls()
    parser.feed(response.get_data(as_text=True))
    for control in parser.controls:
        assert control.get("id") in parser.label_for or control.get("aria-label"), f"{path}: unlabelled {control}"
    assert parser.h1 == 1, f"{path}: {parser.h1} h1 elements"
    assert parser.title.strip(), f"{path}: empty title"


def test_every_control_has_a_label(client, login, make_user):
    for path in GUEST_PAGES:
        _check(path, client.get(path))
    login(make_user("admin"))
    for path in USER_PAGES + ADMIN_PAGES:
        _check(path, client.get(path))


def test_form_errors_are_tied_to_their_fields(client, csrf):
    response = client.post("/account/sign-up", data={"email": "bad", "csrf_token": csrf("/account/sign-up")})
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body
    assert 'aria-describedby="email-error"' in body and 'aria-invalid="true"' in body
