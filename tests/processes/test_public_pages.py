"""Public process pages: list filters (active / upcoming / past, area), the phase timeline with the
active phase marked, and what a visitor can do now."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from flask_babel import gettext

from participation.accounts.models import Area
from participation.processes.forms import COMPONENT_LABELS, FEATURE_LABELS

from .conftest import MOMENTS


@pytest.fixture
def areas(db):
    north, south = Area(name_ja="北地区", name_en="North"), Area(name_ja="南地区", name_en="South")
    db.session.add_all([north, south])
    db.session.commit()
    return north, south


def _titles(client, url: str) -> set[str]:
    html = client.get(url).get_data(as_text=True)
    return set(re.findall(r'<h2><a href="/processes/[^"]+">([^<]+)</a></h2>', html))


def test_list_filters_by_time_and_area(client, make_process, areas, travel):
    travel(MOMENTS["phase2"])
    north, south = areas
    today = date(2026, 6, 15)
    active_north = make_process(area_id=north.id, title="今の北", phases=[{"features": []}])
    active_south = make_process(area_id=south.id, title="今の南", phases=[{"features": []}])
    upcoming = make_process(area_id=north.id, title="これから",
                            phases=[{"start": today + timedelta(days=1), "end": today + timedelta(days=30)}])
    past = make_process(title="終わった",
                        phases=[{"start": today - timedelta(days=30), "end": today - timedelta(days=1)}])
    assert _titles(client, "/processes") == {"今の北", "今の南", "これから", "終わった"}
    assert _titles(client, "/processes?state=active") == {"今の北", "今の南"}
    assert _titles(client, "/processes?state=upcoming") == {"これから"}
    assert _titles(client, "/processes?state=past") == {"終わった"}
    assert _titles(client, f"/processes?area={north.id}") == {"今の北", "これから"}
    assert _titles(client, f"/processes?state=active&area={north.id}") == {"今の北"}
    assert _titles(client, f"/processes?state=past&area={north.id}") == set()
    # Nonsense filters are ignored, not errors.
    response = client.get("/processes?state=whenever&area=abc")
    assert response.status_code == 200
    assert _titles(client, "/processes?state=whenever&area=abc") == {"今の北", "今の南", "これから", "終わった"}
    assert active_north and active_south and upcoming and past


def _label(feature: str) -> str:
    """A feature's label as the page shows it (same locale as the responses of this test)."""
    return str(FEATURE_LABELS[feature])  # lazy strings are markup-safe: shown as is


def _timeline_items(html: str) -> list[str]:
    section = html.split('id="phases-heading"', 1)[1]
    return re.findall(r'<li class="timeline-item[^"]*"[^>]*>', section)


def test_process_page_marks_the_active_phase_and_what_you_can_do(client, calendar_process, make_user, login,
                                                                  travel):
    travel(MOMENTS["phase2"])
    process = calendar_process(description="**大切な**お知らせ<script>alert(1)</script>")
    login(make_user())
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    items = _timeline_items(html)
    assert len(items) == 3
    assert ['aria-current="step"' in item for item in items] == [False, True, False]
    now = html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert "説明会と賛同" in now
    for feature in ("proposals.support", "proposals.endorse", "proposals.comment", "meetings.register"):
        assert f"<li>{_label(feature)}</li>" in now
    for feature in ("proposals.create", "surveys.answer", "reports.create", "proposals.answers_visible"):
        assert f"<li>{_label(feature)}</li>" not in now
    # Hosted features are listed; the description goes through the Markdown subset, scripts do not.
    hosted = html.split('id="features-heading"', 1)[1].split("</section>", 1)[0]
    for _key, label in COMPONENT_LABELS:
        assert f"<li>{label}</li>" in hosted
    assert "<strong>大切な</strong>" in html
    assert "<script>alert(1)</script>" not in html

    travel(MOMENTS["phase1"])
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert ['aria-current="step"' in item for item in _timeline_items(html)] == [True, False, False]
    now = html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert _label("proposals.create") in now and _label("proposals.support") not in now


def test_process_page_before_and_after(client, calendar_process, travel):
    travel(MOMENTS["before"])
    process = calendar_process()
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert 'aria-current="step"' not in html
    assert "2026年4月1日" in html  # "starts on" date, in Japanese by default
    travel(MOMENTS["after"])
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert 'aria-current="step"' not in html


def test_guest_is_invited_to_sign_in_and_come_back(client, calendar_process, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process()
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert f'href="/account/sign-in?next=/processes/{process.slug}"' in html


def test_blocked_resident_is_signed_out_and_offered_nothing(client, calendar_process, make_user, login, travel,
                                                           db):
    from participation.common.time import utcnow

    travel(MOMENTS["phase1"])
    process = calendar_process()
    user = make_user()
    login(user)
    user.blocked_at = utcnow()
    db.session.commit()
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert f'href="/account/sign-in?next=/processes/{process.slug}"' in html


def test_staff_on_an_unpublished_process_are_told_they_cannot_take_part(client, calendar_process, make_user,
                                                                        login, travel):
    travel(MOMENTS["phase1"])
    process = calendar_process(published=False)
    login(make_user("staff"))
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    assert gettext("Not published: only staff can see this page") in html
    assert gettext("Your account cannot take part at the moment.") in html
    login_link = f'href="/account/sign-in?next=/processes/{process.slug}"'
    assert login_link not in html


def test_feedback_phase_offers_guests_reading_without_a_sign_in_prompt(client, calendar_process, travel):
    travel(MOMENTS["phase3"])
    process = calendar_process(components=("proposals",))
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    now = html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]
    assert f"<li>{_label('proposals.answers_visible')}</li>" in now
    assert "/account/sign-in" not in now


def _now_section(client, process) -> str:
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    return html.split('id="now-heading"', 1)[1].split("</section>", 1)[0]


def test_no_open_phase_is_not_called_finished_before_the_process_ends(client, make_process, travel):
    """Within the process dates but outside every phase (before the first, in a gap, after the last) the
    page says when the next phase starts, or until when the process runs; "finished" only after the end."""
    from .conftest import JST

    travel(datetime(2026, 4, 5, 12, 0, tzinfo=JST))
    process = make_process(start_date=date(2026, 4, 1), end_date=date(2026, 9, 30), phases=[
        {"title": "意見の募集", "start": date(2026, 4, 10), "end": date(2026, 5, 10), "features": []},
        {"title": "賛同の受付", "start": date(2026, 6, 1), "end": date(2026, 7, 31), "features": []}])
    finished = gettext("This process has finished. Thank you for taking part.")
    cases = [
        (datetime(2026, 4, 5, 12, 0, tzinfo=JST), "次のフェーズ「意見の募集」は2026年4月10日に始まります。"),
        (datetime(2026, 5, 20, 12, 0, tzinfo=JST), "次のフェーズ「賛同の受付」は2026年6月1日に始まります。"),
        (datetime(2026, 8, 15, 12, 0, tzinfo=JST), "この参加プロセスは2026年9月30日まで続きます。"),
    ]
    for moment, expected in cases:
        travel(moment)
        now = _now_section(client, process)
        assert "現在受付中のフェーズはありません。" in now and expected in now, moment
        assert finished not in now, moment
    travel(datetime(2026, 10, 1, 0, 1, tzinfo=JST))
    now = _now_section(client, process)
    assert finished in now and "現在受付中のフェーズはありません。" not in now


def test_schedule_state_of_a_process(make_process):
    process = make_process(start_date=date(2026, 4, 1), end_date=date(2026, 9, 30), phases=[
        {"title": "一", "start": date(2026, 4, 10), "end": date(2026, 5, 10), "features": []},
        {"title": "二", "start": date(2026, 6, 1), "end": date(2026, 7, 31), "features": []}])
    states = {day: (process.schedule_state(day), getattr(process.next_phase(day), "title", None))
              for day in (date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 10), date(2026, 5, 11),
                          date(2026, 7, 31), date(2026, 8, 1), date(2026, 9, 30), date(2026, 10, 1))}
    assert states == {
        date(2026, 3, 31): ("upcoming", "一"), date(2026, 4, 1): ("between_phases", "一"),
        date(2026, 4, 10): ("phase", "二"), date(2026, 5, 11): ("between_phases", "二"),
        date(2026, 7, 31): ("phase", None), date(2026, 8, 1): ("between_phases", None),
        date(2026, 9, 30): ("between_phases", None), date(2026, 10, 1): ("finished", None)}


def _cards(html: str) -> list[tuple[str, bool]]:
    """(title, shows the Featured badge) of each process card, in page order."""
    cards = []
    for card in html.split('<li class="card')[1:]:
        title = re.search(r'<h2><a href="/processes/[^"]+">([^<]+)</a></h2>', card).group(1)
        cards.append((title, "注目</span>" in card.split("</li>", 1)[0]))
    return cards


def test_promoted_processes_come_first_with_a_featured_badge(client, make_process, travel):
    travel(MOMENTS["phase2"])
    today = date(2026, 6, 15)

    def started(days_ago: int, title: str, promoted: bool = False):
        return make_process(title=title, promoted=promoted, start_date=today - timedelta(days=days_ago),
                            phases=[{"start": today - timedelta(days=days_ago), "features": []}])

    started(5, "新しい")
    started(30, "古い注目", promoted=True)
    started(10, "中くらい")
    started(20, "注目", promoted=True)
    assert _cards(client.get("/processes").get_data(as_text=True)) == [
        ("注目", True), ("古い注目", True), ("新しい", False), ("中くらい", False)]
    assert _cards(client.get("/processes?state=active").get_data(as_text=True))[:2] == [
        ("注目", True), ("古い注目", True)]


def test_home_page_shows_promoted_processes_first(client, make_process, travel):
    """The home page shows a few active processes: a promoted one is among them even when it is the oldest."""
    from participation.core.views import HOME_PROCESSES

    travel(MOMENTS["phase2"])
    today = date(2026, 6, 15)
    make_process(title="市の重点テーマ", promoted=True, start_date=today - timedelta(days=60),
                 phases=[{"start": today - timedelta(days=60), "features": []}])
    for n in range(HOME_PROCESSES):
        make_process(title=f"ふつうのプロセス{n}", start_date=today - timedelta(days=n + 1),
                     phases=[{"start": today - timedelta(days=n + 1), "features": []}])
    cards = _cards(client.get("/").get_data(as_text=True))
    assert len(cards) == HOME_PROCESSES
    assert cards[0] == ("市の重点テーマ", True)
    assert not any(featured for _title, featured in cards[1:])
