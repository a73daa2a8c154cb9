"""KPI fixtures: hand-built users, a test-only action source, API tokens, helpers for instants in JST."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, select

from participation.common.models import UTCDateTime

JST = ZoneInfo("Asia/Tokyo")
_n = itertools.count(1)

# A stand-in for the feature tables (proposals, supports, comments...) so that the action-based
# indicators can be tested before those features are merged: same columns as the ACTION_SOURCES contract.
test_metadata = MetaData()
test_actions = Table(
    "kpi_test_actions", test_metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("process_id", Integer),
    Column("from_mobile", Boolean, nullable=False, default=False),
)


def jst(*args) -> datetime:
    """An aware instant given as Tokyo wall-clock time."""
    return datetime(*args, tzinfo=JST).astimezone(timezone.utc)


@pytest.fixture
def add_user(db):
    """add_user(created_at, age_band=None, area=None) -> user id; cheap rows (no password hashing)."""
    from participation.accounts.models import ParticipantProfile, User

    def factory(created_at=None, *, age_band=None, area=None, role="resident"):
        n = next(_n)
        user = User(email=f"kpi{n}@example.jp", display_name=f"参加者{n}", role=role,
                    created_at=created_at or jst(2026, 1, 5, 12))
        db.session.add(user)
        db.session.flush()
        if age_band or area:
            consent = jst(2026, 1, 1)
            db.session.add(ParticipantProfile(
                user_id=user.id, age_band=age_band, age_band_consented_at=consent if age_band else None,
                area_id=getattr(area, "id", None), area_consented_at=consent if area else None))
        db.session.commit()
        return user.id

    return factory


@pytest.fixture
def add_area(db):
    from participation.accounts.models import Area

    def factory(name="中央地区"):
        area = Area(name_ja=name, name_en=f"Area {next(_n)}", position=0)
        db.session.add(area)
        db.session.commit()
        return area

    return factory


@pytest.fixture
def actions(db):
    """Registers the test action source; act(user_id, when, process_id=None, mobile=False) records one."""
    from participation.kpi.actions import register_action_source, unregister_action_source

    test_metadata.create_all(db.engine)
    register_action_source("test", lambda: select(
        test_actions.c.user_id.label("user_id"), test_actions.c.occurred_at.label("occurred_at"),
        test_actions.c.process_id.label("process_id"), test_actions.c.from_mobile.label("from_mobile")))

    def act(user_id, when, process_id=None, mobile=False):
        db.session.execute(test_actions.insert().values(user_id=user_id, occurred_at=when, process_id=process_id,
                                                        from_mobile=mobile))
        db.session.commit()

    yield act
    unregister_action_source("test")
    db.session.remove()
    test_metadata.drop_all(db.engine)


@pytest.fixture
def api_token(db):
    from participation.kpi import services

    _token, plain = services.create_token(None, "KPI system")
    db.session.commit()
    return plain


@pytest.fixture
def api_get(client, api_token):
    def get(path, token=None, **params):
        return client.get(path, query_string=params, headers={"Authorization": f"Bearer {token or api_token}"})

    return get


def by_key(records, code, scope_type="platform", scope_id=None, dimension_value=None):
    matches = [r for r in records if r["indicator_code"] == code and r["scope_type"] == scope_type
               and r["scope_id"] == scope_id and r["dimension_value"] == dimension_value]
    assert len(matches) == 1, (code, scope_type, scope_id, dimension_value, matches)
    return matches[0]


@pytest.fixture
def signed_in(app):
    """signed_in(user) -> a new test client signed in as that user (one client per person)."""
    from tests.conftest import TEST_PASSWORD, csrf_from

    def factory(user=None):
        client = app.test_client()
        if user is None:
            return client
        token = csrf_from(client.get("/account/sign-in"))
        response = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                         "csrf_token": token})
        assert response.status_code == 302
        return client

    return factory
