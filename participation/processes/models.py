"""Participatory processes, their ordered phases and the per-phase feature switches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import Area
from participation.common.models import TimestampMixin, UTCDateTime
from participation.extensions import db

# Actions a phase can switch on or off. Per-phase switches are data (Phase.features), not code.
PHASE_FEATURES = (
    "proposals.create",
    "proposals.support",
    "proposals.endorse",
    "proposals.comment",
    "proposals.answers_visible",
    "surveys.answer",
    "meetings.register",
    "reports.create",
)
# What a process can host.
COMPONENTS = ("proposals", "surveys", "meetings", "reports")


class ProcessGroup(TimestampMixin, db.Model):
    """An optional theme grouping processes (e.g. 'Transport')."""

    __tablename__ = "process_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name_ja: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja


class Process(TimestampMixin, db.Model):
    __tablename__ = "processes"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    hero_image: Mapped[str | None] = mapped_column(String(64))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("process_groups.id", ondelete="SET NULL"), index=True)
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    components: Mapped[list] = mapped_column(JSON, default=lambda: ["proposals"])
    # Process-level settings (0 = unlimited where a limit)
    support_limit: Mapped[int] = mapped_column(Integer, default=0)
    support_threshold: Mapped[int | None] = mapped_column(Integer)
    proposal_body_max: Mapped[int] = mapped_column(Integer, default=3000)
    edit_window_minutes: Mapped[int] = mapped_column(Integer, default=60)
    hide_after_flags: Mapped[int] = mapped_column(Integer, default=3)
    proposal_limit: Mapped[int] = mapped_column(Integer, default=0)

    area: Mapped[Area | None] = relationship()
    group: Mapped[ProcessGroup | None] = relationship()
    phases: Mapped[list["Phase"]] = relationship(
        back_populates="process", order_by="Phase.position", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def hosts(self, component: str) -> bool:
        return component in (self.components or [])

    def phase_by_date(self, today: date) -> "Phase | None":
        """The phase whose dates contain `today` (the first by position if phases overlap)."""
        for phase in self.phases:
            if phase.start_date <= today <= phase.end_date:
                return phase
        return None

    @property
    def pinned_phase(self) -> "Phase | None":
        return next((phase for phase in self.phases if phase.is_pinned), None)

    @property
    def active_phase(self) -> "Phase | None":
        """The phase marked active (by the phase job or the on-demand check)."""
        return next((phase for phase in self.phases if phase.is_active), None)

    def current_phase(self, today: date) -> "Phase | None":
        """The phase that should be active on `today`: the pinned one, else the one by dates."""
        return self.pinned_phase or self.phase_by_date(today)

    def reading_phase(self, today: date) -> "Phase | None":
        """The phase whose read-only switches (answers_visible) apply: the current one, and once the
        last phase is over, that last phase (a finished process keeps showing its feedback)."""
        current = self.current_phase(today)
        if current is None and self.phases:
            last = max(self.phases, key=lambda phase: (phase.end_date, phase.position))
            if today > last.end_date:
                return last
        return current

    def next_phase(self, today: date) -> "Phase | None":
        """The phase that starts soonest after `today`, if any."""
        later = [phase for phase in self.phases if phase.start_date > today]
        return min(later, key=lambda phase: (phase.start_date, phase.position), default=None)

    def schedule_state(self, today: date) -> str:
        """What the process page says about `today`: "phase" (a phase is current), "upcoming" (the
        process has not started), "between_phases" (within the process dates but no phase is open:
        before the first, between two or after the last) or "finished" (after the process end)."""
        if self.current_phase(today) is not None:
            return "phase"
        return {"upcoming": "upcoming", "active": "between_phases", "past": "finished"}[self.time_state(today)]

    def time_state(self, today: date) -> str:
        if today < self.start_date:
            return "upcoming"
        if today > self.end_date:
            return "past"
        return "active"


class Phase(TimestampMixin, db.Model):
    __tablename__ = "phases"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    features: Mapped[dict] = mapped_column(JSON, default=dict)
    # At most one active and one pinned phase per process (partial unique indexes).
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)

    process: Mapped[Process] = relationship(back_populates="phases")

    __table_args__ = (
        Index("uq_phases_one_active", "process_id", unique=True,
              sqlite_where=text("is_active"), postgresql_where=text("is_active")),
        Index("uq_phases_one_pinned", "process_id", unique=True,
              sqlite_where=text("is_pinned"), postgresql_where=text("is_pinned")),
    )

    def allows(self, feature: str) -> bool:
        return bool((self.features or {}).get(feature, False))
