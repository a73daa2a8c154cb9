"""`flask notifications digest` runs the digest job."""
from __future__ import annotations

from participation.notifications import services


def test_digest_command_sends_pending_daily_digests(app, db, make_user, outbox):
    user = make_user()
    services.set_email_frequency(user, "daily")
    services.notify([user], "state_changed", target_type="x", target_id=1, title="状態", body="", url="/")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "digest", "daily"])
    assert result.exit_code == 0 and "1 users, 1 notifications" in result.output
    assert [m["To"] for m in outbox()] == [user.email]
