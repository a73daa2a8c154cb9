"""Proposals -> notifications: the author follows a published proposal; followers (and the author)
hear about the official answer and its state changes.

The hooks are appended to the lists in proposals/services.py by register(), called once when the
proposals blueprint module is imported; register() is idempotent, so building several apps in one
process (the tests do) never sends a notification twice."""
from __future__ import annotations

from itertools import groupby

from flask_babel import force_locale, gettext
from sqlalchemy import select

from participation.accounts.models import User
from participation.extensions import db
from participation.notifications import services as notifications
from participation.proposals import services
from participation.proposals.models import AnswerState, Proposal, ProposalAnswer
from participation.proposals.targets import proposal_url
from participation.text import excerpt

TARGET = "proposal"


def author_follows(proposal: Proposal) -> None:
    if proposal.author_id is not None:
        author = db.session.get(User, proposal.author_id)
        if author is not None:
            notifications.follow(author, TARGET, proposal.id)


def _recipients(proposal: Proposal) -> list[User]:
    """The followers, plus the author even after unfollowing: the official answer concerns them."""
    users = {u.id: u for u in notifications.followers(TARGET, proposal.id)}
    if proposal.author_id is not None and proposal.author_id not in users:
        author = db.session.get(User, proposal.author_id)
        if author is not None:
            users[author.id] = author
    return list(users.values())


def _notify_in_each_locale(kind: str, proposal: Proposal, body_for) -> None:
    """One notify() per language, the body written under that language (the mail follows it too)."""
    def locale_of(user: User) -> str:
        return user.locale or "ja"

    for locale, group in groupby(sorted(_recipients(proposal), key=locale_of), key=locale_of):
        with force_locale(locale):
            notifications.notify(list(group), kind, target_type=TARGET, target_id=proposal.id,
                                 title=proposal.title, body=body_for(locale), url=proposal_url(proposal))


def answer_published(answer: ProposalAnswer) -> None:
    proposal = db.session.get(Proposal, answer.proposal_id)
    state = answer.state or db.session.get(AnswerState, answer.state_id)

    def body(locale: str) -> str:
        head = gettext("The city's answer: %(state)s", state=state.label(locale))
        text = excerpt(answer.body, 200) if answer.body else ""
        return f"{head}\n{text}" if text else head

    _notify_in_each_locale("answer_published", proposal, body)


def answer_state_changed(answer: ProposalAnswer, previous_code: str) -> None:
    proposal = db.session.get(Proposal, answer.proposal_id)
    before = db.session.scalar(select(AnswerState).where(AnswerState.code == previous_code))
    after = answer.state or db.session.get(AnswerState, answer.state_id)

    def body(locale: str) -> str:
        return gettext("The state changed from %(before)s to %(after)s.",
                       before=before.label(locale) if before else previous_code, after=after.label(locale))

    _notify_in_each_locale("state_changed", proposal, body)


def register() -> None:
    for hooks, hook in ((services.PROPOSAL_PUBLISHED_HOOKS, author_follows),
                        (services.ANSWER_PUBLISHED_HOOKS, answer_published),
                        (services.ANSWER_STATE_CHANGED_HOOKS, answer_state_changed)):
        if hook not in hooks:
            hooks.append(hook)
