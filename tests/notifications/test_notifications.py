"""Notifications: created per event, emailed per preference, digests idempotent, centre, follows,
data export and account deletion."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from participation.accounts import services as account_services
from participation.common.time import utcnow
from participation.notifications import jobs, services
from participation.notifications.models import Follow, Notification, NotificationSetting
from tests.comments.conftest import TEST_TARGET
from tests.conftest import mail_body


def _token(client, path):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def _notify(db, users, kind="answer_published", title="駐輪場の提案"):
    rows = services.notify(users, kind, target_type=TEST_TARGET, target_id=1, title=title, body="本文",
                           url="/processes/x")
    db.session.commit()
    return rows


def test_notify_deduplicates_and_skips_blocked_and_deleted(db, make_user):
    active = make_user()
    blocked = make_user(blocked=True)
    gone = make_user()
    account_services.delete_account(gone, None, actor=make_user("admin"))
    db.session.commit()
    rows = _notify(db, [active, active, blocked, gone, None])
    assert [r.user_id for r in rows] == [active.id]


def test_immediate_is_emailed_in_the_recipients_language(db, make_user, outbox):
    ja, en = make_user(locale="ja"), make_user(locale="en")
    rows = _notify(db, [ja, en])
    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {ja.email, en.email}
    assert "An official answer was published" in mails[en.email]["Subject"]
    assert "駐輪場の提案" in mail_body(mails[ja.email]) and "/processes/x" in mail_body(mails[ja.email])
    assert all(r.emailed_at is not None for r in rows)


def test_daily_gets_nothing_until_the_digest_and_the_digest_is_idempotent(db, make_user, outbox):
    daily, none_user, weekly = make_user(), make_user(), make_user()
    for user, frequency in ((daily, "daily"), (none_user, "none"), (weekly, "weekly")):
        services.set_email_frequency(user, frequency)
    db.session.commit()
    _notify(db, [daily, none_user, weekly], title="一件目")
    _notify(db, [daily], kind="state_changed", title="二件目")
    assert outbox() == []
    counts = jobs.send_daily_digest(utcnow() + timedelta(minutes=1))
    assert counts == {"users": 1, "notifications": 2}
    mails = outbox()
    assert [m["To"] for m in mails] == [daily.email]
    assert "一件目" in mail_body(mails[0]) and "二件目" in mail_body(mails[0])
    assert jobs.send_daily_digest(utcnow() + timedelta(minutes=2)) == {"users": 0, "notifications": 0}
    assert len(outbox()) == 1
    assert jobs.send_weekly_digest(utcnow() + timedelta(minutes=3)) == {"users": 1, "notifications": 1}
    assert [m["To"] for m in outbox()][-1] == weekly.email
    # 'none' never gets mail, but still sees the notification in the centre
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == none_user.id)) == 1
    assert len(outbox()) == 2


def test_comment_notifies_proposal_author_parent_author_and_followers(app, db, make_user, open_process, post,
                                                                      test_target):
    """Generic over targets: a target type over Comment rows gives the 'proposal author' role."""
    from participation.comments import services as comment_services

    parent_author, replier, follower = make_user(), make_user(), make_user()
    root = post(parent_author, open_process, "最初の意見")
    services.follow(follower, TEST_TARGET, open_process.id)
    services.follow(replier, TEST_TARGET, open_process.id)  # the replier follows too, but is not told of own reply
    db.session.commit()
    comment_services.post_comment(replier, TEST_TARGET, open_process.id, "返信です", 1, parent_id=root.id)
    db.session.commit()
    kinds = dict(db.session.execute(select(Notification.user_id, Notification.kind)).all())
    assert kinds == {parent_author.id: "reply_to_my_comment", follower.id: "comment_on_followed"}


def test_comment_on_a_target_with_an_author_notifies_the_author(db, make_user, open_process, post):
    """'comment_on_my_proposal': a test target type whose rows have author_id (Comment rows stand in
    for proposals, which are built on another branch)."""
    from participation.comments import services as comment_services
    from participation.comments.models import Comment
    from participation.common.targets import TARGETS, TargetType, register_target

    register_target(TargetType(name="authored", model=Comment, url=lambda c: f"/c/{c.id}", title=lambda c: "題名",
                               comment_action="comments.vote", counter_column=None))
    try:
        owner = make_user()
        target = post(owner, open_process, "対象")
        comment_services.post_comment(make_user(), "authored", target.id, "感想", 0)
        comment_services.post_comment(owner, "authored", target.id, "自分で書いた", 0)  # not told of own comment
        db.session.commit()
        rows = db.session.scalars(select(Notification).where(Notification.user_id == owner.id)).all()
        assert [(r.kind, r.url.startswith(f"/c/{target.id}#comment-")) for r in rows] == [
            ("comment_on_my_proposal", True)]
    finally:
        TARGETS.pop("authored", None)


def test_follow_is_unique_and_unfollow_removes(db, make_user):
    user = make_user()
    services.follow(user, TEST_TARGET, 5)
    services.follow(user, TEST_TARGET, 5)
    db.session.commit()
    assert db.session.scalar(select(func.count(Follow.id))) == 1
    assert services.is_following(user, TEST_TARGET, 5)
    assert [u.id for u in services.followers(TEST_TARGET, 5)] == [user.id]
    assert services.unfollow(user, TEST_TARGET, 5) is True
    db.session.commit()
    assert services.followers(TEST_TARGET, 5) == []


def test_notify_followers_excludes_the_actor(db, make_user):
    a, b = make_user(), make_user()
    for user in (a, b):
        services.follow(user, TEST_TARGET, 7)
    rows = services.notify_followers("state_changed", TEST_TARGET, 7, title="t", body="b", url="/", exclude_user_id=a.id)
    db.session.commit()
    assert [r.user_id for r in rows] == [b.id]


def test_notification_centre_lists_unread_first_and_marks_read(client, db, login, make_user):
    user = make_user(locale="en")
    services.set_email_frequency(user, "none")
    first = _notify(db, [user], title="古い通知")[0]
    second = _notify(db, [user], title="新しい通知")[0]
    first.read_at = utcnow()
    db.session.commit()
    login(user)
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index("新しい通知") < html.index("古い通知")
    assert re.search(r'/notifications">Notifications <span class="badge badge-active">1<', html)
    token = _token(client, "/notifications")
    response = client.post(f"/notifications/{second.id}/open", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/processes/x")
    db.session.refresh(second)
    assert second.read_at is not None
    third = _notify(db, [user], title="三つ目")[0]
    client.post("/notifications/read-all", data={"csrf_token": token})
    db.session.refresh(third)
    assert third.read_at is not None
    assert 'class="badge badge-active">' not in client.get("/notifications").get_data(as_text=True).split("<main")[0]


def test_cannot_open_someone_elses_notification(client, db, login, make_user):
    other = _notify(db, [make_user()])[0]
    login(make_user())
    token = _token(client, "/notifications")
    assert client.post(f"/notifications/{other.id}/open", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/{other.id}/read", data={"csrf_token": token}).status_code == 404
    db.session.refresh(other)
    assert other.read_at is None


def test_guest_is_sent_to_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


def test_settings_page_saves_frequency(client, db, login, make_user):
    user = make_user()
    login(user)
    token = _token(client, "/notifications/settings")
    assert client.post("/notifications/settings", data={"email_frequency": "weekly", "csrf_token": token}).status_code == 302
    assert db.session.get(NotificationSetting, user.id).email_frequency == "weekly"
    assert client.post("/notifications/settings", data={"email_frequency": "hourly", "csrf_token": token}).status_code == 422
    db.session.expire_all()
    assert db.session.get(NotificationSetting, user.id).email_frequency == "weekly"


def test_follow_endpoint(client, db, login, make_user, open_process):
    user = make_user()
    login(user)
    token = _token(client, "/account/")
    url = f"/follow/{TEST_TARGET}/{open_process.id}"
    assert client.post(url, data={"action": "follow", "csrf_token": token}).status_code == 302
    assert services.is_following(user, TEST_TARGET, open_process.id)
    client.post(url, data={"action": "unfollow", "csrf_token": token})
    assert not services.is_following(user, TEST_TARGET, open_process.id)
    assert client.post(f"/follow/{TEST_TARGET}/999999", data={"action": "follow", "csrf_token": token}).status_code == 404
    assert client.post("/follow/nothing/1", data={"action": "follow", "csrf_token": token}).status_code == 404


def test_data_export_includes_comments_flags_notifications_and_follows(db, make_user, open_process, post):
    from participation.moderation import services as moderation_services

    user = make_user()
    post(user, open_process, "私の意見")
    other = post(make_user(), open_process, "他人の意見")
    moderation_services.flag_content(user, "comment", other.id, "spam", "宣伝です")
    services.follow(user, TEST_TARGET, open_process.id)
    _notify(db, [user], title="お知らせ")
    data = account_services.export_user_data(user)
    assert [c["body"] for c in data["comments"]] == ["私の意見"]
    assert [f["details"] for f in data["flags"]] == ["宣伝です"]
    assert [n["title"] for n in data["notifications"]] == ["お知らせ"]
    assert data["follows"] == [{"target_type": TEST_TARGET, "target_id": open_process.id,
                                "created_at": data["follows"][0]["created_at"]}]


def test_deletion_hook_removes_follows_settings_notifications_but_keeps_comments(db, make_user, open_process, post):
    from participation.comments.models import Comment

    user = make_user()
    comment = post(user, open_process, "残るコメント")
    services.follow(user, TEST_TARGET, open_process.id)
    services.set_email_frequency(user, "daily")
    _notify(db, [user])
    account_services.delete_account(user, None, actor=make_user("admin"))
    db.session.commit()
    for model in (Follow, Notification):
        assert db.session.scalar(select(func.count(model.id)).where(model.user_id == user.id)) == 0
    assert db.session.get(NotificationSetting, user.id) is None
    kept = db.session.get(Comment, comment.id)
    assert kept.body == "残るコメント" and kept.author.is_deleted


def test_mail_outside_a_request_is_rendered_in_each_recipients_locale(app, db, make_user, outbox, monkeypatch):
    """The catalogues are merged later, so check the locale in force while each mail is rendered."""
    from flask import has_request_context
    from flask_babel import get_locale

    seen = []
    real_render = services.render_template

    def spy(template, **context):
        seen.append((context["user"].email, str(get_locale())))
        return real_render(template, **context)

    monkeypatch.setattr(services, "render_template", spy)
    ja, en = make_user(locale="ja"), make_user(locale="en")
    daily_ja, daily_en = make_user(locale="ja"), make_user(locale="en")
    for user in (daily_ja, daily_en):
        services.set_email_frequency(user, "daily")
    assert not has_request_context()
    _notify(db, [ja, en, daily_ja, daily_en])
    jobs.send_daily_digest(utcnow() + timedelta(minutes=1))
    assert sorted(seen) == sorted([(ja.email, "ja"), (en.email, "en"), (daily_ja.email, "ja"),
                                   (daily_en.email, "en")])
    assert len(outbox()) == 4
