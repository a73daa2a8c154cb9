"""Proposal writes: drafts, publishing, edits, withdrawal, supports, endorsements, official answers.

Every function raises DomainError on a broken rule; the caller (one request) commits once."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from participation.accounts import services as account_services
from participation.accounts.models import Area, User
from participation.common.devices import is_mobile_request
from participation.common.errors import DomainError, NotAllowed
from participation.common.submissions import clean_submission_key, insert_once
from participation.common.time import local_today, utcnow
from participation.common.pagecache import COUNTS_ONLY
from participation.extensions import db
from participation.moderation.services import record_audit
from participation.permissions import can
from participation.proposals import queries
from participation.proposals.models import (COST_MAX, AnswerState, AnswerTemplate, Proposal, ProposalAnswer,
                                            ProposalCategory, ProposalEndorsement, ProposalSupport)

TITLE_MIN, TITLE_MAX, BODY_MIN = 15, 150, 15
# Called with each ProposalAnswer when it becomes public (immediately or by the scheduled job),
# inside the same transaction. The integrator appends the notification sender here.
ANSWER_PUBLISHED_HOOKS: list[Callable[[ProposalAnswer], None]] = []
# Called with (answer, previous_state_code) when the state of an already published answer changes.
ANSWER_STATE_CHANGED_HOOKS: list[Callable[[ProposalAnswer, str], None]] = []
# Called with the proposal after it is published (e.g. the author follows it).
PROPOSAL_PUBLISHED_HOOKS: list[Callable[[Proposal], None]] = []


# --- drafts, publishing, editing -------------------------------------------------------------
def _clean(data: dict, process) -> dict:
    title = (data.get("title") or "").strip()
    body = (data.get("body") or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise DomainError(_l("The title must have between %(min)d and %(max)d characters.",
                             min=TITLE_MIN, max=TITLE_MAX))
    if not BODY_MIN <= len(body) <= process.proposal_body_max:
        raise DomainError(_l("The text must have between %(min)d and %(max)d characters.",
                             min=BODY_MIN, max=process.proposal_body_max))
    category_id = data.get("category_id") or None
    if category_id is not None:
        category = db.session.get(ProposalCategory, category_id)
        if category is None or category.process_id not in (None, process.id):
            raise DomainError(_l("This category does not belong to this process. Please choose one from the list."),
                              400)
    area_id = data.get("area_id") or None
    if area_id is not None and db.session.get(Area, area_id) is None:
        raise DomainError(_l("Please choose an area from the list."), 400)
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if (latitude is None) != (longitude is None):
        raise DomainError(_l("Please give both latitude and longitude, or neither."))
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(_l("This location is not valid."))
    address = (data.get("address") or "").strip() or None
    if address and len(address) > 300:
        raise DomainError(_l("Please enter at most %(max)d characters.", max=300))
    return {"title": title, "body": body, "category_id": category_id, "area_id": area_id,
            "latitude": latitude, "longitude": longitude, "address": address}


def _reference(proposal: Proposal) -> str:
    return f"P-{local_today().year}-{proposal.id:06d}"


def proposal_limit_reached(user, process) -> bool:
    """Whether the participant has published as many proposals as the process allows (0: no limit)."""
    return bool(process.proposal_limit) and queries.published_count_by(user, process) >= process.proposal_limit


def _check_proposal_limit(user, process) -> None:
    if proposal_limit_reached(user, process):
        raise DomainError(_l("You have reached the limit of %(limit)d proposals in this process.",
                             limit=process.proposal_limit))


def create_draft(user, process, data: dict, image: str | None = None, submission_key: str | None = None
                 ) -> Proposal:
    """A new draft. With a submission key, sending the same form again (double tap, resend) stores
    nothing and returns the proposal stored by the first send. Refused once the participant's limit is
    reached: nobody should write a whole proposal only to learn at the end that it cannot be published."""
    if not can(user, "proposals.create", process):
        raise NotAllowed(_l("Proposals cannot be submitted in this process at the moment."))
    _check_proposal_limit(user, process)
    values = _clean(data, process)
    key = clean_submission_key(submission_key)

    def new_draft() -> Proposal:
        return Proposal(process_id=process.id, author_id=user.id, status="draft", image=image,
                        from_mobile=is_mobile_request(), **values)

    def same(stored: Proposal) -> bool:
        return (stored.process_id, stored.title, stored.body) == (process.id, values["title"], values["body"])

    if key is not None:
        # First a write, then the savepoint: SQLite otherwise fails at once ("database is locked") instead of
        # waiting when another request writes, as the insert reaches the FTS5 index (see common/sqlite.py).
        account_services.hold_account(user)
    proposal, created = insert_once(new_draft, key, same)
    if not created:
        return proposal
    proposal.reference = _reference(proposal)
    return proposal


def update_proposal(user, proposal: Proposal, data: dict, image: str | None = None) -> Proposal:
    if not can(user, "proposals.edit", proposal):
        raise NotAllowed(_l("This proposal can no longer be edited."))
    values = _clean(data, proposal.process)
    for key, value in values.items():
        setattr(proposal, key, value)
    if image:
        proposal.image = image
    return proposal


def publish_proposal(user, proposal: Proposal) -> Proposal:
    process = proposal.process
    if proposal.author_id != user.id or not proposal.is_draft:
        raise NotAllowed(_l("This proposal cannot be published."))
    if not can(user, "proposals.create", process):
        raise NotAllowed(_l("Proposals cannot be submitted in this process at the moment."))
    _check_proposal_limit(user, process)
    _clean({"title": proposal.title, "body": proposal.body, "category_id": proposal.category_id,
            "area_id": proposal.area_id, "latitude": proposal.latitude, "longitude": proposal.longitude,
            "address": proposal.address}, process)
    # Only one request can move the draft to published (double submit publishes once).
    result = db.session.execute(update(Proposal).where(Proposal.id == proposal.id, Proposal.status == "draft")
                                .values(status="published", published_at=utcnow())
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(_l("This proposal has already been published."), 409)
    db.session.refresh(proposal)
    for hook in PROPOSAL_PUBLISHED_HOOKS:
        hook(proposal)
    return proposal


def delete_draft(user, proposal: Proposal) -> None:
    if proposal.author_id != user.id or not proposal.is_draft:
        raise NotAllowed(_l("Only your own drafts can be deleted."))
    db.session.delete(proposal)


def withdraw_proposal(user, proposal: Proposal) -> Proposal:
    if not can(user, "proposals.withdraw", proposal):
        raise NotAllowed(_l("This proposal cannot be withdrawn."))
    proposal.status = "withdrawn"
    proposal.withdrawn_at = utcnow()
    return proposal


# --- supports and endorsements ---------------------------------------------------------------
def _support_refusal(user, proposal: Proposal):
    if not getattr(user, "is_authenticated", False):
        return NotAllowed(_l("Please sign in to support proposals."), 401)
    if not user.is_active:
        return NotAllowed(_l("Your account cannot support proposals."))
    if proposal.is_withdrawn:
        return DomainError(_l("This proposal has been withdrawn and cannot be supported."), 409)
    if proposal.is_hidden or not proposal.is_published:
        return DomainError(_l("This proposal cannot be supported."), 409)
    left = queries.supports_left(user, proposal.process)
    if left is not None and left <= 0:
        return DomainError(_l("You have used all %(limit)d of your supports in this process.",
                              limit=proposal.process.support_limit), 409)
    return NotAllowed(_l("Supports are not open in this phase."))


def support(user, proposal: Proposal) -> ProposalSupport:
    """One support per participant per proposal; the counter moves in SQL in the same transaction."""
    if queries.has_supported(user, proposal) if getattr(user, "is_authenticated", False) else False:
        raise DomainError(_l("You already support this proposal."), 409)
    if not can(user, "proposals.support", proposal):
        raise _support_refusal(user, proposal)
    row = ProposalSupport(proposal_id=proposal.id, user_id=user.id, from_mobile=is_mobile_request())
    try:
        with db.session.begin_nested():
            # First, so that it also serialises this person's supports: two sent at once cannot both pass the
            # limit (PostgreSQL: a row lock that does not conflict with the support's foreign-key lock;
            # SQLite: the write lock, taken before any read).
            _move_activity_version(user)
            db.session.add(row)
            db.session.flush()
            db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                               .values(supports_count=Proposal.supports_count + 1)
                               .execution_options(synchronize_session=False, **COUNTS_ONLY))
            limit = proposal.process.support_limit
            if limit:
                used = db.session.scalar(queries.SUPPORTS_USED, {"user_id": user.id, "process_id": proposal.process_id})
                if used > limit:
                    raise _LimitExceeded()
    except IntegrityError:
        raise DomainError(_l("You already support this proposal."), 409) from None
    except _LimitExceeded:
        raise DomainError(_l("You have used all %(limit)d of your supports in this process.",
                             limit=proposal.process.support_limit), 409) from None
    finally:
        queries.forget_supports_used()
    db.session.expire(proposal, ["supports_count"])
    return row


class _LimitExceeded(Exception):
    pass


def _move_activity_version(user) -> None:
    """A change to this person's supports: the figures cached by their activity version are read again."""
    db.session.execute(update(User).where(User.id == user.id).values(activity_version=User.activity_version + 1)
                       .execution_options(synchronize_session=False, **COUNTS_ONLY))
    if user in db.session:
        db.session.expire(user, ["activity_version"])


def withdraw_support(user, proposal: Proposal) -> None:
    if not can(user, "proposals.unsupport", proposal):
        raise NotAllowed(_l("Supports can no longer be changed in this phase."))
    _move_activity_version(user)  # first, as in support(): the same order of row locks
    result = db.session.execute(delete(ProposalSupport).where(ProposalSupport.proposal_id == proposal.id,
                                                              ProposalSupport.user_id == user.id)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(_l("You do not support this proposal."), 409)
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(supports_count=Proposal.supports_count - 1)
                       .execution_options(synchronize_session=False, **COUNTS_ONLY))
    queries.forget_supports_used()
    db.session.expire(proposal, ["supports_count"])


def endorse(user, proposal: Proposal) -> ProposalEndorsement:
    if not can(user, "proposals.endorse", proposal):
        if getattr(user, "is_authenticated", False) and user.is_active and not proposal.is_open:
            raise DomainError(_l("This proposal cannot be endorsed."), 409)
        raise NotAllowed(_l("Endorsements are not open in this phase."))
    row = ProposalEndorsement(proposal_id=proposal.id, user_id=user.id, from_mobile=is_mobile_request())
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
            db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                               .values(endorsements_count=Proposal.endorsements_count + 1)
                               .execution_options(synchronize_session=False, **COUNTS_ONLY))
    except IntegrityError:
        raise DomainError(_l("You already endorse this proposal."), 409) from None
    db.session.expire(proposal, ["endorsements_count"])
    return row


def withdraw_endorsement(user, proposal: Proposal) -> None:
    if not can(user, "proposals.endorse", proposal):
        raise NotAllowed(_l("Endorsements are not open in this phase."))
    result = db.session.execute(delete(ProposalEndorsement).where(
        ProposalEndorsement.proposal_id == proposal.id, ProposalEndorsement.user_id == user.id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DomainError(_l("You do not endorse this proposal."), 409)
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(endorsements_count=Proposal.endorsements_count - 1)
                       .execution_options(synchronize_session=False, **COUNTS_ONLY))
    db.session.expire(proposal, ["endorsements_count"])


# --- official answers ------------------------------------------------------------------------
def _state(state_id) -> AnswerState:
    state = db.session.get(AnswerState, state_id) if state_id else None
    if state is None:
        raise DomainError(_l("Please choose a state from the list."), 400)
    return state


def _publish(answer: ProposalAnswer, now: datetime) -> None:
    answer.published_at = now
    db.session.flush()
    for hook in ANSWER_PUBLISHED_HOOKS:
        hook(answer)


def save_answer(actor, proposal: Proposal, data: dict, now: datetime | None = None) -> ProposalAnswer:
    """Create or update the official answer. data: state_id, body, cost, execution_period,
    publish ('now' | 'schedule' | 'draft'), publish_at (aware datetime, for 'schedule')."""
    if not can(actor, "staff.answer"):
        raise NotAllowed(_l("Only staff can answer proposals."))
    if proposal.is_draft:
        raise DomainError(_l("Drafts cannot be answered."))
    now = now or utcnow()
    state = _state(data.get("state_id"))
    cost, period = data.get("cost"), (data.get("execution_period") or "").strip() or None
    if (cost is not None or period) and not state.is_accepted:
        raise DomainError(_l("Cost and execution period can only be given for accepted proposals."))
    if cost is not None and Decimal(cost).is_finite() and cost < 0:
        raise DomainError(_l("The cost cannot be negative."))
    if cost is not None and not (Decimal(cost).is_finite() and cost <= COST_MAX):  # "Infinity" broke every page
        raise DomainError(_l("Please enter a number from %(min)d to %(max)d.", min=0, max=COST_MAX))
    mode = data.get("publish") or "draft"
    publish_at = data.get("publish_at")
    if mode == "schedule":
        if publish_at is None:
            raise DomainError(_l("Please choose when the answer is published."))
        if publish_at <= now:
            raise DomainError(_l("The publication time must be in the future."))
    answer = proposal.answer
    created = answer is None
    if created:
        answer = ProposalAnswer(proposal=proposal)
        db.session.add(answer)
    before = None if created else answer.state.code
    answer.state_id, answer.state = state.id, state
    answer.body = (data.get("body") or "").strip()
    answer.cost, answer.execution_period = cost, period
    answer.answered_by_id = actor.id
    if mode == "schedule" and not answer.is_published:
        answer.publish_at = publish_at
    elif mode == "draft" and not answer.is_published:
        answer.publish_at = None
    db.session.flush()
    record_audit(actor, "proposal.answer", proposal, {"state": state.code, "previous_state": before,
                                                       "publish": mode,
                                                       "publish_at": publish_at.isoformat() if publish_at else None})
    if mode == "now" and not answer.is_published:
        answer.publish_at = now
        _publish(answer, now)
    elif answer.is_published and before is not None and before != state.code:
        for hook in ANSWER_STATE_CHANGED_HOOKS:
            hook(answer, before)
    return answer


def bulk_answer(actor, proposals: list[Proposal], data: dict, now: datetime | None = None) -> int:
    if not proposals:
        raise DomainError(_l("Please select at least one proposal."))
    for proposal in proposals:
        save_answer(actor, proposal, data, now)
    record_audit(actor, "proposal.bulk_answer", None, {"proposals": [p.id for p in proposals],
                                                       "state_id": data.get("state_id")})
    return len(proposals)


def publish_due_answers(now: datetime | None = None) -> list[ProposalAnswer]:
    """The job: publish answers whose publish_at has come. Safe to run twice or in two processes:
    each answer is claimed with a conditional UPDATE, so hooks run once per answer."""
    now = now or utcnow()
    published = []
    for answer in list(db.session.scalars(queries.due_answers(now))):
        claimed = db.session.execute(update(ProposalAnswer).where(ProposalAnswer.id == answer.id,
                                                                  ProposalAnswer.published_at.is_(None))
                                     .values(published_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        db.session.refresh(answer)
        for hook in ANSWER_PUBLISHED_HOOKS:
            hook(answer)
        published.append(answer)
    return published


def save_answer_state(actor, *, code: str, label_ja: str, label_en: str, colour: str,
                      is_accepted: bool = False) -> AnswerState:
    code = code.strip().lower()
    if db.session.scalar(select(AnswerState.id).where(AnswerState.code == code)) is not None:
        raise DomainError(_l("A state with this code already exists."))
    position = (db.session.scalar(select(func.max(AnswerState.position))) or 0) + 1
    state = AnswerState(code=code, label_ja=label_ja.strip(), label_en=label_en.strip(), colour=colour,
                        is_accepted=is_accepted, position=position)
    db.session.add(state)
    db.session.flush()
    record_audit(actor, "proposal_state.create", state, {"code": code})
    return state


def save_answer_template(actor, *, title: str, body: str, state_id: int | None) -> AnswerTemplate:
    if state_id:
        _state(state_id)
    template = AnswerTemplate(title=title.strip(), body=body.strip(), state_id=state_id or None)
    db.session.add(template)
    db.session.flush()
    record_audit(actor, "answer_template.create", template, {"title": template.title})
    return template


def save_category(actor, *, process_id: int | None, name_ja: str, name_en: str) -> ProposalCategory:
    position = (db.session.scalar(select(func.max(ProposalCategory.position))) or 0) + 1
    category = ProposalCategory(process_id=process_id, name_ja=name_ja.strip(), name_en=name_en.strip(),
                                position=position)
    db.session.add(category)
    db.session.flush()
    record_audit(actor, "proposal_category.create", category, {"process_id": process_id})
    return category


BUILTIN_STATE_ROWS = (
    ("evaluating", "検討中", "Evaluating", "#8a5a00", False, 0),
    ("accepted", "採用", "Accepted", "#1f6f43", True, 1),
    ("rejected", "不採用", "Not accepted", "#b3261e", False, 2),
)


def ensure_builtin_states() -> dict[str, AnswerState]:
    """The built-in states (seeded by the migration); recreated if someone emptied the table."""
    existing = {s.code: s for s in db.session.scalars(select(AnswerState))}
    for code, label_ja, label_en, colour, accepted, position in BUILTIN_STATE_ROWS:
        if code not in existing:
            existing[code] = AnswerState(code=code, label_ja=label_ja, label_en=label_en, colour=colour,
                                         is_accepted=accepted, position=position)
            db.session.add(existing[code])
    db.session.flush()
    return existing
