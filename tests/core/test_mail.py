"""Mail: sent after commit only, to the outbox folder in development and tests, or through SMTP."""
from __future__ import annotations

import time

import pytest

from participation.notifications.mail import deliver, outbox_dir, queue_mail
from tests.accounts.conftest import page_text, sign_up_data  # noqa: F401 (fixture)
from tests.conftest import mail_body


def test_mail_is_written_only_after_commit(app, db, outbox):
    queue_mail("someone@example.jp", "件名", "本文です")
    assert outbox() == []
    db.session.commit()
    mails = outbox()
    assert len(mails) == 1
    assert mails[0]["To"] == "someone@example.jp" and mails[0]["Subject"] == "件名"
    assert mails[0]["From"] == app.config["MAIL_SENDER"]
    assert mails[0]["Message-ID"] and mails[0]["Date"]
    assert mail_body(mails[0]).strip() == "本文です"


def test_mail_is_dropped_on_rollback(db, outbox):
    queue_mail("someone@example.jp", "件名", "本文")
    db.session.rollback()
    db.session.commit()
    assert outbox() == []


def test_mail_is_dropped_on_rollback_after_sql(db, outbox, make_user):
    from participation.accounts.models import User

    user = make_user()
    db.session.get(User, user.id).display_name = "変更"
    db.session.flush()
    queue_mail("someone@example.jp", "件名", "本文")
    db.session.rollback()
    db.session.commit()
    assert outbox() == []


def test_a_refused_request_sends_no_mail_later(client, csrf, login, make_user, outbox, db):
    """A view that queues a mail and then fails must not leak the mail into the next commit."""
    user = make_user()
    login(user)
    response = client.post("/account/email", data={"email": "new@example.jp", "current_password": "wrong-password",
                                                   "csrf_token": csrf("/account/email")})
    assert response.status_code == 422
    client.post("/account/profile", data={"display_name": "新", "locale": "ja", "csrf_token": csrf("/account/profile")})
    assert outbox() == []


class FakeSMTP:
    sent: list = []
    calls: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        FakeSMTP.calls.append(("connect", host, port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        FakeSMTP.calls.append(("starttls",))

    def login(self, user, password):
        FakeSMTP.calls.append(("login", user, password))

    def send_message(self, msg):
        if FakeSMTP.fail:
            raise OSError("mail server down")
        FakeSMTP.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    import smtplib

    FakeSMTP.sent, FakeSMTP.calls, FakeSMTP.fail = [], [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.jp", MAIL_PORT=2525, MAIL_USE_TLS=True, MAIL_USERNAME="user",
                      MAIL_PASSWORD="pw")
    return FakeSMTP


def test_smtp_is_used_when_configured(app, db, smtp, outbox):
    queue_mail("someone@example.jp", "Subject", "Body")
    db.session.commit()
    assert smtp.calls == [("connect", "smtp.example.jp", 2525), ("starttls",), ("login", "user", "pw")]
    assert [m["To"] for m in smtp.sent] == ["someone@example.jp"]
    assert outbox() == []


def test_mail_server_outage_does_not_break_the_request(client, sign_up_data, smtp, db):
    from participation.accounts.models import User

    smtp.fail = True
    response = client.post("/account/sign-up", data=sign_up_data())
    assert response.status_code == 302
    assert db.session.query(User).count() == 1


def test_deliver_writes_eml_files(app):
    from participation.notifications.mail import build_message

    with app.app_context():
        deliver(app, build_message("a@example.jp", "S", "B"))
    assert len(list(outbox_dir().glob("*.eml"))) == 1


def test_outbox_page_lists_and_shows_mails(client, login, make_user, db):
    queue_mail("resident@example.jp", "確認のお願い", "リンクはこちら https://example.jp/x")
    db.session.commit()
    login(make_user("staff"))
    listing = page_text(client.get("/staff/outbox"))
    assert "確認のお願い" in listing and "resident@example.jp" in listing
    name = sorted(p.name for p in outbox_dir().glob("*.eml"))[0]
    message = client.get(f"/staff/outbox/{name}")
    assert message.status_code == 200 and "リンクはこちら" in page_text(message)
    for bad in ("..%2f..%2fsecret.eml", "nothing.eml", "x.txt", "..eml"):
        assert client.get(f"/staff/outbox/{bad}").status_code == 404, bad


def test_a_savepoint_rollback_keeps_mail_queued_before_it(db, outbox, make_user):
    from sqlalchemy.exc import IntegrityError

    from participation.accounts.models import Area

    make_user()
    db.session.add(Area(name_ja="中央", name_en="Central"))
    db.session.flush()
    queue_mail("someone@example.jp", "件名", "本文")
    try:
        with db.session.begin_nested():
            db.session.add(Area(name_ja="中央", name_en="Again"))
            db.session.flush()
    except IntegrityError:
        pass
    db.session.commit()
    assert [m["To"] for m in outbox()] == ["someone@example.jp"]


class SlowSMTP(FakeSMTP):
    """A mail server that takes a while to answer."""

    delay = 0.6

    def __init__(self, host, port, timeout=None):
        time.sleep(SlowSMTP.delay)
        super().__init__(host, port, timeout)


def test_a_reset_request_takes_as_long_whether_or_not_the_address_has_an_account(
        app, client, csrf, make_user, smtp, monkeypatch):
    """Mail goes out after the request, so the reset page's timing tells nothing about which addresses
    have accounts; the mail still arrives."""
    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", SlowSMTP)
    user = make_user(email="exists@example.jp")
    timings = {}
    for email in ("exists@example.jp", "nobody-here@example.jp"):
        token = csrf("/account/forgot-password")
        started = time.perf_counter()
        response = client.post("/account/forgot-password", data={"email": email, "csrf_token": token})
        timings[email] = time.perf_counter() - started
        assert response.status_code == 302
    assert timings["exists@example.jp"] < SlowSMTP.delay / 2, timings
    deadline = time.monotonic() + 10
    while not FakeSMTP.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["To"] for m in FakeSMTP.sent] == [user.email]
