"""KPI snapshots, API tokens for the KPI export, and the log of push attempts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import false, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.common.models import UTCDateTime
from participation.common.time import utcnow
from participation.extensions import db


# KPIs count accounts created in a period (new_registrations): index the users table's creation time.
Index("ix_users_created_at", User.__table__.c.created_at)


class KpiSnapshot(db.Model):
    """One stored figure. scope_id / dimension / dimension_value hold '' (never NULL) so that the
    unique constraint also holds for platform rows and rows without a breakdown (NULLs are distinct
    in SQL unique constraints). The export maps '' back to null."""

    __tablename__ = "kpi_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(20), default="")
    dimension: Mapped[str] = mapped_column(String(40), default="")
    dimension_value: Mapped[str] = mapped_column(String(60), default="")
    period_type: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Led by the period: a rebuild writes period after period, and reads look figures up by period.
    __table_args__ = (
        UniqueConstraint("period_type", "period_start", "code", "scope_type", "scope_id", "dimension",
                         "dimension_value", name="uq_kpi_snapshots_figure"),
    )


class ApiToken(db.Model):
    """A bearer token for the KPI export. Only its SHA-256 is stored; `prefix` identifies it in lists."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[User | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PushAttempt(db.Model):
    """One POST of KPI records to the configured KPI system (successful or not)."""

    __tablename__ = "kpi_push_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    period_key: Mapped[str] = mapped_column(String(60), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
