"""Acceptance 3: unpublished processes are invisible to non-staff: 404 on every URL naming them,
absent from the list and its filters; staff see them; published ones are visible to everyone."""
from __future__ import annotations

import pytest

from participation.accounts.models import Area


def _public_slug_urls(app, slug: str) -> list[str]:
    """Every public GET URL that names a process by its slug alone (features add more under /processes/<slug>)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.arguments == {"slug"} and "GET" in rule.methods and not rule.rule.startswith(("/admin", "/staff")):
            urls.append(rule.rule.replace("<slug>", slug))
    return urls


@pytest.fixture
def area(db):
    area = Area(name_ja="北地区", name_en="North")
    db.session.add(area)
    db.session.commit()
    return area


@pytest.fixture
def two_processes(make_process, area):
    published = make_process(area_id=area.id)
    hidden = make_process(published=False, area_id=area.id)
    return published, hidden


LIST_URLS = ("/processes", "/processes?state=active", "/processes?state=upcoming", "/processes?state=past",
             "/processes?area={area}", "/processes?state=active&area={area}", "/processes?page=1")


@pytest.mark.parametrize("role", ["guest", "resident", "blocked"])
def test_unpublished_process_is_404_and_unlisted_for_non_staff(role, app, client, make_user, login, two_processes,
                                                               area):
    published, hidden = two_processes
    if role != "guest":
        user = make_user("resident")
        login(user)
        if role == "blocked":  # blocked after signing in: the session must not reveal anything either
            from participation.common.time import utcnow
            from participation.extensions import db

            user.blocked_at = utcnow()
            db.session.commit()
    hidden_urls = _public_slug_urls(app, hidden.slug)
    assert f"/processes/{hidden.slug}" in hidden_urls
    for url in hidden_urls:
        assert client.get(url).status_code == 404, url
    for url in _public_slug_urls(app, published.slug):
        if url.endswith("/feedback"):  # 404 until its report is published: tests/processes/test_feedback.py
            continue
        response = client.get(url)
        # Pages that need an account (e.g. a new proposal) send guests and blocked users to sign in.
        assert response.status_code == 200 or (
            response.status_code == 302 and "/account/sign-in" in response.headers["Location"]), url
    for url in LIST_URLS:
        html = client.get(url.format(area=area.id)).get_data(as_text=True)
        assert hidden.title not in html and f"/processes/{hidden.slug}" not in html, url
    html = client.get("/processes").get_data(as_text=True)
    assert published.title in html and f"/processes/{published.slug}" in html


def test_unknown_slug_is_404(client):
    assert client.get("/processes/no-such-process").status_code == 404


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_unpublished_processes(role, client, make_user, login, two_processes, area):
    published, hidden = two_processes
    login(make_user(role))
    response = client.get(f"/processes/{hidden.slug}")
    assert response.status_code == 200
    assert hidden.title in response.get_data(as_text=True)
    for url in ("/processes", f"/processes?area={area.id}", "/processes?state=active"):
        html = client.get(url).get_data(as_text=True)
        assert hidden.title in html and published.title in html, url


def test_unpublishing_hides_a_process_again(db, client, make_user, make_process):
    from participation.processes import services

    process = make_process()
    assert client.get(f"/processes/{process.slug}").status_code == 200
    services.unpublish_process(make_user("admin"), process)
    db.session.commit()
    assert client.get(f"/processes/{process.slug}").status_code == 404
    assert process.title not in client.get("/processes").get_data(as_text=True)
