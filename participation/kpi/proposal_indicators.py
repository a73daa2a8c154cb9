"""Indicators over the proposals and comments tables (the data contract of /tmp/team/contract.md).

Defined over lightweight Core tables named as in the contract, so this module does not import the
proposals or comments packages. Each indicator (and each action source) is only exported while its
tables are part of the application's metadata: before those features are merged they simply do not
appear ("do not export indicators whose source does not exist yet").

Scope choices: process = the proposal's (or comment's) process; area = the proposal's own area when
it has one, else its process's area (comments and supports: the area of the process)."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import (Boolean, Integer, String, Table, and_, case, cast, column, func, literal_column, null, select,
                        table, union_all)
from sqlalchemy.sql import Select

from participation.common.models import UTCDateTime
from participation.kpi.actions import register_action_source
from participation.kpi.opendata import register_open_data
from participation.kpi.registry import SCOPE_TYPES, Indicator, register, scoped
from participation.kpi.sql import days_between, median_select
from participation.processes.models import Process


def _table(name, *columns):
    return table(name, *[column(col, kind) for col, kind in columns])


_ID = [("id", Integer)]
TABLES = SimpleNamespace(
    proposals=_table("proposals", *_ID, ("process_id", Integer), ("author_id", Integer), ("area_id", Integer),
                     ("status", String), ("published_at", UTCDateTime), ("withdrawn_at", UTCDateTime),
                     ("hidden_at", UTCDateTime), ("from_mobile", Boolean), ("reference", String),
                     ("title", String), ("supports_count", Integer), ("endorsements_count", Integer),
                     ("comments_count", Integer)),
    supports=_table("proposal_supports", *_ID, ("proposal_id", Integer), ("user_id", Integer),
                    ("created_at", UTCDateTime), ("from_mobile", Boolean)),
    endorsements=_table("proposal_endorsements", *_ID, ("proposal_id", Integer), ("user_id", Integer),
                        ("created_at", UTCDateTime), ("from_mobile", Boolean)),
    answers=_table("proposal_answers", *_ID, ("proposal_id", Integer), ("state_id", Integer),
                   ("published_at", UTCDateTime), ("body", String)),
    states=_table("proposal_answer_states", *_ID, ("code", String), ("is_accepted", Boolean),
                  ("label_ja", String), ("label_en", String)),
    comments=_table("comments", *_ID, ("process_id", Integer), ("author_id", Integer), ("created_at", UTCDateTime),
                    ("deleted_at", UTCDateTime), ("hidden_at", UTCDateTime), ("from_mobile", Boolean)),
)


def _installed(*names: str):
    def check() -> bool:
        from participation.extensions import db

        # Real Table objects (tests bind stand-ins) count as installed; the lightweight contract
        # tables only once the feature's models are part of the application's metadata.
        return all(isinstance(t, Table) or t.name in db.metadata.tables
                   for t in (getattr(TABLES, name) for name in names))

    return check


def _dialect() -> str:
    from participation.extensions import db

    return db.session.get_bind().dialect.name


HAS_PROPOSALS = _installed("proposals")
HAS_SUPPORTS = _installed("proposals", "supports")
HAS_ENDORSEMENTS = _installed("proposals", "endorsements")
HAS_ANSWERS = _installed("proposals", "answers", "states")
HAS_COMMENTS = _installed("comments")


def _proposal_area(p):
    return func.coalesce(p.c.area_id, Process.area_id)


def _by_scope(stmt: Select, scope_type: str, process_col, area_col) -> Select:
    """Add the scope column (and the join to processes for areas) to a counting select."""
    stmt = stmt.add_columns(scoped(scope_type, process_col=process_col, area_col=area_col))
    if scope_type == "area":
        return stmt.join(Process, Process.id == process_col).where(area_col.is_not(None)).group_by(area_col)
    if scope_type == "process":
        return stmt.group_by(process_col)
    return stmt


# --- action sources (participants and the other person-based indicators) --------------------
def _proposal_actions() -> Select:
    p = TABLES.proposals
    return select(p.c.author_id.label("user_id"), p.c.published_at.label("occurred_at"),
                  p.c.process_id.label("process_id"), p.c.from_mobile.label("from_mobile")
                  ).where(p.c.published_at.is_not(None), p.c.author_id.is_not(None))


def _vote_actions(votes, with_process: bool = True) -> Select:
    p = TABLES.proposals
    if not with_process:  # the join to proposals is only needed for the process id
        return select(votes.c.user_id.label("user_id"), votes.c.created_at.label("occurred_at"),
                      cast(null(), Integer).label("process_id"), votes.c.from_mobile.label("from_mobile"))
    return (select(votes.c.user_id.label("user_id"), votes.c.created_at.label("occurred_at"),
                   p.c.process_id.label("process_id"), votes.c.from_mobile.label("from_mobile"))
            .join(p, p.c.id == votes.c.proposal_id))


def _comment_actions() -> Select:
    c = TABLES.comments
    return select(c.c.author_id.label("user_id"), c.c.created_at.label("occurred_at"),
                  c.c.process_id.label("process_id"), c.c.from_mobile.label("from_mobile")
                  ).where(c.c.author_id.is_not(None))


register_action_source("proposal", _proposal_actions, HAS_PROPOSALS)
register_action_source("support", lambda with_process=True: _vote_actions(TABLES.supports, with_process),
                       HAS_SUPPORTS)
register_action_source("endorsement", lambda with_process=True: _vote_actions(TABLES.endorsements, with_process),
                       HAS_ENDORSEMENTS)
register_action_source("comment", _comment_actions, HAS_COMMENTS)


# --- counts ----------------------------------------------------------------------------------
def _proposals_submitted(span, scope_type: str) -> Select:
    p = TABLES.proposals
    when = (span.where(p.c.published_at), p.c.hidden_at.is_(None))
    if scope_type == "area":
        area = _proposal_area(p)
        stmt = (select(area.label("scope_id"), func.count(p.c.id).label("value"))
                .select_from(p.join(Process, Process.id == p.c.process_id))
                .where(*when, area.is_not(None)).group_by(area))
    else:
        stmt = _by_scope(select(func.count(p.c.id).label("value")).select_from(p).where(*when),
                         scope_type, p.c.process_id, None)
    return span.by_bucket(stmt, p.c.published_at)


def _supports_given(span, scope_type: str) -> Select:
    s, p = TABLES.supports, TABLES.proposals
    if scope_type == "platform":  # no join needed
        stmt = (select(func.count(s.c.id).label("value"), null().label("scope_id"))
                .where(span.where(s.c.created_at)))
    else:
        stmt = (select(func.count(s.c.id).label("value")).select_from(s.join(p, p.c.id == s.c.proposal_id))
                .where(span.where(s.c.created_at)))
        stmt = _by_scope(stmt, scope_type, p.c.process_id, Process.area_id)
    return span.by_bucket(stmt, s.c.created_at)


def _comments_posted(span, scope_type: str) -> Select:
    c = TABLES.comments
    stmt = (select(func.count(c.c.id).label("value")).select_from(c)
            .where(span.where(c.c.created_at), c.c.deleted_at.is_(None), c.c.hidden_at.is_(None)))
    if scope_type == "process":
        stmt = stmt.where(c.c.process_id.is_not(None))
    return span.by_bucket(_by_scope(stmt, scope_type, c.c.process_id, Process.area_id), c.c.created_at)


def _answers_in(span):
    a, p = TABLES.answers, TABLES.proposals
    return a.join(p, p.c.id == a.c.proposal_id), span.where(a.c.published_at)


def _proposals_answered(span, scope_type: str) -> Select:
    a, p = TABLES.answers, TABLES.proposals
    joined, when = _answers_in(span)
    if scope_type == "area":
        area = _proposal_area(p)
        stmt = (select(area.label("scope_id"), func.count(a.c.id).label("value"))
                .select_from(joined.join(Process, Process.id == p.c.process_id))
                .where(when, area.is_not(None)).group_by(area))
    else:
        stmt = _by_scope(select(func.count(a.c.id).label("value")).select_from(joined).where(when),
                         scope_type, p.c.process_id, None)
    return span.by_bucket(stmt, a.c.published_at)


# --- outcome tier 2 -------------------------------------------------------------------------
def _scope_of_proposal(scope_type: str):
    p = TABLES.proposals
    if scope_type == "area":
        return _proposal_area(p)
    return p.c.process_id if scope_type == "process" else None


def _proposal_answer_rate(span, scope_type: str) -> Select:
    """Changes over time: a (visible) proposal counts in the denominator from its publication, in the
    numerator from its answer's publication (if later), and leaves both when withdrawn."""
    p, a = TABLES.proposals, TABLES.answers
    key = _scope_of_proposal(scope_type)
    scope = (key if key is not None else null()).label("scope_id")
    answered_at = case((a.c.published_at > p.c.published_at, a.c.published_at), else_=p.c.published_at)
    source = p.outerjoin(a, a.c.proposal_id == p.c.id)
    if scope_type == "area":
        source = source.join(Process, Process.id == p.c.process_id)
    visible = [p.c.published_at.is_not(None), p.c.hidden_at.is_(None)]
    if key is not None:
        visible.append(key.is_not(None))
    # Withdrawn before it would start counting: it never counts (so its -1 must not be added either).
    never = and_(p.c.withdrawn_at.is_not(None), p.c.withdrawn_at < p.c.published_at)
    never_answered = and_(p.c.withdrawn_at.is_not(None), p.c.withdrawn_at < answered_at)
    changes = [
        # (instant, numerator change, denominator change, condition)
        (p.c.published_at, 0, 1, [~never]),
        (answered_at, 1, 0, [a.c.published_at.is_not(None), ~never_answered]),
        (p.c.withdrawn_at, 0, -1, [p.c.withdrawn_at.is_not(None), ~never]),
        (p.c.withdrawn_at, -1, 0, [p.c.withdrawn_at.is_not(None), a.c.published_at.is_not(None), ~never_answered]),
    ]
    parts = []
    for instant, numerator, denominator, condition in changes:
        stmt = (select(scope, func.sum(literal_column(str(numerator))).label("numerator"),
                       func.sum(literal_column(str(denominator))).label("denominator"))
                .select_from(source).where(*visible, *condition, span.before_end(instant)))
        if key is not None:
            stmt = stmt.group_by(key)
        parts.append(span.by_bucket(stmt, instant))
    return union_all(*parts)


def _median_days_to_answer(span, scope_type: str) -> Select:
    a, p = TABLES.answers, TABLES.proposals
    joined, when = _answers_in(span)
    key = _scope_of_proposal(scope_type)
    if scope_type == "area":
        joined = joined.join(Process, Process.id == p.c.process_id)
    days = days_between(a.c.published_at, p.c.published_at, _dialect())
    source = (select((key if key is not None else null()).label("scope_id"), days.label("days"),
                     span.bucket(a.c.published_at).label("bucket"))
              .select_from(joined).where(when, p.c.published_at.is_not(None)))
    if key is not None:
        source = source.where(key.is_not(None))
    source = source.subquery("answer_days")
    median = median_select(source, source.c.days, [source.c.bucket, source.c.scope_id], _dialect()).subquery("median")
    return select(median.c.g0.label("bucket"), median.c.g1.label("scope_id"), median.c.value)


def _proposal_adoption_rate(span, scope_type: str) -> Select:
    a, p, s = TABLES.answers, TABLES.proposals, TABLES.states
    joined, when = _answers_in(span)
    joined = joined.join(s, s.c.id == a.c.state_id)
    key = _scope_of_proposal(scope_type)
    if scope_type == "area":
        joined = joined.join(Process, Process.id == p.c.process_id)
    accepted = func.coalesce(func.sum(case((s.c.is_accepted.is_(True), 1), else_=0)), 0)
    stmt = (select((key if key is not None else null()).label("scope_id"),
                   accepted.label("numerator"), func.count(a.c.id).label("denominator"))
            .select_from(joined).where(when))
    if key is not None:
        stmt = stmt.where(key.is_not(None)).group_by(key)
    return span.by_bucket(stmt, a.c.published_at)


_NOTES = {"process": "the proposal's process", "area": "the proposal's area, else its process's area"}
_VOTE_NOTES = {"process": "process of the supported proposal", "area": "area of that process"}

for definition in (
    dict(code="proposals_answered", name_ja="公式回答数", name_en="Proposals answered", tier="output", unit="count",
         definition="official answers published in the period", query=_proposals_answered, additive=True, available=HAS_ANSWERS,
         scope_notes=_NOTES),
    dict(code="proposals_submitted", name_ja="提案数", name_en="Proposals submitted", tier="outcome_1",
         unit="count", definition="proposals published in the period (not hidden by moderation)",
         query=_proposals_submitted, additive=True, available=HAS_PROPOSALS, scope_notes=_NOTES),
    dict(code="supports_given", name_ja="賛成数", name_en="Supports given", tier="outcome_1", unit="count",
         definition="supports given in the period (net of withdrawals)", query=_supports_given, additive=True,
         available=HAS_SUPPORTS, scope_notes=_VOTE_NOTES),
    dict(code="comments_posted", name_ja="コメント数", name_en="Comments posted", tier="outcome_1", unit="count",
         definition="visible comments posted in the period", query=_comments_posted, additive=True, available=HAS_COMMENTS,
         scope_notes={"process": "the comment's process", "area": "area of the comment's process"}),
    dict(code="proposal_answer_rate", name_ja="提案への回答率", name_en="Proposal answer rate", tier="outcome_2",
         unit="ratio", definition="published proposals with a published official answer / published proposals "
                                  "(cumulative at period end)",
         query=_proposal_answer_rate, cumulative=True, available=HAS_ANSWERS, scope_notes=_NOTES),
    dict(code="median_days_to_answer", name_ja="回答までの日数（中央値）", name_en="Median days to answer",
         tier="outcome_2", unit="days",
         definition="median days from publication to published answer, answers published in the period",
         query=_median_days_to_answer, available=HAS_ANSWERS, scope_notes=_NOTES),
    dict(code="proposal_adoption_rate", name_ja="提案の採用率", name_en="Proposal adoption rate", tier="outcome_2",
         unit="ratio", definition="accepted / answered, answers published in the period",
         query=_proposal_adoption_rate, additive=True, available=HAS_ANSWERS, scope_notes=_NOTES),
):
    register(Indicator(scopes=SCOPE_TYPES, **definition))


# --- open data: published proposals with their published answers and counts ---------------------
def _open_data_proposals():
    from participation.extensions import db

    p, a, s = TABLES.proposals, TABLES.answers, TABLES.states
    header = ["proposal_id", "reference", "process_id", "title", "published_at", "supports_count",
              "endorsements_count", "comments_count", "answer_state", "answer_state_ja", "answer_published_at",
              "answer"]
    answer = a.outerjoin(s, s.c.id == a.c.state_id)
    published_answer = (select(a.c.proposal_id, s.c.code, s.c.label_ja, a.c.published_at, a.c.body)
                        .select_from(answer).where(a.c.published_at.is_not(None)).subquery("published_answer"))
    stmt = (select(p.c.id, p.c.reference, p.c.process_id, p.c.title, p.c.published_at, p.c.supports_count,
                   p.c.endorsements_count, p.c.comments_count, published_answer.c.code, published_answer.c.label_ja,
                   published_answer.c.published_at, published_answer.c.body)
            .select_from(p.join(Process, Process.id == p.c.process_id)
                         .outerjoin(published_answer, published_answer.c.proposal_id == p.c.id))
            .where(p.c.status == "published", p.c.published_at.is_not(None), p.c.hidden_at.is_(None),
                   Process.published_at.is_not(None))
            .order_by(p.c.id))

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            yield [*row[:4], row[4].isoformat(), *row[5:10], row[10].isoformat() if row[10] else None, row[11]]

    return header, rows()


def _proposal_last_hidden_or_withdrawn():
    """When a proposal last stopped being public (hidden or withdrawn), for the cached open-data ZIP."""
    from participation.extensions import db

    p = TABLES.proposals
    latest = [db.session.scalar(select(func.max(col))) for col in (p.c.hidden_at, p.c.withdrawn_at)]
    return max((value for value in latest if value is not None), default=None)


register_open_data("proposals.csv", _open_data_proposals, _installed("proposals", "answers", "states"),
                   changed_at=_proposal_last_hidden_or_withdrawn)
