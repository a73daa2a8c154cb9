"""Defects found walking the site as a resident on a phone (390x844) and as staff at a desk (1280x800):
text a resident reads is at least 16px, what they tap is at least 44px tall, numbered steps do not run into
each other, form fields are not announced as invalid before anything went wrong, the first page load asks
for nothing that is missing, and staff tables and filters keep their labels readable."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_map_pin import blank_tiles
from tests.browser.test_proposal_journey import sign_in

pytestmark = pytest.mark.browser

MIN_TAP = 44
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def height(locator) -> float:
    box = locator.bounding_box()
    assert box, f"{locator} is not on screen"
    return box["height"]


def font_px(locator) -> float:
    return locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")


def announced_invalid(page, role: str, name: str) -> bool:
    """What a screen reader is told: Chromium's accessibility tree, not the markup."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    matches = [n for n in nodes if n.get("role", {}).get("value") == role
               and n.get("name", {}).get("value") == name]
    assert matches, f"no {role} named {name!r} in the accessibility tree"
    properties = {p["name"]: p["value"].get("value") for p in matches[0].get("properties", [])}
    return properties.get("invalid", "false") not in ("false", False)


def choice_tap_height(field) -> float:
    """A checkbox or radio is tapped on itself or on its label: the height of the two together."""
    return field.evaluate("""el => {
        const boxes = [el, ...el.labels].map(e => e.getBoundingClientRect());
        return Math.max(...boxes.map(b => b.bottom)) - Math.min(...boxes.map(b => b.top));
    }""")


def test_fields_are_announced_invalid_only_after_an_error(page):
    page.goto("/account/sign-up")
    assert not announced_invalid(page, "textbox", "メールアドレス")
    assert not announced_invalid(page, "textbox", "表示名")
    page.get_by_role("button", name="アカウントを作成").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert announced_invalid(page, "textbox", "メールアドレス")
    expect(page.get_by_label("メールアドレス")).to_have_accessible_description("この項目は必須です。")


def test_the_site_has_an_icon_so_the_first_page_asks_for_nothing_missing(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/")
    icon = page.locator("link[rel~=icon]")
    expect(icon).to_have_count(1)
    response = page.request.get(icon.evaluate("el => el.href"))
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
    assert errors == [], errors


def test_text_a_resident_reads_is_at_least_16px(page, make_process):
    process = make_process(title="公園の安全")
    page.goto(f"/processes/{process.slug}")
    expect(page.get_by_text("実施中").first).to_be_visible()
    assert font_px(page.get_by_text("実施中").first) >= 16, "the badge of the current phase"
    assert font_px(page.get_by_role("button", name="English")) >= 16, "the language switch"
    page.goto("/account/sign-up")
    hint = page.get_by_text("投稿とともに表示されます。")
    expect(hint).to_be_visible()
    assert font_px(hint) >= 16, "the hint under a field"


def test_header_and_footer_links_are_44px_tall(page):
    page.goto("/")
    brand = page.get_by_role("banner").get_by_role("link").first
    assert height(brand) >= MIN_TAP, "the municipality name that leads home"
    footer = page.get_by_role("contentinfo")
    for name in ("利用規約", "プライバシーポリシー"):
        assert height(footer.get_by_role("link", name=name)) >= MIN_TAP, name


def test_each_choice_in_a_form_is_44px_tall_to_tap(page):
    page.goto("/account/sign-up")
    for field in (page.get_by_label("日本語"), page.get_by_label("English", exact=True),
                  page.get_by_label("利用規約に同意します")):
        assert choice_tap_height(field) >= MIN_TAP, field


def test_numbered_steps_of_a_new_proposal_do_not_run_into_each_other(page, make_user, make_process):
    process = make_process(title="公園の安全")
    sign_in(page, make_user(display_name="山田花子"))
    page.goto(f"/processes/{process.slug}/proposals/new")
    steps = page.get_by_role("list", name="手順")
    expect(steps.get_by_role("listitem")).to_have_count(4)
    # Where each step's words start and end, and how wide its number ("2. ") is in its font.
    items = steps.evaluate("""list => {
        const ctx = document.createElement('canvas').getContext('2d');
        return Array.from(list.children).map((li, i) => {
            const range = document.createRange();
            range.selectNodeContents(li);
            const rects = Array.from(range.getClientRects());
            const style = getComputedStyle(li);
            ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            return {left: rects[0].left, right: rects[rects.length - 1].right, top: rects[0].top,
                    number: ctx.measureText(`${i + 1}. `).width};
        });
    }""")
    for before, step in zip(items, items[1:]):
        if abs(before["top"] - step["top"]) < 2:  # on the same line
            assert step["left"] - before["right"] >= step["number"], f"a step number overlaps: {items}"


def test_photo_field_is_big_and_readable(page, make_user, make_process):
    process = make_process(title="公園の安全")
    sign_in(page, make_user(display_name="山田花子"))
    page.goto(f"/processes/{process.slug}/proposals/new")
    photo = page.get_by_label("写真（任意、JPEG・PNG・WebP）")
    assert height(photo) >= MIN_TAP
    assert font_px(photo) >= 16


def test_map_zoom_buttons_are_44px(page, make_user, make_process):
    process = make_process(title="公園の安全")
    blank_tiles(page)
    sign_in(page, make_user(display_name="山田花子"))
    page.goto(f"/processes/{process.slug}/proposals/new")
    for name in ("Zoom in", "Zoom out"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box and box["width"] >= MIN_TAP and box["height"] >= MIN_TAP, (name, box)


def test_show_the_figures_as_a_table_is_44px_tall(page):
    page.goto("/participation")
    disclosure = page.get_by_text("数値を表で表示").first
    expect(disclosure).to_be_visible()
    assert height(disclosure) >= MIN_TAP


def test_notification_buttons_are_44px_tall_and_apart(page, make_user, db):
    from participation.notifications import services

    user = make_user(display_name="山田花子")
    services.notify([user], "answer_published", target_type=None, target_id=None, title="バス停のベンチ",
                    body="市の回答：採用", url="/")
    db.session.commit()
    sign_in(page, user)
    page.goto("/notifications")
    opened, read = page.get_by_role("button", name="開く", exact=True), page.get_by_role("button", name="既読にする", exact=True)
    assert height(opened) >= MIN_TAP and height(read) >= MIN_TAP
    gap = read.bounding_box()["x"] - (opened.bounding_box()["x"] + opened.bounding_box()["width"])
    assert gap >= 8, f"the two buttons are only {gap:.0f}px apart"


@pytest.fixture
def desk(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo", **DESKTOP)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_staff_proposal_table_keeps_its_column_headers_on_one_line(desk, make_user, make_process, db):
    from participation.common.time import utcnow
    from participation.proposals.models import Proposal

    process = make_process(title="公園の安全")
    author = make_user(display_name="佐藤太郎")
    for n in range(3):
        proposal = Proposal(process_id=process.id, author_id=author.id, status="published", published_at=utcnow(),
                            title=f"公園の入口に街灯と案内板とベンチを設置してほしいという提案 その{n + 1}",
                            body="夜は暗くて危ないので、街灯を増やしてください。案内板もあると助かります。")
        db.session.add(proposal)
        db.session.flush()
        proposal.reference = f"P-2026-{proposal.id:06d}"
    db.session.commit()
    sign_in(desk, make_user("staff"))
    desk.goto(f"/staff/processes/{process.slug}/proposals")
    for name in ("選択", "賛成"):
        header = desk.get_by_role("columnheader", name=name)
        lines = header.evaluate("""th => {
            const range = document.createRange();
            range.selectNodeContents(th);
            return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
        }""")
        assert lines == 1, f"the column header {name} breaks over {lines} lines"
    box = desk.get_by_role("checkbox").last.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, f"the select checkbox is {box}"


def test_job_run_filters_have_their_labels_above_the_fields(desk, make_user):
    sign_in(desk, make_user("staff"))
    desk.goto("/staff/jobs")
    runs = desk.get_by_role("search")
    for name in ("処理", "状態"):
        label = runs.locator("label", has_text=name)
        field = runs.get_by_label(name, exact=True)
        assert label.bounding_box()["y"] + label.bounding_box()["height"] <= field.bounding_box()["y"] + 1, \
            f"the label {name} is beside its field, not above it"


def test_staff_kpi_table_scrolls_inside_itself_on_a_phone(browser, live_server, make_user):
    context = browser.new_context(base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo", **PHONE)
    page = context.new_page()
    try:
        sign_in(page, make_user("staff"))
        page.goto("/staff/kpis")
        expect(page.get_by_role("heading", level=1)).to_have_text("KPI")
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, f"the staff KPI page scrolls sideways: {width}px wide"
    finally:
        context.close()


from tests.proposals.conftest import make_proposal  # noqa: E402,F401  (the proposals factory, for the tests below)


def test_guest_sign_in_links_on_a_proposal_are_buttons_to_tap(page, make_process, make_proposal):
    proposal = make_proposal(make_process())
    page.goto(f"/proposals/{proposal.id}")
    for name in ("ログインしてこの提案に賛成する", "ログインしてコメントする"):
        link = page.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert height(link) >= MIN_TAP, name


def test_report_link_is_44px_and_apart_from_the_follow_button(page, make_user, make_process, make_proposal):
    proposal = make_proposal(make_process())
    sign_in(page, make_user())
    page.goto(f"/proposals/{proposal.id}")
    report = page.get_by_role("link", name="この提案を通報する")
    follow = page.get_by_role("button", name="フォローする")
    assert height(report) >= MIN_TAP
    follow_box, report_box = follow.bounding_box(), report.bounding_box()
    apart = max(report_box["x"] - (follow_box["x"] + follow_box["width"]),
                report_box["y"] - (follow_box["y"] + follow_box["height"]))
    assert apart >= 8, f"the report link is {apart:.0f}px from the follow button"
