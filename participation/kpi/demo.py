"""Demo KPI history: residents who registered over the past year and took part (supports, endorsements,
comments on the demo proposals, spread after each proposal's publication), and a year of monthly snapshots
plus the last 7 days, so that the dashboards show trends on the first run. Bulk inserts: a few seconds."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from participation.accounts.models import AGE_BANDS, Area, ParticipantProfile, User
from participation.common.time import local_midnight_utc, local_today, utcnow
from participation.extensions import db
from participation.kpi import periods, services

DEMO_RESIDENTS = 180


def _activity(rng: random.Random, residents: list[User]) -> None:
    """Supports, endorsements and comments by the demo residents on the published demo proposals."""
    try:
        from participation.comments.models import Comment
        from participation.processes.models import Process
        from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport
    except ImportError:  # installations without proposals or comments
        return
    now = utcnow()
    proposals = db.session.execute(
        select(Proposal.id, Proposal.process_id, Proposal.published_at, Process.support_limit)
        .join(Process, Process.id == Proposal.process_id)
        .where(Proposal.status == "published", Proposal.published_at.is_not(None)).order_by(Proposal.id)).all()
    if not proposals:
        return
    supports, endorsements, comments, used = [], [], [], {}
    for resident in residents:
        joined = resident.created_at
        for proposal_id, process_id, published_at, limit in rng.sample(proposals, min(len(proposals), 6)):
            start = max(joined, published_at)
            if start >= now:
                continue
            when = start + (now - start) * rng.random() ** 2  # most actions soon after publication
            mobile = rng.random() < 0.65
            count = used.get((resident.id, process_id), 0)
            if not limit or count < limit:
                used[(resident.id, process_id)] = count + 1
                supports.append({"proposal_id": proposal_id, "user_id": resident.id, "created_at": when,
                                 "from_mobile": mobile})
            if rng.random() < 0.1:
                endorsements.append({"proposal_id": proposal_id, "user_id": resident.id, "created_at": when,
                                     "from_mobile": mobile})
            if rng.random() < 0.25:
                comments.append({"target_type": "proposal", "target_id": proposal_id, "process_id": process_id,
                                 "author_id": resident.id, "body": "賛成です。ぜひ進めてください。", "depth": 0,
                                 "created_at": when + timedelta(minutes=5), "from_mobile": mobile})
    for model, rows in ((ProposalSupport, supports), (ProposalEndorsement, endorsements), (Comment, comments)):
        if rows:
            db.session.execute(insert(model), rows)
    for model, column, key in ((ProposalSupport, "supports_count", ProposalSupport.proposal_id),
                               (ProposalEndorsement, "endorsements_count", ProposalEndorsement.proposal_id)):
        counted = select(func.count(model.id)).where(key == Proposal.id).scalar_subquery()
        db.session.execute(update(Proposal).values({column: counted}).execution_options(synchronize_session=False))
    visible = (select(func.count(Comment.id)).where(Comment.target_type == "proposal", Comment.target_id == Proposal.id,
                                                   Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
               .scalar_subquery())
    db.session.execute(update(Proposal).values(comments_count=visible).execution_options(synchronize_session=False))


def load() -> None:
    rng = random.Random(2026)
    today = local_today()
    areas = list(db.session.scalars(select(Area)))
    residents = []
    for n in range(DEMO_RESIDENTS):
        day = today - timedelta(days=int(365 * (1 - rng.random() ** 0.7)))  # more sign-ups recently
        created = local_midnight_utc(day) + timedelta(minutes=rng.randrange(7 * 60, 23 * 60))
        # Demo accounts without a password: they cannot sign in, they only feed the figures.
        user = User(email=f"demo-resident-{n}@midori.example.jp", display_name=f"みどり市民{n + 1}",
                    role="resident", confirmed_at=created, created_at=created, updated_at=created)
        db.session.add(user)
        db.session.flush()
        residents.append(user)
        if areas and rng.random() < 0.6:
            db.session.add(ParticipantProfile(user_id=user.id, age_band=rng.choice(AGE_BANDS),
                                              age_band_consented_at=created, area_id=rng.choice(areas).id,
                                              area_consented_at=created))
    _activity(rng, residents)
    db.session.commit()
    month = periods.containing("month", today)
    for _ in range(12):
        services.snapshot(month, commit=False)
        month = periods.containing("month", month.start - timedelta(days=1))
    services.snapshot(periods.containing("fiscal_year", today), commit=False)
    for back in range(1, 8):
        services.snapshot(periods.day(today - timedelta(days=back)), commit=False)
    db.session.commit()
