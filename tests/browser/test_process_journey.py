"""Issue 3, acceptance 4: at a phone viewport, a resident signs in, opens the process list, opens a process,
and sees the active phase highlighted and what they can do now."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def bus_process(make_process):
    from participation.common.time import local_today

    today = local_today()
    return make_process(title="バス路線網の見直し", subtitle="新しい路線案にご意見をお寄せください", phases=[
        {"title": "計画案の説明", "start": today - timedelta(days=30), "end": today - timedelta(days=11),
         "features": ["proposals.comment"]},
        {"title": "提案の募集", "start": today - timedelta(days=10), "end": today + timedelta(days=10),
         "features": ["proposals.create", "proposals.support"]},
        {"title": "検討結果の公表", "start": today + timedelta(days=11), "end": today + timedelta(days=30),
         "features": ["proposals.answers_visible"]},
    ])


def sign_in(page, user):
    page.goto("/")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="ログイン").click()
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("navigation", name="メインメニュー").get_by_role("button", name="ログアウト")).to_be_visible()


def test_resident_finds_the_active_phase_and_what_they_can_do(page, make_user, bus_process):
    sign_in(page, make_user("resident"))

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="参加プロセス").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("参加プロセス")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="バス路線網の見直し"))
    expect(card).to_contain_text("実施中")
    expect(card).to_contain_text("提案の募集")
    card.get_by_role("link", name="バス路線網の見直し").click()

    expect(page).to_have_url(re.compile(r"/processes/" + re.escape(bus_process.slug) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("バス路線網の見直し")

    # What you can do now: the active phase and exactly the actions it allows
    now = page.get_by_role("region", name="今できること")
    expect(now).to_contain_text("現在のフェーズ: 提案の募集")
    expect(now.get_by_role("listitem")).to_have_text(["提案を投稿する", "提案に賛成する"])
    expect(now.get_by_role("link", name="ログインして参加する")).to_have_count(0)
    expect(now).not_to_contain_text("参加できません")

    # The timeline marks the active phase, for the eye and for screen readers
    timeline = page.get_by_role("region", name="フェーズ").get_by_role("listitem")
    expect(timeline).to_have_count(3)
    current = timeline.filter(has=page.get_by_role("heading", name=re.compile("提案の募集")))
    expect(current).to_have_attribute("aria-current", "step")
    expect(current.get_by_text("実施中", exact=True)).to_be_visible()
    for title in ("計画案の説明", "検討結果の公表"):
        other = timeline.filter(has=page.get_by_role("heading", name=title))
        expect(other).not_to_have_attribute("aria-current", "step")
        expect(other.get_by_text("実施中", exact=True)).to_have_count(0)
        assert _background(other) != _background(current), "the active phase is not highlighted"


def test_guest_is_asked_to_sign_in_and_comes_back(page, make_user, bus_process):
    resident = make_user("resident")
    page.goto(f"/processes/{bus_process.slug}")
    now = page.get_by_role("region", name="今できること")
    expect(now.get_by_role("listitem")).to_have_text(["提案を投稿する", "提案に賛成する"])
    now.get_by_role("link", name="ログインして参加する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.get_by_label("メールアドレス").fill(resident.email)
    page.get_by_label("パスワード", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/processes/" + re.escape(bus_process.slug) + "$"))
    expect(page.get_by_role("region", name="今できること").get_by_role("link", name="ログインして参加する")).to_have_count(0)


def _background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")
