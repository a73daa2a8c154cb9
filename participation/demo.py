"""Demo data for a fictional Japanese municipality (みどり市). Idempotent: loaded once."""
from __future__ import annotations

from sqlalchemy import select

from participation.accounts import services as account_services
from participation.accounts.models import Area, User
from participation.extensions import db
from participation.kpi import demo as kpi_demo
from participation.processes import demo as processes_demo
from participation.proposals import demo as proposals_demo

DEMO_PASSWORD = "demo-password-2026"
DEMO_LOGINS = [
    ("admin", "admin@midori.example.jp"),
    ("staff", "staff@midori.example.jp"),
    ("resident", "hanako@midori.example.jp"),
]
AREAS = [("中央地区", "Central"), ("北地区", "North"), ("南地区", "South"), ("東地区", "East"), ("西地区", "West")]
RESIDENTS = [("hanako@midori.example.jp", "山田花子"), ("taro@midori.example.jp", "佐藤太郎"),
             ("yuki@midori.example.jp", "鈴木ゆき"), ("kenji@midori.example.jp", "高橋健二"),
             ("mika@midori.example.jp", "田中美香")]


def load_demo() -> bool:
    if db.session.scalar(select(User).where(User.email == DEMO_LOGINS[0][1])) is not None:
        return False
    for position, (ja, en) in enumerate(AREAS):
        db.session.add(Area(name_ja=ja, name_en=en, position=position))
    admin = account_services.create_user(email=DEMO_LOGINS[0][1], display_name="みどり市 管理者",
                                         password=DEMO_PASSWORD, role="admin")
    account_services.create_user(email=DEMO_LOGINS[1][1], display_name="市民協働課 職員", password=DEMO_PASSWORD,
                                 role="staff")
    for email, name in RESIDENTS:
        account_services.create_user(email=email, display_name=name, password=DEMO_PASSWORD, role="resident")
    db.session.flush()
    processes_demo.load(admin)
    proposals_demo.load(admin)
    db.session.commit()
    kpi_demo.load()
    return True
