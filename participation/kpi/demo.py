"""Demo KPI history: residents who registered over the past year, and a year of monthly snapshots,
so that the dashboards show trends on the first run."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from participation.accounts.models import AGE_BANDS, Area, ParticipantProfile, User
from participation.common.time import local_midnight_utc, local_today
from participation.extensions import db
from participation.kpi import periods, services

DEMO_RESIDENTS = 180


def load() -> None:
    rng = random.Random(2026)
    today = local_today()
    areas = list(db.session.scalars(select(Area)))
    for n in range(DEMO_RESIDENTS):
        day = today - timedelta(days=int(365 * (1 - rng.random() ** 0.7)))  # more sign-ups recently
        created = local_midnight_utc(day) + timedelta(minutes=rng.randrange(7 * 60, 23 * 60))
        # Demo accounts without a password: they cannot sign in, they only feed the figures.
        user = User(email=f"demo-resident-{n}@midori.example.jp", display_name=f"みどり市民{n + 1}",
                    role="resident", confirmed_at=created, created_at=created, updated_at=created)
        db.session.add(user)
        db.session.flush()
        if areas and rng.random() < 0.6:
            db.session.add(ParticipantProfile(user_id=user.id, age_band=rng.choice(AGE_BANDS),
                                              age_band_consented_at=created, area_id=rng.choice(areas).id,
                                              area_consented_at=created))
    db.session.commit()
    month = periods.containing("month", today)
    for _ in range(12):
        services.snapshot(month)
        month = periods.containing("month", month.start - timedelta(days=1))
    services.snapshot(periods.containing("fiscal_year", today))
    services.snapshot(periods.day(today - timedelta(days=1)))
