"""Issue 4, build 1: the optional location on a proposal, at a phone viewport (390x844). With JavaScript the
form shows a map (the vendored Leaflet, tiles from the configured server, here answered by a blank PNG since
the tests have no internet); tapping it fills the latitude/longitude fields, typing in them moves the pin,
"clear location" empties them; the coordinates survive write -> similar -> preview -> publish and the page
shows the place as text and on a read-only map. Without JavaScript the same fields work and no map shows.
No step may trigger a Content-Security-Policy violation."""
from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_proposal_journey import sign_in

pytestmark = pytest.mark.browser

BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
# The picker on the form and the read-only map on a proposal page, as a screen reader names them.
PICKER_NAME = "地図：タップすると提案の場所にピンを立てられます"
VIEW_NAME = "提案の場所の地図"
ANY_MAP = re.compile(r"地図|[Mm]ap")
CLEAR = re.compile(r"場所の指定を消す|Clear location")
TILES = "https://cyberjapandata.gsi.go.jp/**"


def blank_tiles(page):
    """Answer every tile request with an empty 1x1 PNG; count them to show the map asked for tiles."""
    requested = []

    def answer(route):
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=BLANK_PNG)

    page.route(TILES, answer)
    return requested


def watch_console(page):
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def write_and_publish(page, title):
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("提案の内容").fill("公園の入口の街灯が切れていて、夜はとても暗いです。交換をお願いします。")
    page.get_by_role("button", name="下書きを保存して次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("似ている提案")
    page.get_by_role("link", name="自分の提案を続ける").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.get_by_role("button", name="提案を公開する").click()
    expect(page.get_by_text("提案を公開しました。ありがとうございます。")).to_be_visible()


def stored_location(title):
    from participation.extensions import db
    from participation.proposals.models import Proposal

    db.session.expire_all()
    proposal = db.session.execute(db.select(Proposal).filter_by(title=title)).scalar_one()
    return proposal.status, proposal.latitude, proposal.longitude, proposal.address


def test_tap_the_map_to_place_the_pin_and_publish(page, make_user, make_process):
    process = make_process(title="公園の安全")
    problems = watch_console(page)
    tiles = blank_tiles(page)
    sign_in(page, make_user(display_name="山田花子"))
    page.goto(f"/processes/{process.slug}/proposals/new")

    the_map = page.get_by_role("region", name=PICKER_NAME)
    expect(the_map).to_be_visible()
    expect(the_map.locator(".leaflet-tile-pane")).to_have_count(1)
    latitude, longitude = page.get_by_label("緯度（任意）"), page.get_by_label("経度（任意）")
    expect(latitude).to_be_visible()
    expect(longitude).to_be_visible()
    expect(latitude).to_have_value("")
    pin = the_map.locator(".leaflet-marker-icon")
    expect(pin).to_have_count(0)

    # tap the map (below the zoom buttons): the fields get the tapped point, rounded to 6 decimals
    box = the_map.bounding_box()
    the_map.tap(position={"x": box["width"] * 0.7, "y": box["height"] * 0.6})
    expect(latitude).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    expect(longitude).to_have_value(re.compile(r"^-?\d+\.\d{6}$"))
    lat, lng = float(latitude.input_value()), float(longitude.input_value())
    assert 35.6 < lat < 35.76 and 139.69 < lng < 139.85  # near the configured centre at zoom 13
    assert lat < 35.68 and lng > 139.77  # below and right of the centre, where it was tapped
    expect(pin).to_have_count(1)
    assert tiles, "the map asked the configured tile server for tiles"

    # clear location empties the fields and removes the pin
    page.get_by_role("button", name=CLEAR).click()
    expect(latitude).to_have_value("")
    expect(longitude).to_have_value("")
    expect(pin).to_have_count(0)

    # typing moves the pin there (the map centres on it)
    latitude.fill("35.712345")
    longitude.fill("139.765432")
    expect(pin).to_have_count(1)
    pin_box, map_box = pin.bounding_box(), the_map.bounding_box()
    pin_tip = (pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"])
    assert abs(pin_tip[0] - (map_box["x"] + map_box["width"] / 2)) < 3
    assert abs(pin_tip[1] - (map_box["y"] + map_box["height"] / 2)) < 3

    # from the keyboard: Enter on the focused map places the pin at its centre
    page.get_by_role("button", name=CLEAR).click()
    expect(pin).to_have_count(0)
    the_map.focus()
    page.keyboard.press("Enter")
    expect(pin).to_have_count(1)
    assert abs(float(latitude.input_value()) - 35.712345) < 1e-4
    assert abs(float(longitude.input_value()) - 139.765432) < 1e-4

    # ... and tapping again replaces the values
    the_map.tap(position={"x": box["width"] * 0.3, "y": box["height"] * 0.7})
    expect(latitude).not_to_have_value("35.712345")
    tapped = float(latitude.input_value()), float(longitude.input_value())
    assert 35.6 < tapped[0] < 35.712345 and 139.6 < tapped[1] < 139.765432
    page.get_by_label("住所・場所（任意）").fill("みどり中央公園 北口")

    write_and_publish(page, "公園の入口の街灯を交換してほしいです")
    status, lat, lng, address = stored_location("公園の入口の街灯を交換してほしいです")
    assert status == "published" and address == "みどり中央公園 北口"
    assert (round(lat, 6), round(lng, 6)) == tapped

    # the proposal page: the place as text, and a read-only map with the pin
    expect(page.get_by_text("みどり中央公園 北口")).to_be_visible()
    expect(page.get_by_text(f"{tapped[0]:.5f}, {tapped[1]:.5f}")).to_be_visible()
    shown = page.get_by_role("region", name=VIEW_NAME)
    expect(shown).to_be_visible()
    expect(shown.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(shown.locator(".leaflet-control-attribution")).to_contain_text("地理院タイル")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems


def test_without_javascript_typed_coordinates_are_kept_and_no_map_shows(browser, live_server, make_user,
                                                                          make_process):
    process = make_process(title="公園の安全")
    context = browser.new_context(base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo",
                                  java_script_enabled=False, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        tiles = blank_tiles(page)
        problems = watch_console(page)
        sign_in(page, make_user(display_name="鈴木ゆき"))
        page.goto(f"/processes/{process.slug}/proposals/new")
        expect(page.get_by_role("region", name=ANY_MAP)).to_have_count(0)
        expect(page.locator(".map-picker")).to_be_hidden()
        expect(page.get_by_role("button", name=CLEAR)).to_have_count(0)
        expect(page.locator(".leaflet-container")).to_have_count(0)
        page.get_by_label("住所・場所（任意）").fill("駅前ロータリー")
        page.get_by_label("緯度（任意）").fill("35.681236")
        page.get_by_label("経度（任意）").fill("139.767125")
        write_and_publish(page, "駅前ロータリーに横断歩道をつくってほしい")
        assert stored_location("駅前ロータリーに横断歩道をつくってほしい") == ("published", 35.681236, 139.767125, "駅前ロータリー")
        expect(page.get_by_text(re.compile(r"駅前ロータリー \(35\.68124, 139\.7671\d\)"))).to_be_visible()
        expect(page.get_by_role("region", name=ANY_MAP)).to_have_count(0)
        assert not tiles and not problems, (tiles, problems)
    finally:
        context.close()
