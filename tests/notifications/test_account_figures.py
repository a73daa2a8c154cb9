"""The header's unread count is read with the signed-in person's account (accounts.queries.ACCOUNT_FIGURES):
no query of its own, fresh on every request, and read again when the request itself changes it."""
import re

from flask import render_template
from flask_login import current_user

from participation.extensions import db
from participation.notifications import services
from tests.conftest import signed_in, sql_statements

UNREAD_RE = re.compile(r"お知らせ <span[^>]*>(\d+)<")
OWN_COUNT_RE = re.compile(r"SELECT count\(notifications\.id\) AS count_1\s+FROM notifications")  # UNREAD_COUNT


def _unread(html: str) -> int:
    found = UNREAD_RE.search(html)
    return int(found.group(1)) if found else 0


def _notify(user, title="新しいコメント"):
    services.notify([user], "comment_on_my_proposal", target_type=None, target_id=None, title=title, body="",
                    url="/")
    db.session.commit()


def test_the_unread_count_comes_with_the_account_and_is_fresh_on_every_page(app, make_user):
    resident = make_user()
    client = signed_in(app, resident)
    _notify(resident)
    _notify(resident, "回答が公開されました")
    with sql_statements() as statements:
        html = client.get("/terms").get_data(as_text=True)
    assert _unread(html) == 2
    assert not any(OWN_COUNT_RE.match(sql) for sql in statements)  # no query of its own...
    assert sum("FROM users" in sql and "notifications" in sql for sql in statements) == 1  # ...read with the account
    _notify(resident, "もう一件")
    assert _unread(client.get("/privacy").get_data(as_text=True)) == 3
    other = make_user()
    assert _unread(signed_in(app, other).get("/terms").get_data(as_text=True)) == 0  # each person's own


def test_a_request_that_reads_its_notifications_shows_the_count_after_it(app, make_user):
    @app.route("/test-read-all")
    def read_all_then_render():
        services.mark_all_read(current_user)
        db.session.commit()
        return render_template("core/terms.html", version="1")

    @app.route("/test-notified-then-render")
    def notified_then_render():
        services.notify([current_user], "comment_on_my_proposal", target_type=None, target_id=None, title="t",
                        body="", url="/")
        db.session.commit()
        return render_template("core/terms.html", version="1")

    resident = make_user()
    client = signed_in(app, resident)
    _notify(resident)
    assert _unread(client.get("/terms").get_data(as_text=True)) == 1
    assert _unread(client.get("/test-read-all").get_data(as_text=True)) == 0  # not the 1 read with the account
    assert _unread(client.get("/test-notified-then-render").get_data(as_text=True)) == 1
