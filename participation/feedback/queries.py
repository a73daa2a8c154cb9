"""Named reads for the process feedback report and the response-time reminders.

Every figure is computed in SQL; the report page runs a constant number of statements however many
proposals the process has. Only *published* answers (published_at IS NOT NULL) are ever read here
for the public report: a draft or scheduled answer is never joined."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select, union
from sqlalchemy.orm import selectinload

from participation.accounts.models import User
from participation.comments.models import Comment
from participation.common.time import to_local
from participation.extensions import db
from participation.feedback.models import AnswerReminder, FeedbackReport
from participation.kpi.sql import days_between, median_select
from participation.processes.models import Phase, Process
from participation.proposals.models import (AnswerState, Proposal, ProposalAnswer, ProposalEndorsement,
                                            ProposalSupport)
from participation.proposals.queries import ProposalPage

UNANSWERED = "unanswered"
PER_PAGE = 20
# Answer-time distribution: (key, lower bound in days inclusive, upper bound exclusive or None).
# Bounds are on fractional days, so "0-7 days" holds every answer given before the 8th day began.
TIME_BUCKETS = (("0-7", 0, 8), ("8-30", 8, 31), ("31-90", 31, 91), ("91-180", 91, 181), ("181+", 181, None))


# --- the report itself -------------------------------------------------------------------------
def report_for(process: Process) -> FeedbackReport | None:
    return db.session.scalar(select(FeedbackReport).where(FeedbackReport.process_id == process.id))


def is_published(process: Process) -> bool:
    return db.session.scalar(select(FeedbackReport.id).where(FeedbackReport.process_id == process.id)) is not None


def due_processes(today: date) -> list[Process]:
    """Published processes whose last phase ended before `today` (local) and whose report is not yet
    published. (Whether a process hosts proposals is checked by the caller: components is JSON.)"""
    ended = select(Phase.process_id).group_by(Phase.process_id).having(func.max(Phase.end_date) < today)
    published = select(FeedbackReport.process_id)
    return list(db.session.scalars(
        select(Process).where(Process.published_at.is_not(None), Process.id.in_(ended),
                              Process.id.not_in(published)).order_by(Process.id)))


# --- what the page shows ---------------------------------------------------------------------------
def _published_answer_join():
    return and_(ProposalAnswer.proposal_id == Proposal.id, ProposalAnswer.published_at.is_not(None))


def _listed(process: Process) -> list:
    """The proposals the report covers: published (not withdrawn, not drafts), not hidden."""
    return [Proposal.process_id == process.id, Proposal.status == "published", Proposal.hidden_at.is_(None)]


def _state_condition(state: str | None):
    if state == UNANSWERED:
        return ProposalAnswer.id.is_(None)
    if state:
        return AnswerState.code == state
    return None


@dataclass
class FeedbackItem:
    proposal: Proposal
    answer: ProposalAnswer | None  # the published answer, or None

    @property
    def days_to_answer(self) -> int | None:
        if self.answer is None or self.proposal.published_at is None:
            return None
        return max((self.answer.published_at - self.proposal.published_at).days, 0)


def feedback_page(process: Process, *, state: str | None = None, page: int = 1,
                  per_page: int = PER_PAGE) -> ProposalPage:
    """One page of the report's list (oldest proposal first), each with its published answer and
    state, in three statements: the page's rows with their answers and states, their authors and
    categories (one IN query each), and the count."""
    conditions = _listed(process)
    condition = _state_condition(state)
    if condition is not None:
        conditions.append(condition)
    joined = (select(Proposal, ProposalAnswer, AnswerState)
              .outerjoin(ProposalAnswer, _published_answer_join())
              .outerjoin(AnswerState, AnswerState.id == ProposalAnswer.state_id))
    rows = db.session.execute(
        joined.where(*conditions)
        .options(selectinload(Proposal.author), selectinload(Proposal.category))
        .order_by(Proposal.published_at, Proposal.id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    counted = (select(func.count(Proposal.id)).select_from(Proposal)
               .outerjoin(ProposalAnswer, _published_answer_join())
               .outerjoin(AnswerState, AnswerState.id == ProposalAnswer.state_id))
    total = db.session.scalar(counted.where(*conditions)) or 0
    return ProposalPage([FeedbackItem(proposal, answer) for proposal, answer, _state in rows], page, per_page,
                        has_next=page * per_page < total, total=total)


@dataclass
class StateCount:
    state: AnswerState | None  # None: no published answer yet
    count: int


def state_counts(process: Process, states: list[AnswerState]) -> tuple[list[StateCount], int]:
    """(counts by published answer state in the states' order, with the unanswered last; total)."""
    rows = db.session.execute(
        select(ProposalAnswer.state_id, func.count(Proposal.id)).select_from(Proposal)
        .outerjoin(ProposalAnswer, _published_answer_join())
        .where(*_listed(process)).group_by(ProposalAnswer.state_id)).all()
    by_state = {state_id: count for state_id, count in rows}
    counts = [StateCount(state, by_state[state.id]) for state in states if by_state.get(state.id)]
    counts.append(StateCount(None, by_state.get(None, 0)))
    return counts, sum(by_state.values())


@dataclass
class AnswerTimes:
    answered: int
    median_days: float | None
    buckets: list[tuple[str, int]]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _in_bucket(days, low: int, high: int | None):
    # The first bucket also takes the (impossible in practice) negative values: an answer published
    # before its proposal's publication time, e.g. after a clock correction.
    if high is None:
        return days >= low
    return days < high if low == 0 else and_(days >= low, days < high)


def answer_times(process: Process) -> AnswerTimes:
    """Days from a proposal's publication to its published answer: the median and a distribution."""
    days = days_between(ProposalAnswer.published_at, Proposal.published_at, _dialect())
    answered = (select(days.label("days")).select_from(Proposal)
                .join(ProposalAnswer, _published_answer_join())
                .where(*_listed(process), Proposal.published_at.is_not(None)))
    source = answered.subquery("answer_days")
    median = db.session.execute(median_select(source, source.c.days, [], _dialect())).first()
    sums = [func.coalesce(func.sum(case((_in_bucket(source.c.days, low, high), 1), else_=0)), 0)
            for _key, low, high in TIME_BUCKETS]
    row = db.session.execute(select(func.count(), *sums).select_from(source)).one()
    value = median[0] if median is not None else None
    return AnswerTimes(answered=row[0], median_days=None if value is None else round(float(value), 1),
                       buckets=[(key, row[i + 1]) for i, (key, _low, _high) in enumerate(TIME_BUCKETS)])


# --- who took part ---------------------------------------------------------------------------------
def participants(process: Process) -> list[User]:
    """Residents who took part in the process, once each: authors of published (or since withdrawn)
    proposals, supporters, endorsers and commenters (comments not deleted); active accounts only."""
    in_process = select(Proposal.id).where(Proposal.process_id == process.id)
    people = union(
        select(Proposal.author_id.label("user_id")).where(Proposal.process_id == process.id,
                                                          Proposal.status.in_(("published", "withdrawn"))),
        select(ProposalSupport.user_id).where(ProposalSupport.proposal_id.in_(in_process)),
        select(ProposalEndorsement.user_id).where(ProposalEndorsement.proposal_id.in_(in_process)),
        select(Comment.author_id).where(Comment.process_id == process.id, Comment.deleted_at.is_(None)),
    ).subquery("people")
    return list(db.session.scalars(
        select(User).where(User.id.in_(select(people.c.user_id)), User.deleted_at.is_(None),
                           User.blocked_at.is_(None)).order_by(User.id)))


# --- response-time reminders ---------------------------------------------------------------------
REMINDER_ROWS_PER_PROCESS = 20


@dataclass
class OverdueProposal:
    id: int
    reference: str | None
    title: str
    published_at: datetime
    has_draft_answer: bool  # an answer exists but is not published (draft or scheduled)


@dataclass
class OverdueGroup:
    process: Process
    total: int
    items: list[OverdueProposal]


def _overdue_conditions(cutoff: datetime) -> list:
    published_answer = select(ProposalAnswer.proposal_id).where(ProposalAnswer.published_at.is_not(None))
    return [Proposal.status == "published", Proposal.hidden_at.is_(None), Proposal.published_at.is_not(None),
            Proposal.published_at <= cutoff, Proposal.id.not_in(published_answer)]


def overdue_proposals(cutoff: datetime, per_process: int = REMINDER_ROWS_PER_PROCESS) -> list[OverdueGroup]:
    """Proposals published at or before `cutoff` without a published answer, grouped by process (the
    oldest first, at most `per_process` listed each, with each process's total), in three statements."""
    conditions = _overdue_conditions(cutoff)
    totals = dict(db.session.execute(select(Proposal.process_id, func.count(Proposal.id))
                                     .where(*conditions).group_by(Proposal.process_id)).all())
    if not totals:
        return []
    rank = func.row_number().over(partition_by=Proposal.process_id,
                                  order_by=(Proposal.published_at, Proposal.id)).label("rank")
    ranked = (select(Proposal.id, Proposal.process_id, Proposal.reference, Proposal.title, Proposal.published_at,
                     ProposalAnswer.id.label("answer_id"), rank)
              .outerjoin(ProposalAnswer, ProposalAnswer.proposal_id == Proposal.id)
              .where(*conditions).subquery("ranked"))
    rows = db.session.execute(select(ranked).where(ranked.c.rank <= per_process)
                              .order_by(ranked.c.process_id, ranked.c.rank)).all()
    processes = {p.id: p for p in db.session.scalars(select(Process).where(Process.id.in_(list(totals))))}
    groups: dict[int, OverdueGroup] = {}
    for row in rows:
        group = groups.setdefault(row.process_id, OverdueGroup(processes[row.process_id], totals[row.process_id], []))
        group.items.append(OverdueProposal(row.id, row.reference, row.title, to_local(row.published_at),
                                           row.answer_id is not None))
    return [groups[process_id] for process_id in sorted(groups)]  # oldest process first


def active_staff() -> list[User]:
    """Staff and admins who can receive mail: not deleted, not blocked, with an address."""
    return list(db.session.scalars(
        select(User).where(User.role.in_(("staff", "admin")), User.deleted_at.is_(None), User.blocked_at.is_(None),
                           User.email.is_not(None)).order_by(User.id)))


def reminded_on(day: date) -> set[int]:
    return set(db.session.scalars(select(AnswerReminder.user_id).where(AnswerReminder.day == day)))


def reminder_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
