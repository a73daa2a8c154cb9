"""Accounts: users, roles, one-time tokens, policy consents, optional demographic profile, areas."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.common.models import TimestampMixin, UTCDateTime
from participation.common.time import utcnow
from participation.extensions import db

ROLES = ("resident", "staff", "admin")
LOCALES = ("ja", "en")
AGE_BANDS = ("under_20", "20s", "30s", "40s", "50s", "60s", "70_plus")
UNDER_40_BANDS = ("under_20", "20s", "30s")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Area(TimestampMixin, db.Model):
    """A district of the municipality, managed by admins."""

    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Erased on deletion (set to NULL), so unique only while present.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="resident")
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the login cookie: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Moves with each of this person's supports (proposals.services): what a page shows them of their own
    # activity, and no public page shows, is cached by it (proposals.queries.viewer_figures).
    activity_version: Mapped[int] = mapped_column(default=0, server_default="0")

    consents: Mapped[list["PolicyConsent"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    profile: Mapped["ParticipantProfile | None"] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    __table_args__ = (Index("ix_users_role", "role"),)

    # Flask-Login
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.blocked_at is None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def public_name(self) -> str:
        return self.public_name_of(self.display_name, self.deleted_at)

    @staticmethod
    def public_name_of(display_name: str, deleted_at) -> str:
        """The name others see, from the two columns (for queries that load only those)."""
        from flask_babel import gettext

        return gettext("deleted participant") if deleted_at is not None else display_name


class PolicyConsent(db.Model):
    """Agreement to the terms or the privacy policy: which version, when."""

    __tablename__ = "policy_consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    policy: Mapped[str] = mapped_column(String(20))  # terms | privacy
    version: Mapped[str] = mapped_column(String(40))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User] = relationship(back_populates="consents")


class ParticipantProfile(db.Model):
    """Optional data for participation KPIs, each item with its own consent (withdrawable)."""

    __tablename__ = "participant_profiles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    age_band: Mapped[str | None] = mapped_column(String(16))
    age_band_consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    area_consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(back_populates="profile")
    area: Mapped[Area | None] = relationship()


class AccountToken(db.Model):
    """One-time token for email confirmation, password reset or email change; stored hashed."""

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # confirm | reset | email_change
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class DataExport(db.Model):
    """Record of a 'download my data' request (the JSON is generated on demand)."""

    __tablename__ = "data_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
