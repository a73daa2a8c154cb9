"""`flask users create` and `flask seed demo`."""
from __future__ import annotations

from sqlalchemy import func, select

from participation.accounts.models import User
from participation.moderation.models import AuditLog


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_users_create_staff(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "Clerk@City.example.jp",
                                                "--name", "窓口 職員", "--role", "staff",
                                                "--password", "a-long-password-1"])
    assert result.exit_code == 0, result.output
    assert "Created staff" in result.output
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "clerk@city.example.jp"))
    assert user.role == "staff" and user.confirmed_at is not None and user.display_name == "窓口 職員"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.create"))
    assert audit.target_id == str(user.id) and audit.actor_id is None


def test_users_create_refuses_bad_input(app, db, make_user):
    make_user(email="taken@example.jp")
    runner = app.test_cli_runner()
    for args in (["--email", "taken@example.jp", "--password", "a-long-password-1"],
                 ["--email", "new@example.jp", "--password", "short"],
                 ["--email", "new@example.jp", "--password", "a-long-password-1", "--role", "root"],
                 ["--email", "not-an-email", "--password", "a-long-password-1"],
                 ["--email", "new@example.jp", "--password", "p" * 129],
                 ["--email", "new@example.jp", "--password", "a-long-password-1", "--name", "長" * 51],
                 ["--email", "new@example.jp", "--password", "a-long-password-1", "--name", "   "]):
        result = runner.invoke(args=["users", "create", "--name", "名前", *args])
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
    assert _count(db, User) == 1


def test_users_create_generates_a_password(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "gen@example.jp", "--name", "管理者",
                                                "--role", "admin", "--password", "-"])
    assert result.exit_code == 0, result.output
    assert "Generated password: " in result.output
    password = result.output.split("Generated password: ", 1)[1].split()[0]
    from participation.accounts import services

    db.session.expire_all()
    assert services.authenticate("gen@example.jp", password) is not None


def test_seed_demo_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    assert "admin@midori.example.jp" in first.output
    users = _count(db, User)
    assert users >= 3
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"resident", "staff", "admin"}

    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "Demo data already present." in second.output
    assert _count(db, User) == users


def test_demo_logins_work(app, db, client, csrf):
    from participation.demo import DEMO_LOGINS, DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["seed", "demo"])
    for _role, email in DEMO_LOGINS:
        response = client.post("/account/sign-in", data={"email": email, "password": DEMO_PASSWORD,
                                                         "csrf_token": csrf()})
        assert response.status_code == 302, email
        client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    assert client.get("/").status_code == 200


def test_users_create_prompts_for_the_password(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "prompt@example.jp", "--name", "職員"],
                                          input="typed-password-1\ntyped-password-1\n")
    assert result.exit_code == 0, result.output
    assert "typed-password-1" not in result.output
    from participation.accounts import services

    db.session.expire_all()
    assert services.authenticate("prompt@example.jp", "typed-password-1") is not None
