"""Issue 4, acceptance 1, at a phone viewport (390x844) in two browsers: resident A signs in, writes a
proposal, is shown the similar proposal already in the process, previews and publishes it (and follows it);
resident B supports it, endorses it and comments; A replies; B replies to A's reply. Each sees what the
other did: A's notification centre and badge list the comment on the proposal and the reply to A's
comment, B's list the reply to B's comment."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

TITLE = "駅前に屋根つきの駐輪場を増やしてほしい"
BODY = "朝の通勤時間帯は駅前の駐輪場がいつも満車です。屋根つきの駐輪場を増やしてください。"
SIMILAR = "駅前の駐輪場を増やしてほしい"
COMMENT = "私も毎朝自転車を止める場所に困っています。"
REPLY = "ありがとうございます。雨の日は特に大変ですよね。"
REPLY_BACK = "北口の空き地が使えるかもしれません。"


@pytest.fixture
def process_with_a_similar_proposal(make_process, make_user, db):
    from participation.common.time import utcnow
    from participation.proposals.models import Proposal

    process = make_process(title="バス路線網の見直し")
    proposal = Proposal(process_id=process.id, author_id=make_user(display_name="佐藤太郎").id, title=SIMILAR,
                        body="駅前の駐輪場がいつも満車なので、駐輪場を増やしてください。", status="published",
                        published_at=utcnow())
    db.session.add(proposal)
    db.session.flush()
    proposal.reference = f"P-2026-{proposal.id:06d}"
    db.session.commit()
    return process


def sign_in(page, user):
    page.goto("/account/sign-in")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(menu(page).get_by_role("button", name="ログアウト")).to_be_visible()


def menu(page):
    return page.get_by_role("navigation", name="メインメニュー")


def comment(page, text):
    """The comment whose own text is `text` (an article holds one comment; replies are outside it)."""
    return page.get_by_role("article").filter(has_text=text)


def reply_to(page, text, answer):
    target = comment(page, text)
    target.get_by_role("link", name="返信", exact=True).click()  # opens the one reply form, under this comment
    target.get_by_label("返信", exact=True).fill(answer)
    target.get_by_role("button", name="返信する").click()
    expect(page.get_by_text("コメントを公開しました。")).to_be_visible()
    expect(comment(page, answer)).to_be_visible()


def test_proposal_journey_two_residents(browser, live_server, page, make_user, process_with_a_similar_proposal):
    process = process_with_a_similar_proposal
    author = make_user(display_name="山田花子")
    other = make_user(display_name="鈴木ゆき")

    # --- A writes, sees the similar proposal, previews and publishes -----------------------------
    sign_in(page, author)
    page.goto(f"/processes/{process.slug}/proposals")
    page.get_by_role("link", name="提案する").first.click()
    page.get_by_label("タイトル").fill(TITLE)
    page.get_by_label("提案の内容").fill(BODY)
    page.get_by_role("button", name="下書きを保存して次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("似ている提案")
    expect(page.get_by_role("link", name=SIMILAR)).to_be_visible()
    page.get_by_role("link", name="自分の提案を続ける").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    page.get_by_role("button", name="提案を公開する").click()
    expect(page.get_by_text("提案を公開しました。ありがとうございます。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    proposal_url = page.url
    # the author follows their own proposal from the start, and cannot report it
    expect(page.get_by_role("button", name="フォロー中")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("link", name=re.compile("Report|通報"))).to_have_count(0)
    expect(menu(page).get_by_role("link", name="お知らせ", exact=True)).to_be_visible()  # no badge yet

    # --- B supports, endorses and comments, in another browser ------------------------------------
    context = browser.new_context(base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo", **PHONE)
    context.set_default_timeout(10_000)
    other_page = context.new_page()
    try:
        sign_in(other_page, other)
        other_page.goto(proposal_url)
        other_page.get_by_role("button", name="賛成する", exact=True).click()
        expect(other_page.get_by_text("賛成しました。ありがとうございます。")).to_be_visible()
        expect(other_page.get_by_text("賛成 1件")).to_be_visible()
        expect(other_page.get_by_text("この提案に賛成しています")).to_be_visible()
        other_page.get_by_role("button", name="この提案に賛同する").click()
        expect(other_page.get_by_text("この提案に賛同しました。")).to_be_visible()
        expect(other_page.get_by_role("region", name="賛同").get_by_role("listitem")).to_have_text(["鈴木ゆき"])
        expect(other_page.get_by_role("link", name=re.compile("Report|通報"))).to_have_count(1)
        other_page.get_by_label("コメント", exact=True).fill(COMMENT)
        other_page.get_by_role("radio", name="賛成", exact=True).first.check()
        other_page.get_by_role("button", name="コメントする").click()
        expect(other_page.get_by_text("コメントを公開しました。")).to_be_visible()
        expect(comment(other_page, COMMENT)).to_contain_text("鈴木ゆき")

        # --- A sees the comment, the support and the endorsement, and replies -------------------
        page.goto(proposal_url)
        expect(menu(page).get_by_role("link", name=re.compile(r"^お知らせ 1\s*未読$"))).to_be_visible()
        expect(page.get_by_text("賛成 1件")).to_be_visible()
        expect(page.get_by_role("region", name="賛同").get_by_role("listitem")).to_have_text(["鈴木ゆき"])
        expect(page.get_by_role("region", name=re.compile("^コメント"))).to_contain_text(COMMENT)
        reply_to(page, COMMENT, REPLY)
        # A votes B's comment up: the button submits the thread's one small form to its own URL
        comment(page, COMMENT).get_by_role("button", name="よい", exact=True).click()
        expect(comment(page, COMMENT)).to_contain_text("よい 1・よくない 0")
        expect(comment(page, COMMENT).get_by_role("button", name="「よい」を取り消す")).to_have_attribute(
            "aria-pressed", "true")

        # --- B is told of the reply, opens it and replies back ------------------------------------
        other_page.goto("/")
        menu(other_page).get_by_role("link", name=re.compile(r"^お知らせ 1\s*未読$")).click()
        item = other_page.get_by_role("listitem").filter(has_text="あなたのコメントに返信がありました")
        expect(item).to_contain_text(TITLE)
        item.get_by_role("button", name="開く").click()
        expect(other_page).to_have_url(re.compile(re.escape(proposal_url) + r"#comment-\d+$"))
        expect(comment(other_page, REPLY)).to_contain_text("山田花子")
        reply_to(other_page, REPLY, REPLY_BACK)
        expect(menu(other_page).get_by_role("link", name="お知らせ", exact=True)).to_be_visible()  # read
    finally:
        context.close()

    # --- A sees both notifications and the badge ----------------------------------------------------
    page.goto(proposal_url)
    expect(comment(page, REPLY_BACK)).to_contain_text("鈴木ゆき")
    badge = menu(page).get_by_role("link", name=re.compile(r"^お知らせ 2\s*未読$"))
    expect(badge).to_be_visible()
    badge.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お知らせ")
    notifications = page.get_by_role("listitem").filter(has_text=TITLE)
    expect(notifications).to_have_count(2)
    expect(notifications.nth(0)).to_contain_text("あなたのコメントに返信がありました")
    expect(notifications.nth(0)).to_contain_text(REPLY_BACK)
    expect(notifications.nth(1)).to_contain_text("あなたの提案に新しいコメントがあります")
    expect(notifications.nth(1)).to_contain_text(COMMENT)
    page.get_by_role("button", name="すべて既読にする").click()
    expect(menu(page).get_by_role("link", name="お知らせ", exact=True)).to_be_visible()
