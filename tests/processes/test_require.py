"""permissions.require/deny: guests hitting an action that needs an account are sent to sign in and come
back; signed-in users who may not act get 403; the decorator's loader 404s unpublished processes."""
from __future__ import annotations

import pytest
from flask_login import current_user

from participation.permissions import require
from participation.processes import queries

from .conftest import MOMENTS


@pytest.fixture
def propose_route(app):
    """A stand-in for a feature view guarded like the real ones will be (@require with a loader)."""

    @require("proposals.create", load=lambda slug: queries.process_for_view(slug, current_user))
    def propose(slug):
        return f"proposal form for {slug}"

    app.add_url_rule("/test-only/processes/<slug>/propose", "test_propose", propose, methods=["GET", "POST"])
    return "/test-only/processes/{slug}/propose"


def test_guest_is_sent_to_sign_in_and_comes_back(client, csrf, make_user, calendar_process, propose_route, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process()
    url = propose_route.format(slug=process.slug) + "?from=list"
    response = client.get(url)
    assert response.status_code == 302
    sign_in = response.headers["Location"]
    assert sign_in.startswith("/account/sign-in?next=")
    resident = make_user()
    response = client.post(sign_in, data={"email": resident.email, "password": "correct-horse-battery-42",
                                          "csrf_token": csrf(sign_in)})
    assert response.status_code == 302
    assert response.headers["Location"] == url
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == f"proposal form for {process.slug}"


def test_signed_in_resident_outside_the_phase_gets_403(client, login, make_user, calendar_process, propose_route,
                                                       travel):
    travel(MOMENTS["phase2"])  # proposals.create is off in phase 2
    process = calendar_process()
    url = propose_route.format(slug=process.slug)
    assert client.get(url).status_code == 302  # guest: sign in first
    login(make_user())
    assert client.get(url).status_code == 403


def test_unpublished_process_is_404_even_for_the_guarded_action(client, login, make_user, calendar_process,
                                                                 propose_route, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process(published=False)
    url = propose_route.format(slug=process.slug)
    assert client.get(url).status_code == 404
    login(make_user())
    assert client.get(url).status_code == 404


def test_next_cannot_send_a_user_elsewhere(client, csrf, make_user):
    resident = make_user()
    sign_in = "/account/sign-in?next=//evil.example/steal"
    response = client.post(sign_in, data={"email": resident.email, "password": "correct-horse-battery-42",
                                          "csrf_token": csrf(sign_in)})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_guest_posting_an_action_comes_back_to_the_page_of_the_form(client, csrf, make_user, calendar_process,
                                                                    propose_route, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process()
    page = f"/processes/{process.slug}"
    assert client.get(page).status_code == 200
    # A valid token of the guest's session, from a page with a form (a guest's header carries none)
    response = client.post(propose_route.format(slug=process.slug), data={"csrf_token": csrf("/account/sign-in")},
                           headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 302
    sign_in = response.headers["Location"]
    assert sign_in == f"/account/sign-in?next={page}"
    resident = make_user()
    response = client.post(sign_in, data={"email": resident.email, "password": "correct-horse-battery-42",
                                          "csrf_token": csrf(sign_in)})
    assert response.headers["Location"] == page
