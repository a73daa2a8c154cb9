"""Demo processes: one collecting proposals now, one finished with a feedback phase."""
from __future__ import annotations

from datetime import timedelta

from participation.accounts.models import Area, User
from participation.common.time import local_today, utcnow
from participation.extensions import db
from participation.processes import services
from participation.processes.models import PHASE_FEATURES
from sqlalchemy import select


def _features(*on: str) -> dict:
    return {feature: feature in on for feature in PHASE_FEATURES}


def load(admin: User) -> None:
    today = local_today()
    central = db.session.scalar(select(Area).where(Area.name_ja == "中央地区"))
    bus = services.create_process(admin, {
        "title": "みどり市 地域公共交通計画 2027",
        "slug": "bus-network-2027",
        "subtitle": "バス路線の見直しについて、ご意見・ご提案をお寄せください",
        "description": (
            "みどり市では、2027年度からの**地域公共交通計画**を策定しています。\n\n"
            "- 第1段階：計画案の公開と提案の募集\n- 第2段階：地区説明会での説明と提案への賛成\n"
            "- 第3段階：すべての提案をどのように検討したかの公表"),
        "area_id": None, "group_id": None, "promoted": True,
        "start_date": today - timedelta(days=20), "end_date": today + timedelta(days=100),
        "components": ["proposals", "meetings", "surveys"],
        "support_limit": 10, "support_threshold": 50, "proposal_body_max": 2000, "edit_window_minutes": 60,
        "hide_after_flags": 3, "proposal_limit": 5,
    })
    services.add_phase(admin, bus, {
        "title": "計画案の公開と提案募集", "description": "計画案を読んで、提案をお寄せください。",
        "start_date": today - timedelta(days=20), "end_date": today + timedelta(days=20),
        "features": _features("proposals.create", "proposals.support", "proposals.endorse", "proposals.comment",
                              "surveys.answer")})
    services.add_phase(admin, bus, {
        "title": "地区説明会", "description": "各地区で説明会を開きます。提案への賛成は引き続き受け付けます。",
        "start_date": today + timedelta(days=21), "end_date": today + timedelta(days=60),
        "features": _features("proposals.support", "proposals.comment", "meetings.register")})
    services.add_phase(admin, bus, {
        "title": "検討結果の公表", "description": "すべての提案について、市の検討結果をお知らせします。",
        "start_date": today + timedelta(days=61), "end_date": today + timedelta(days=100),
        "features": _features("proposals.answers_visible")})
    services.publish_process(admin, bus)

    park = services.create_process(admin, {
        "title": "中央公園リニューアル",
        "slug": "central-park-renewal",
        "subtitle": "中央公園の改修について、皆さまからいただいた提案と市の回答",
        "description": "中央公園の遊具・ベンチ・照明の改修について提案を募集しました。ご参加ありがとうございました。",
        "area_id": central.id if central else None, "group_id": None, "promoted": False,
        "start_date": today - timedelta(days=200), "end_date": today - timedelta(days=10),
        "components": ["proposals"],
        "support_limit": 0, "support_threshold": None, "proposal_body_max": 3000, "edit_window_minutes": 60,
        "hide_after_flags": 3, "proposal_limit": 0,
    })
    services.add_phase(admin, park, {
        "title": "提案募集", "description": "",
        "start_date": today - timedelta(days=200), "end_date": today - timedelta(days=120),
        "features": _features("proposals.create", "proposals.support", "proposals.comment", "proposals.endorse")})
    services.add_phase(admin, park, {
        "title": "検討結果の公表", "description": "提案への回答を公表しました。",
        "start_date": today - timedelta(days=119), "end_date": today - timedelta(days=10),
        "features": _features("proposals.answers_visible")})
    services.publish_process(admin, park)
    services.refresh_active_phases(today)
