"""Proposals, supports, endorsements, categories and official answers (see /tmp contract: column names bind)."""
from __future__ import annotations

from datetime import datetime
import secrets
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import Area, User
from participation.common.models import TimestampMixin, UTCDateTime
from participation.common.submissions import SUBMISSION_KEY_MAX
from participation.common.time import utcnow
from participation.extensions import db
from participation.processes.models import Process

STATUSES = ("draft", "published", "withdrawn")
RANDOM_KEY_RANGE = 2_000_000_000


def new_random_key() -> int:
    """A proposal's fixed place in the "random" order (a visitor's seed picks where the order starts)."""
    return secrets.randbelow(RANDOM_KEY_RANGE)


def _visible_index(name: str, column: str) -> Index:
    """One index per list order over the visible rows: WHERE process_id = ? AND status = ? AND hidden_at IS NULL
    ORDER BY <column>, id LIMIT 20 reads twenty index entries (partial, so PostgreSQL sees the order too)."""
    return Index(name, "process_id", "status", column, "id", sqlite_where=text("hidden_at IS NULL"),
                 postgresql_where=text("hidden_at IS NULL"))
BUILTIN_STATES = ("evaluating", "accepted", "rejected")
COST_MAX = 10**14 - 1  # ProposalAnswer.cost is NUMERIC(14, 0)


class ProposalCategory(db.Model):
    """Admin-managed category, for one process (process_id) or for every process (NULL)."""

    __tablename__ = "proposal_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int | None] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja


class ProposalStatus:
    """Status questions asked of a proposal, by the model and by the list's lightweight cards alike
    (anything with `status` and `hidden_at`)."""

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_open(self) -> bool:
        """Published, not withdrawn, not hidden: may receive supports and endorsements."""
        return self.status == "published" and self.hidden_at is None


class Proposal(ProposalStatus, TimestampMixin, db.Model):
    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_categories.id", ondelete="SET NULL"),
                                                    index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(300))
    image: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # KPI periods
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supports_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    endorsements_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comments_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    from_mobile: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    random_key: Mapped[int] = mapped_column(Integer, default=new_random_key, server_default="0")
    # The new-proposal form's random key: a double submit stores one draft (see common/submissions.py).
    submission_key: Mapped[str | None] = mapped_column(String(SUBMISSION_KEY_MAX))

    process: Mapped[Process] = relationship()
    author: Mapped[User | None] = relationship()
    category: Mapped[ProposalCategory | None] = relationship()
    area: Mapped[Area | None] = relationship()
    answer: Mapped["ProposalAnswer | None"] = relationship(back_populates="proposal", uselist=False)

    __table_args__ = (
        _visible_index("ix_proposals_visible_recent", "published_at"),
        _visible_index("ix_proposals_visible_supports", "supports_count"),
        _visible_index("ix_proposals_visible_endorsements", "endorsements_count"),
        _visible_index("ix_proposals_visible_comments", "comments_count"),
        _visible_index("ix_proposals_visible_random", "random_key"),
        Index("ix_proposals_author_published", "author_id", "published_at"),  # KPIs: "acted before"
        Index("uq_proposals_author_submission_key", "author_id", "submission_key", unique=True),
    )


class ProposalSupport(db.Model):
    __tablename__ = "proposal_supports"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_mobile: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        # KPIs: actions of a period (covering) and "did this person act before" (see kpi/proposal_indicators.py)
        Index("ix_proposal_supports_created_at", "created_at", "user_id", "from_mobile", "proposal_id"),
        Index("ix_proposal_supports_user_created", "user_id", "created_at"),
    )


class ProposalEndorsement(db.Model):
    __tablename__ = "proposal_endorsements"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_mobile: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_proposal_endorsements_created_at", "created_at", "user_id", "from_mobile", "proposal_id"),  # KPIs
        Index("ix_proposal_endorsements_user_created", "user_id", "created_at"),
    )


class AnswerState(db.Model):
    """evaluating / accepted / rejected (seeded by the migration) plus custom states added by admins."""

    __tablename__ = "proposal_answer_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_ja: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(60))
    colour: Mapped[str] = mapped_column(String(7), default="#4d4d4d")
    is_accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" and self.label_en else self.label_ja


class ProposalAnswer(TimestampMixin, db.Model):
    """The official answer. Published = published_at IS NOT NULL; publish_at schedules it."""

    __tablename__ = "proposal_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), unique=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("proposal_answer_states.id"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 0))
    execution_period: Mapped[str | None] = mapped_column(String(100))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # KPI periods
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    proposal: Mapped[Proposal] = relationship(back_populates="answer")
    state: Mapped[AnswerState] = relationship()
    answered_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_proposal_answers_due", "publish_at", "published_at"),)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class AnswerTemplate(db.Model):
    __tablename__ = "answer_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    state_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_answer_states.id", ondelete="SET NULL"))

    state: Mapped[AnswerState | None] = relationship()
