"""The one place that decides who may do what.

Rules are named predicates composed with & | ~. Views use @require(action) or can();
templates use the same `can` (a Jinja global) to show or hide buttons."""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import abort, redirect, request, url_for
from flask_login import current_user


class Predicate:
    def __init__(self, fn: Callable, name: str):
        self.fn, self.name = fn, name

    def __call__(self, user, target=None) -> bool:
        return bool(self.fn(user, target))

    def __and__(self, other: "Predicate") -> "Predicate":
        return Predicate(lambda u, t: self(u, t) and other(u, t), f"({self.name} & {other.name})")

    def __or__(self, other: "Predicate") -> "Predicate":
        return Predicate(lambda u, t: self(u, t) or other(u, t), f"({self.name} | {other.name})")

    def __invert__(self) -> "Predicate":
        return Predicate(lambda u, t: not self(u, t), f"~{self.name}")

    def __repr__(self) -> str:
        return f"<Predicate {self.name}>"


def predicate(fn: Callable) -> Predicate:
    return Predicate(fn, fn.__name__)


# --- who the user is -------------------------------------------------------------------------
@predicate
def is_signed_in(user, target):
    return user is not None and getattr(user, "is_authenticated", False)


@predicate
def is_active_user(user, target):
    """Signed in, not blocked, not deleted."""
    return is_signed_in(user) and user.is_active


@predicate
def is_staff(user, target):
    return is_active_user(user) and user.is_staff


@predicate
def is_admin(user, target):
    return is_active_user(user) and user.is_admin


@predicate
def is_self(user, target):
    return is_active_user(user) and target is not None and getattr(target, "id", None) == user.id


@predicate
def is_author(user, target):
    """The target (a comment, a proposal...) was written by this user."""
    return is_signed_in(user) and target is not None and getattr(target, "author_id", None) == user.id


# --- processes and phases -------------------------------------------------------------------
def process_of(target):
    """The process a target belongs to: the process itself, or anything with a `.process`."""
    if target is None:
        return None
    return target if type(target).__name__ == "Process" else getattr(target, "process", None)


@predicate
def process_published(user, target):
    process = process_of(target)
    return process is not None and process.is_published


def hosts(component: str) -> Predicate:
    return Predicate(lambda user, target: (p := process_of(target)) is not None and p.hosts(component),
                     f"hosts({component})")


def phase_allows(feature: str) -> Predicate:
    """The process's current phase (pinned, else by today's date) switches `feature` on."""

    def check(user, target):
        from participation.common.time import local_today

        process = process_of(target)
        phase = process.current_phase(local_today()) if process is not None else None
        return phase is not None and phase.allows(feature)

    return Predicate(check, f"phase_allows({feature})")


def phase_shows(feature: str) -> Predicate:
    """Like phase_allows, for reading: after the last phase its switch keeps applying."""

    def check(user, target):
        from participation.common.time import local_today

        process = process_of(target)
        phase = process.reading_phase(local_today()) if process is not None else None
        return phase is not None and phase.allows(feature)

    return Predicate(check, f"phase_shows({feature})")


def participation(component: str, feature: str) -> Predicate:
    """A resident action: an active account, in a published process hosting it, in a phase allowing it."""
    return is_active_user & process_published & hosts(component) & phase_allows(feature)


# --- the rules -------------------------------------------------------------------------------
RULES: dict[str, Predicate] = {
    "account.manage": is_active_user,
    "staff.access": is_staff,
    "staff.outbox": is_staff,
    "admin.access": is_admin,
    "admin.users": is_admin,
    "admin.areas": is_admin,
    "admin.audit": is_admin,
    # processes
    "process.view": process_published | is_staff,
    "process.manage": is_staff,
    "proposals.create": participation("proposals", "proposals.create"),
    "proposals.support": participation("proposals", "proposals.support"),
    "proposals.endorse": participation("proposals", "proposals.endorse"),
    "proposals.comment": participation("proposals", "proposals.comment"),
    # Reading the city's answers needs no account; staff read them in any phase (to prepare them).
    "proposals.answers_visible": hosts("proposals") & (is_staff | (process_published
                                                                   & phase_shows("proposals.answers_visible"))),
    "surveys.answer": participation("surveys", "surveys.answer"),
    "meetings.register": participation("meetings", "meetings.register"),
    "reports.create": participation("reports", "reports.create"),
    # scheduled jobs
    "staff.jobs": is_staff,
    # comments, moderation, notifications (social)
    "comments.own": is_active_user & is_author,
    "comments.vote": is_active_user,
    "moderation.flag": is_active_user,
    "moderation.manage": is_staff,
    "notifications.view": is_active_user,
    "notifications.follow": is_active_user,
    # kpi
    "kpi.staff": is_staff,
    "admin.api_tokens": is_admin,
}

# --- proposals (participation/proposals): rules on a Proposal target ------------------------
def _proposal(target):
    from participation.proposals.models import Proposal

    return target if isinstance(target, Proposal) else None


@predicate
def proposal_open(user, target):
    """A Proposal target is published, not withdrawn, not hidden (a Process target passes)."""
    proposal = _proposal(target)
    return proposal is None or proposal.is_open


@predicate
def under_support_limit(user, target):
    from participation.proposals.queries import supports_left

    left = supports_left(user, process_of(target))
    return left is None or left > 0


@predicate
def is_proposal_author(user, target):
    proposal = _proposal(target)
    return proposal is not None and is_active_user(user) and proposal.author_id == user.id


@predicate
def within_edit_window(user, target):
    from participation.proposals.queries import in_edit_window

    proposal = _proposal(target)
    return proposal is not None and (proposal.is_draft or (proposal.is_open and in_edit_window(proposal)))


@predicate
def proposal_visible(user, target):
    proposal = _proposal(target)
    return proposal is not None and proposal.status in ("published", "withdrawn") and proposal.hidden_at is None


@predicate
def proposal_published(user, target):
    proposal = _proposal(target)
    return proposal is not None and proposal.is_open


RULES.update({
    "proposals.view": ((process_published & proposal_visible) | is_proposal_author | is_staff),
    # Supports are open on this proposal for this kind of account; "support" adds the viewer's own limit.
    "proposals.support_open": participation("proposals", "proposals.support") & proposal_open,
    "proposals.support": participation("proposals", "proposals.support") & proposal_open & under_support_limit,
    "proposals.unsupport": participation("proposals", "proposals.support"),
    "proposals.endorse": participation("proposals", "proposals.endorse") & proposal_open,
    "proposals.edit": is_proposal_author & within_edit_window,
    "proposals.withdraw": is_proposal_author & proposal_published,
    "staff.answer": is_staff,
    "admin.proposal_settings": is_admin,
})

# --- proposals with comments, moderation and notifications (integration) --------------------
@predicate
def proposal_readable(user, target):
    """A Proposal target must be one the user may read (not someone else's draft, not hidden from
    them); any other target passes. Flag and follow URLs take any id, so they check this too."""
    proposal = _proposal(target)
    return proposal is None or RULES["proposals.view"](user, proposal)


@predicate
def comment_readable(user, target):
    """A Comment target must be one the thread shows this user: not deleted, not hidden (staff excepted), on a
    proposal they may read; any other target passes. The flag page shows the text it reports, and its URL
    takes any comment id."""
    from participation.comments.models import Comment
    from participation.extensions import db
    from participation.proposals.models import Proposal

    if not isinstance(target, Comment):
        return True
    if target.deleted_at is not None or (target.hidden_at is not None and not is_staff(user)):
        return False
    if target.target_type == "proposal":
        proposal = db.session.get(Proposal, target.target_id)
        return proposal is not None and RULES["proposals.view"](user, proposal)
    return True


RULES.update({
    # Comments only on published proposals that are not hidden (withdrawn ones keep their thread, closed).
    "proposals.comment": participation("proposals", "proposals.comment") & proposal_open,
    "moderation.flag": RULES["moderation.flag"] & proposal_readable & comment_readable,
    "notifications.follow": RULES["notifications.follow"] & proposal_readable,
})


# --- generic targets (participation/common/targets.py): what comments, flags and follows name -
@predicate
def in_visible_process(user, target):
    """The target's process, if it has one, is one the user may see (an unpublished one: staff only)."""
    process = process_of(target)
    return process is None or RULES["process.view"](user, process)


RULES.update({
    # Unpublished processes are invisible to non-staff on every URL naming them or anything in them.
    "target.view": in_visible_process,
})


# --- feedback reports (participation/feedback): rules on a Process target --------------------
@predicate
def feedback_published(user, target):
    from participation.feedback.queries import is_published

    process = process_of(target)
    return process is not None and is_published(process)


RULES.update({
    # Residents see the report once published; staff also before (a preview).
    "feedback.view": hosts("proposals") & (is_staff | (process_published & feedback_published)),
    "feedback.publish": is_staff,
})


def can(user, action: str, target=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:
        raise KeyError(f"unknown permission action {action!r}") from None
    # current_user is a proxy that looks the user up again at each attribute a rule reads: once is enough.
    unwrap = getattr(user, "_get_current_object", None)
    return rule(unwrap() if unwrap is not None else user, target)


def _come_back_to() -> str | None:
    """Where a guest returns after signing in: the page itself for a GET; for a form post (which
    cannot be replayed by a redirect) the same-site page the form was on, if known."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None


def deny(action: str):
    """Guests are sent to sign in and come back; signed-in users get 403."""
    if not is_signed_in(current_user):
        back = _come_back_to()
        return redirect(url_for("accounts.sign_in", next=back) if back else url_for("accounts.sign_in"))
    abort(403)


def require(action: str, load: Callable | None = None):
    """View decorator. `load(**view_args)` returns the target (and 404s itself when missing)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            target = load(**kwargs) if load else None
            if not can(current_user, action, target):
                return deny(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
