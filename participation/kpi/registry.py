"""The KPI catalogue: every indicator defined once, here.

An indicator is a code, names, tier, unit, definition, the scopes it supports and a `query`:
query(span, scope_type) -> a SQLAlchemy Core select that aggregates in SQL and returns labelled columns

    bucket                            the period of the row: span.by_bucket(stmt, instant) adds it
    scope_id                          NULL for platform, the process / area id otherwise
    dimension_value                   only for breakdowns
    value                             count / persons / days indicators
    numerator, denominator            ratio indicators (the engine divides)

A span (spans.py) is one period, or a run of periods computed together by a rebuild; queries filter
with span.where(instant) and take the people who acted from span.participants(scope_type).
`additive` figures of a month or year are the sums of their days' (a rebuild adds them up instead of
querying again); `cumulative` queries return changes (+1/-1) over all time up to the span's end and
the engine adds them up to each period's end.

Adding an indicator = one `register(Indicator(...))` call (in this module, or in the feature package
that owns its source). Scope choices are written in `scope_notes` and shown on the staff page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import case, func, null, select
from sqlalchemy.sql import Select

from participation.accounts.models import AGE_BANDS, UNDER_40_BANDS, Area, ParticipantProfile, User
from participation.kpi.actions import actions, has_actions
from participation.processes.models import Process

FIELD = "運営体制/住民参画"
TIERS = ("output", "outcome_1", "outcome_2")
UNITS = ("count", "persons", "ratio", "days")
SCOPE_TYPES = ("platform", "process", "area")
SUPPRESSION_THRESHOLD = 5  # cells counting fewer people are published as null, suppressed
# Export order: the catalogue of KPI.md (codes not listed here follow, in registration order).
CATALOGUE = (
    "processes_open", "meetings_held", "surveys_open", "proposals_answered", "reports_resolved", "participants",
    "new_registrations", "proposals_submitted", "supports_given", "comments_posted", "survey_responses",
    "reports_submitted", "meeting_attendees", "repeat_participation_rate", "participants_under_40_share",
    "participants_by_age_band", "participants_by_area", "mobile_share", "proposal_answer_rate",
    "median_days_to_answer", "proposal_adoption_rate", "report_resolution_rate", "median_days_to_fix",
    "reports_confirmed_fixed_rate",
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_ja: str
    name_en: str
    tier: str
    unit: str
    definition: str
    scopes: tuple[str, ...]
    query: Callable[[object, str], Select]
    scope_notes: dict[str, str] = field(default_factory=dict)
    # Breakdowns: the dimension name and every value it can take (rows are filled with zeros).
    dimension: str | None = None
    dimension_values: Callable[[], list[str]] | None = None
    # Ratios whose numerator and denominator count people are suppressed when either is < 5.
    ratio_of_persons: bool = False
    # A month's (year's) figure is the sum of its days' figures: counts of events, and ratios of such counts.
    additive: bool = False
    # The query returns changes over all time; the figure is their running sum at each period's end.
    cumulative: bool = False
    # Whether the source of this indicator exists in this installation.
    available: Callable[[], bool] = lambda: True

    def __post_init__(self):
        assert self.tier in TIERS and self.unit in UNITS, self.code
        assert all(scope in SCOPE_TYPES for scope in self.scopes), self.code

    @property
    def is_ratio(self) -> bool:
        return self.unit == "ratio"

    @property
    def counts_people(self) -> bool:
        """Subject to small-cell suppression: persons units and every breakdown cell."""
        return self.unit == "persons" or self.dimension is not None


INDICATORS: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in INDICATORS:
        raise ValueError(f"indicator {indicator.code!r} is already defined")
    INDICATORS[indicator.code] = indicator
    return indicator


def available_indicators() -> list[Indicator]:
    """Indicators whose source exists, in catalogue order."""
    codes = list(INDICATORS)
    rank = {code: (CATALOGUE.index(code) if code in CATALOGUE else len(CATALOGUE) + codes.index(code))
            for code in codes}
    return [ind for ind in sorted(INDICATORS.values(), key=lambda i: rank[i.code]) if ind.available()]


# --- building blocks -------------------------------------------------------------------------
def scoped(scope_type: str, *, process_col=None, area_col=None):
    """The scope_id column for a scope type (NULL for the platform)."""
    if scope_type == "platform":
        return null().label("scope_id")
    column = process_col if scope_type == "process" else area_col
    if column is None:
        raise ValueError(f"scope {scope_type!r} is not supported here")
    return column.label("scope_id")


def by_scope(stmt: Select, people) -> Select:
    """Group a select over span.participants() by bucket and scope."""
    return stmt.group_by(people.c.bucket, people.c.scope_id)


# --- output ----------------------------------------------------------------------------------
def _processes_open(span, scope_type: str) -> Select:
    # A period still under way (the current month or fiscal year) is measured as of today (calendar.as_of).
    cal = span.calendar()
    open_then = (Process.published_at.is_not(None) & (Process.published_at < cal.c.until)
                 & (Process.start_date <= cal.c.as_of) & (Process.end_date >= cal.c.as_of))
    stmt = (select(cal.c.bucket, scoped(scope_type, area_col=Process.area_id), func.count(Process.id).label("value"))
            .select_from(cal).join(Process, open_then).group_by(cal.c.bucket))
    return stmt.group_by(Process.area_id) if scope_type == "area" else stmt


register(Indicator(
    code="processes_open", name_ja="実施中の参加プロセス数", name_en="Processes open", tier="output", unit="count",
    definition="processes published and running at period end (today for a period still under way)",
    scopes=("platform", "area"), query=_processes_open,
    scope_notes={"area": "area of the process"},
))


# --- outcome tier 1 --------------------------------------------------------------------------
def _new_registrations(span, scope_type: str) -> Select:
    stmt = select(scoped(scope_type, area_col=ParticipantProfile.area_id), func.count(User.id).label("value"))
    if scope_type == "area":
        stmt = (stmt.join(ParticipantProfile, ParticipantProfile.user_id == User.id)
                .where(ParticipantProfile.area_consented_at.is_not(None), ParticipantProfile.area_id.is_not(None))
                .group_by(ParticipantProfile.area_id))
    return span.by_bucket(stmt.where(span.where(User.created_at)), User.created_at)


register(Indicator(
    code="new_registrations", name_ja="新規登録者数", name_en="New registrations", tier="outcome_1",
    unit="persons", definition="accounts created in the period",
    scopes=("platform", "area"), query=_new_registrations, additive=True,
    scope_notes={"area": "the account's consented area (accounts without one are in no area row)"},
))


def _participants(span, scope_type: str) -> Select:
    p = span.participants(scope_type)
    return by_scope(select(p.c.bucket, p.c.scope_id, func.count(p.c.user_id).label("value")), p)


register(Indicator(
    code="participants", name_ja="参加者数", name_en="Participants", tier="outcome_1", unit="persons",
    definition="distinct people who did at least one participation action in the period (proposal, support, "
               "endorsement, comment, survey response, report, meeting registration); anonymous survey "
               "responses count once each",
    scopes=SCOPE_TYPES, query=_participants, available=has_actions,
    scope_notes={"process": "process of the action", "area": "the participant's consented area"},
))


def _repeat_participation_rate(span, scope_type: str) -> Select:
    p = span.participants(scope_type)
    repeat = func.coalesce(func.sum(case((span.acted_before(p), 1), else_=0)), 0)
    return by_scope(select(p.c.bucket, p.c.scope_id, repeat.label("numerator"),
                           func.count(p.c.user_id).label("denominator")), p)


register(Indicator(
    code="repeat_participation_rate", name_ja="継続参加率", name_en="Repeat participation rate",
    tier="outcome_1", unit="ratio",
    definition="share of the period's participants who also participated in an earlier period",
    scopes=SCOPE_TYPES, query=_repeat_participation_rate, available=has_actions, ratio_of_persons=True,
    scope_notes={"process": "process of the action in the period; earlier participation anywhere on the platform",
                 "area": "the participant's consented area; earlier participation anywhere"},
))


def _under_40_share(span, scope_type: str) -> Select:
    p = span.participants(scope_type)
    under = func.sum(case((p.c.age_band.in_(UNDER_40_BANDS), 1), else_=0))
    return by_scope(select(p.c.bucket, p.c.scope_id, func.coalesce(under, 0).label("numerator"),
                           func.count(p.c.user_id).label("denominator")).where(p.c.age_band.is_not(None)), p)


register(Indicator(
    code="participants_under_40_share", name_ja="40歳未満の参加者の割合", name_en="Share of participants under 40",
    tier="outcome_1", unit="ratio",
    definition="share of participants (with a consented age band) under 40",
    scopes=SCOPE_TYPES, query=_under_40_share, available=has_actions, ratio_of_persons=True,
    scope_notes={"process": "process of the action", "area": "the participant's consented area"},
))


def _by_age_band(span, scope_type: str) -> Select:
    p = span.participants(scope_type)
    stmt = (select(p.c.bucket, p.c.scope_id, p.c.age_band.label("dimension_value"),
                   func.count(p.c.user_id).label("value")).where(p.c.age_band.is_not(None)))
    return by_scope(stmt, p).group_by(p.c.age_band)


register(Indicator(
    code="participants_by_age_band", name_ja="年代別参加者数", name_en="Participants by age band",
    tier="outcome_1", unit="persons", definition="breakdown: one row per age band (consented data only)",
    scopes=SCOPE_TYPES, query=_by_age_band, available=has_actions, dimension="age_band",
    dimension_values=lambda: list(AGE_BANDS),
    scope_notes={"process": "process of the action", "area": "the participant's consented area"},
))


def _area_ids() -> list[str]:
    from participation.extensions import db

    return [str(i) for i in db.session.scalars(select(Area.id).order_by(Area.position, Area.id))]


def _by_area(span, scope_type: str) -> Select:
    p = span.participants(scope_type)
    stmt = (select(p.c.bucket, p.c.scope_id, p.c.area_id.label("dimension_value"),
                   func.count(p.c.user_id).label("value")).where(p.c.area_id.is_not(None)))
    return by_scope(stmt, p).group_by(p.c.area_id)


register(Indicator(
    code="participants_by_area", name_ja="地区別参加者数", name_en="Participants by area", tier="outcome_1",
    unit="persons", definition="breakdown: one row per area (consented data only)",
    scopes=("platform", "process"), query=_by_area, available=has_actions, dimension="area",
    dimension_values=_area_ids,
    scope_notes={"process": "process of the action; dimension_value is the area id"},
))


def _mobile_share(span, scope_type: str) -> Select:
    if not span.is_single:  # a series counts from the span's table of actions per day
        counts = span.action_counts(scope_type).subquery("action_counts")
        return select(counts.c.bucket, counts.c.scope_id, counts.c.mobile_actions.label("numerator"),
                      counts.c.actions.label("denominator"))
    a = actions("period_actions", with_process=scope_type != "platform")
    mobile = func.coalesce(func.sum(case((a.c.from_mobile.is_(True), 1), else_=0)), 0)
    stmt = select(scoped(scope_type, process_col=a.c.process_id, area_col=Process.area_id),
                  mobile.label("numerator"), func.count().label("denominator")).where(span.where(a.c.occurred_at))
    stmt = span.by_bucket(stmt, a.c.occurred_at)
    if scope_type == "area":
        stmt = stmt.join(Process, Process.id == a.c.process_id).where(Process.area_id.is_not(None))
        return stmt.group_by(Process.area_id)
    if scope_type == "process":
        return stmt.where(a.c.process_id.is_not(None)).group_by(a.c.process_id)
    return stmt


register(Indicator(
    code="mobile_share", name_ja="スマートフォンからの参加の割合", name_en="Share of actions from a phone",
    tier="outcome_1", unit="ratio", definition="share of participation actions made from a phone",
    scopes=SCOPE_TYPES, query=_mobile_share, available=has_actions, additive=True,
    scope_notes={"process": "process of the action", "area": "area of the action's process"},
))
