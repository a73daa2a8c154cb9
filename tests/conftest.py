"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL), a fresh app
per test, a client with CSRF on, and factories that return callables."""
from __future__ import annotations

import itertools
from contextlib import contextmanager
import os
import re
import tempfile
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from participation import create_app
from participation.extensions import db as _db

TEST_PASSWORD = "correct-horse-battery-42"
_counter = itertools.count(1)


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="participation-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def database_url(tmp_root):
    """Create the schema once per session through the migrations (so they are exercised too)."""
    url = _database_url(tmp_root)
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(_config(tmp_root, url))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()
    return url


def _config(tmp_root: Path, url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_SERVER": "",
        "MAIL_OUTBOX_DIR": str(tmp_root / "outbox"),
        "UPLOAD_DIR": str(tmp_root / "uploads"),
        "OPEN_DATA_DIR": str(tmp_root / "open-data"),
        "SERVER_NAME": None,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SCHEDULER_IN_PROCESS": False,
    }


class RequestIsolatedClient(FlaskClient):
    """The `app` fixture keeps one app context open for the whole test, and Flask reuses it for each
    request, so `g` (Flask-Login's user, Flask-Babel's locale, the CSRF token) would leak from one request
    into the next, even across clients. A real server starts every request with an empty `g`."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_root):
    outbox = tmp_root / "outbox"
    app = create_app(_config(tmp_root, database_url))
    app.test_client_class = RequestIsolatedClient
    from participation.extensions import limiter

    with app.app_context():
        limiter.reset()
        yield app
        _db.session.remove()
        _truncate_all()
    for mail in outbox.glob("*.eml"):
        mail.unlink()


def _truncate_all() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        # The one row the migrations seed (the guest page cache's content generation).
        conn.execute(_db.metadata.tables["content_generation"].insert().values(id=1, value=0))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    from participation.accounts import services
    from participation.accounts.models import User
    from participation.common.time import utcnow

    def factory(role: str = "resident", *, email: str | None = None, display_name: str | None = None,
                password: str = TEST_PASSWORD, confirmed: bool = True, blocked: bool = False,
                locale: str = "ja") -> User:
        n = next(_counter)
        user = services.create_user(email=email or f"user{n}@example.jp", display_name=display_name or f"利用者{n}",
                                    password=password, role=role, locale=locale, confirmed=confirmed)
        if blocked:
            user.blocked_at = utcnow()
            user.blocked_reason = "test"
        _db.session.commit()
        return user

    return factory


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def signed_in(app, user):
    """A client of its own, signed in as `user` (for tests in which several people act at once)."""
    client = app.test_client()
    response = client.post("/account/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                     "csrf_token": csrf_from(client.get("/account/sign-in"))})
    assert response.status_code == 302
    return client


@contextmanager
def sql_statements():
    """The SQL statements sent to the database inside the block, as a list filled while it runs."""
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", keep)


@pytest.fixture
def csrf(client):
    """csrf(path) -> a valid token for this client's session, read from the page as a browser would."""

    def token(path: str = "/account/sign-in") -> str:
        return csrf_from(client.get(path))

    return token


@pytest.fixture
def login(client, csrf):
    def do_login(user, password: str = TEST_PASSWORD):
        response = client.post("/account/sign-in", data={"email": user.email, "password": password,
                                                         "csrf_token": csrf("/account/sign-in")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture
def outbox(app):
    """Mails written to the test outbox, parsed, oldest first."""
    from email import policy
    from email.parser import BytesParser
    from participation.notifications.mail import outbox_dir

    def read():
        messages = []
        for path in sorted(outbox_dir().glob("*.eml")):
            with path.open("rb") as handle:
                messages.append(BytesParser(policy=policy.default).parse(handle))
        return messages

    return read


def mail_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in a mail that starts with path_prefix."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", mail_body(message))
    assert match, f"no {path_prefix} link in mail: {mail_body(message)}"
    return match.group(1)


ALL_FEATURES = ("proposals.create", "proposals.support", "proposals.endorse", "proposals.comment",
                "proposals.answers_visible", "surveys.answer", "meetings.register", "reports.create")


@pytest.fixture
def make_process(app, make_user):
    """make_process(phases=[{"features": [...], "start": date, "end": date}, ...], published=True, **settings).

    Without `phases`, one phase covering today with every feature on. Dates default around today."""
    from datetime import timedelta

    from participation.common.time import local_today
    from participation.processes import services
    from participation.processes.models import PHASE_FEATURES

    def factory(*, phases: list[dict] | None = None, published: bool = True, slug: str | None = None,
                components=("proposals", "surveys", "meetings", "reports"), actor=None, **settings):
        today = local_today()
        n = next(_counter)
        actor = actor or make_user("admin")
        phases = phases if phases is not None else [{"features": list(PHASE_FEATURES)}]
        starts = [p.get("start", today - timedelta(days=10)) for p in phases] or [today - timedelta(days=10)]
        ends = [p.get("end", today + timedelta(days=10)) for p in phases] or [today + timedelta(days=10)]
        data = {"title": f"テストのプロセス{n}", "slug": slug or f"process-{n}", "subtitle": "", "description": "",
                "area_id": None, "group_id": None, "promoted": False,
                "start_date": settings.pop("start_date", min(starts)), "end_date": settings.pop("end_date", max(ends)),
                "components": list(components), "support_limit": 0, "support_threshold": None,
                "proposal_body_max": 3000, "edit_window_minutes": 60, "hide_after_flags": 3, "proposal_limit": 0}
        data.update(settings)
        process = services.create_process(actor, data)
        for index, spec in enumerate(phases):
            services.add_phase(actor, process, {
                "title": spec.get("title", f"フェーズ{index + 1}"), "description": "",
                "start_date": spec.get("start", today - timedelta(days=10)),
                "end_date": spec.get("end", today + timedelta(days=10)),
                "features": {f: True for f in spec.get("features", [])}})
        if published:
            services.publish_process(actor, process)
        services.refresh_active_phase(process, today)
        _db.session.commit()
        return process

    return factory
