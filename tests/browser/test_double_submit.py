"""A resend from a phone on a slow network: the page's own form is sent once in the background (the first
send, whose answer never arrived), then the resident presses the button again. One draft, one comment."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.test_proposal_journey import comment, sign_in

pytestmark = pytest.mark.browser

TITLE = "公園のベンチを増やしてほしいです"
BODY = "散歩の途中で休める場所が少ないので、公園にベンチを増やしてください。"
COMMENT = "高齢の母もよく休憩しているので賛成です。"
SEND_IN_BACKGROUND = "button => fetch(button.form.action, {method: 'POST', body: new FormData(button.form)})" \
                     ".then(response => response.status)"


def test_a_resent_form_stores_one_draft_and_one_comment(page, make_user, make_process, db):
    from participation.comments.models import Comment
    from participation.common.time import utcnow
    from participation.proposals.models import Proposal

    process = make_process(title="公園の使い方")
    published = Proposal(process_id=process.id, author_id=make_user().id, title="公園に水飲み場をつくってほしい",
                         body="夏は暑いので、公園に水飲み場をつくってください。", status="published",
                         published_at=utcnow(), reference="P-2026-900001")
    db.session.add(published)
    db.session.commit()
    sign_in(page, make_user(display_name="高橋みどり"))

    page.goto(f"/processes/{process.slug}/proposals/new")
    page.get_by_label("タイトル").fill(TITLE)
    page.get_by_label("提案の内容").fill(BODY)
    save = page.get_by_role("button", name="下書きを保存して次へ")
    assert save.evaluate(SEND_IN_BACKGROUND) == 200
    save.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("似ている提案")
    db.session.expire_all()
    drafts = db.session.scalars(select(Proposal).where(Proposal.title == TITLE)).all()
    assert len(drafts) == 1 and drafts[0].submission_key
    assert page.url.endswith(f"/proposals/{drafts[0].id}/similar")

    page.goto(f"/proposals/{published.id}")
    page.get_by_label("コメント", exact=True).fill(COMMENT)
    send = page.get_by_role("button", name="コメントする")
    assert send.evaluate(SEND_IN_BACKGROUND) == 200
    send.click()
    expect(page.get_by_text("コメントを公開しました。")).to_be_visible()
    expect(comment(page, COMMENT)).to_have_count(1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Comment.id))) == 1
    assert db.session.get(Proposal, published.id).comments_count == 1
