"""/healthz: 200 JSON when the database answers, 503 JSON when it does not."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_is_unreachable(client, db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert "connection refused" not in response.get_data(as_text=True)


def test_healthz_503_with_a_real_unreachable_database(app, tmp_path):
    """A database URL that cannot be opened (a directory that does not exist) gives 503, not 500."""
    from participation import create_app

    broken = create_app({**{k: app.config[k] for k in ("SECRET_KEY", "MAIL_OUTBOX_DIR", "UPLOAD_DIR")},
                         "TESTING": True, "RATELIMIT_STORAGE_URI": "memory://",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    with broken.app_context():
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["status"] == "unavailable"


def test_healthz_rejects_other_methods(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.is_json
