"""Settings from the environment with safe defaults; SQLite tuned for a small install."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from participation import config


def test_defaults_are_an_embedded_sqlite_install(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "SECRET_KEY", "RATELIMIT_STORAGE_URI", "SESSION_COOKIE_SECURE", "TIMEZONE",
                 "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    settings = config.load_config()
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'participation.sqlite3'}"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["TIMEZONE"] == "Asia/Tokyo" and settings["BABEL_DEFAULT_LOCALE"] == "ja"
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["MAIL_SERVER"] == ""
    # A random secret key is created once and kept, so sessions survive restarts.
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(settings["SECRET_KEY"]) >= 32
    assert config.load_config()["SECRET_KEY"] == settings["SECRET_KEY"]


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db.example/participation")
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("TIMEZONE", "UTC")
    monkeypatch.setenv("MUNICIPALITY_NAME", "さくら町")
    settings = config.load_config()
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/participation"
    assert settings["SECRET_KEY"] == "from-env"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["TIMEZONE"] == "UTC"
    assert settings["MUNICIPALITY_NAME"] == "さくら町"
    assert not (tmp_path / "secret_key").exists()


def test_municipality_name_from_config_in_the_header(app, client):
    app.config["MUNICIPALITY_NAME"] = "さくら町"
    assert "さくら町" in client.get("/").get_data(as_text=True)


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.parametrize("url, pinged", [("sqlite:///{tmp}/x.sqlite3", False),
                                         ("postgresql+psycopg://u:p@127.0.0.1:1/none", True)])
def test_pooled_connections_are_tested_only_where_they_can_drop(tmp_path, url, pinged):
    """A server connection can drop while pooled: tested as it leaves the pool. A SQLite file's cannot (and
    the test would cost a query per request)."""
    from participation import create_app
    from participation.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.format(tmp=tmp_path), "SECRET_KEY": "x"})
    with app.app_context():
        assert db.engine.pool._pre_ping is pinged  # no connection is made
