"""Optional age group and area: each stored only with its own consent, erased on withdrawal."""
from __future__ import annotations

import re

import pytest

from participation.accounts.models import Area, ParticipantProfile


@pytest.fixture
def area(db):
    area = Area(name_ja="南地区", name_en="South", position=0)
    db.session.add(area)
    db.session.commit()
    return area


def _post(client, csrf, **data):
    return client.post("/account/statistics-consent",
                       data={"csrf_token": csrf("/account/statistics-consent"), **data})


def _profile(db, user) -> ParticipantProfile | None:
    db.session.expire_all()
    return db.session.get(ParticipantProfile, user.id)


def test_page_explains_the_purpose_and_lists_areas(client, login, make_user, area):
    login(make_user())
    page = client.get("/account/statistics-consent")
    assert page.status_code == 200
    assert "南地区" in page.get_data(as_text=True)


def test_each_item_is_stored_only_with_its_consent(client, csrf, login, make_user, db, area):
    user = make_user()
    login(user)
    # Age group with consent, area chosen but not consented to.
    response = _post(client, csrf, age_band="40s", age_consent="y", area_id=str(area.id))
    assert response.status_code == 302
    profile = _profile(db, user)
    assert profile.age_band == "40s" and profile.age_band_consented_at is not None
    assert profile.area_id is None and profile.area_consented_at is None

    # Now the area with consent, the age group without: the age group is erased.
    response = _post(client, csrf, age_band="40s", area_id=str(area.id), area_consent="y")
    assert response.status_code == 302
    profile = _profile(db, user)
    assert profile.age_band is None and profile.age_band_consented_at is None
    assert profile.area_id == area.id and profile.area_consented_at is not None


def test_withdrawal_erases_both_items(client, csrf, login, make_user, db, area):
    user = make_user()
    login(user)
    _post(client, csrf, age_band="20s", age_consent="y", area_id=str(area.id), area_consent="y")
    assert _profile(db, user).age_band == "20s"
    page = client.get("/account/statistics-consent").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*id="age_consent"|<input[^>]*id="age_consent"[^>]*checked', page)
    assert '<option selected value="20s">' in page
    assert _post(client, csrf, age_band="", area_id="").status_code == 302
    profile = _profile(db, user)
    assert (profile.age_band, profile.age_band_consented_at, profile.area_id, profile.area_consented_at) == (
        None, None, None, None)


def test_consent_without_a_value_is_refused(client, csrf, login, make_user, db):
    user = make_user()
    login(user)
    assert _post(client, csrf, age_band="", age_consent="y").status_code == 422
    assert _post(client, csrf, area_id="", area_consent="y").status_code == 422
    assert _profile(db, user) is None


@pytest.mark.parametrize("data", [
    {"age_band": "99s", "age_consent": "y"},
    {"area_id": "999999", "area_consent": "y"},
    {"area_id": "not-a-number", "area_consent": "y"},
])
def test_values_outside_the_lists_are_refused(client, csrf, login, make_user, db, area, data):
    user = make_user()
    login(user)
    assert _post(client, csrf, **data).status_code == 422
    assert _profile(db, user) is None


def test_deleting_an_area_clears_it_from_profiles(client, csrf, login, make_user, db, area):
    user = make_user()
    login(user)
    _post(client, csrf, area_id=str(area.id), area_consent="y")
    db.session.delete(db.session.get(Area, area.id))
    db.session.commit()
    assert _profile(db, user).area_id is None
