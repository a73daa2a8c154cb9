"""At a 390px-wide phone: no horizontal scrolling, the skip link comes first, every form field has a label.

Set BROWSER_SCREENSHOT_DIR to keep full-page screenshots of the pages checked here."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LONG_LINK = "https://www.city.midori.example.jp/kurashi/kotsu/bus/network-plan-2026/proposal-guidelines-and-timeline.html"

# Form controls a person types into or chooses with, and their accessible name from <label>, aria-label or
# aria-labelledby (placeholder and title do not count: they vanish or are not read reliably).
UNLABELLED_FIELDS_JS = """() => {
  const fields = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea');
  const nameOf = (el) => {
    const byLabel = Array.from(el.labels || []).map(l => l.textContent.trim()).join(' ');
    const byAria = (el.getAttribute('aria-label') || '').trim();
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
    return byLabel || byAria || byIds;
  };
  return Array.from(fields).filter(el => !nameOf(el)).map(el => el.outerHTML.slice(0, 120));
}"""


@pytest.fixture
def phone_pages(make_process):
    from participation.common.time import local_today

    today = local_today()
    process = make_process(
        title="市民の声でつくる新しいバス路線網と地域交通の将来像についての計画づくり",
        subtitle="路線案への提案・賛同・コメントを受け付けています",
        description=f"詳しい資料は次のページをご覧ください。\n\n{LONG_LINK}\n\n- 路線案の説明\n- 提案の募集",
        phases=[{"title": "提案の募集", "start": today - timedelta(days=5), "end": today + timedelta(days=20),
                 "features": ["proposals.create", "proposals.support", "proposals.comment"]},
                {"title": "市の回答の公表", "start": today + timedelta(days=21), "end": today + timedelta(days=40),
                 "features": ["proposals.answers_visible"]}])
    return {"home": "/", "sign-up": "/account/sign-up", "sign-in": "/account/sign-in",
            "check-mail": "/account/check-your-mail", "terms": "/terms",
            "processes": "/processes", "process": f"/processes/{process.slug}"}


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("BROWSER_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"phone-{name}.png"), full_page=True)


def test_pages_fit_a_390px_screen_without_horizontal_scroll(page, phone_pages):
    for name, path in phone_pages.items():
        page.goto(path)
        _screenshot(page, name)
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, f"{name} ({path}) scrolls sideways: {width}px wide"
        # A mobile browser widens the layout viewport (and zooms out) when content overflows
        assert page.evaluate("() => window.innerWidth") == 390, f"{name} ({path}) zooms out"


def test_pages_fit_in_english_too(page, phone_pages):
    page.goto("/")
    page.get_by_role("button", name="English").click()
    for name, path in phone_pages.items():
        page.goto(path)
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, f"{name} ({path}) in English scrolls sideways: {width}px wide"


def test_skip_link_is_the_first_stop_and_jumps_to_the_content(page, phone_pages):
    for name, path in phone_pages.items():
        page.goto(path)
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="本文へ移動")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 390, \
            f"{name}: the focused skip link is not on screen: {box}"
        page.keyboard.press("Enter")
        expect(page.get_by_role("main")).to_be_focused()


def test_every_form_field_has_a_label(page, phone_pages, make_user):
    for name, path in phone_pages.items():
        page.goto(path)
        assert page.evaluate(UNLABELLED_FIELDS_JS) == [], f"{name} ({path}) has fields without a label"
    # The fields a person fills are found by their visible label.
    page.goto(phone_pages["sign-up"])
    for label in ("メールアドレス", "表示名", "パスワード（確認用）", "利用規約に同意します", "プライバシーポリシーに同意します"):
        expect(page.get_by_label(label)).to_have_count(1)
    page.goto(phone_pages["processes"])
    expect(page.get_by_label("時期")).to_have_count(1)
    expect(page.get_by_label("地域")).to_have_count(1)


def test_the_full_menu_of_a_signed_in_administrator_fits(page, phone_pages, make_user):
    from tests.conftest import TEST_PASSWORD

    admin = make_user("admin")
    page.goto(phone_pages["sign-in"])
    page.get_by_label("メールアドレス").fill(admin.email)
    page.get_by_label("パスワード", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    menu = page.get_by_role("navigation", name="メインメニュー")
    for name in ("ホーム", "参加プロセス", "職員", "管理", "マイアカウント"):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    expect(menu.get_by_role("button", name="ログアウト")).to_be_visible()
    for name in ("home", "process"):
        page.goto(phone_pages[name])
        _screenshot(page, f"{name}-admin")
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, f"{name} with the administrator's menu scrolls sideways: {width}px wide"


def test_touch_targets_in_the_header_are_big_enough(page, phone_pages):
    page.goto(phone_pages["home"])
    menu = page.get_by_role("navigation", name="メインメニュー")
    targets = [menu.get_by_role("link", name=name) for name in ("ホーム", "参加プロセス", "ログイン", "新規登録")]
    targets.append(page.get_by_role("button", name="English"))
    for target in targets:
        box = target.bounding_box()
        assert box and box["height"] >= 44, f"{target} is only {box and box['height']}px tall"
