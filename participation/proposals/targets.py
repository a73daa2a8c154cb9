"""Proposals as a generic target (participation/common/targets.py): comments, flags, the moderation
queue and follows work on proposals through this registration.

Registered once by proposals/views.py when the blueprint module is imported (app start)."""
from __future__ import annotations

from participation.common.targets import TargetType, register_target
from participation.proposals.models import Proposal


def proposal_url(proposal: Proposal) -> str:
    # A plain path: it is also built in jobs, where url_for has no request to build from.
    return f"/proposals/{proposal.id}"


PROPOSAL_TARGET = TargetType(name="proposal", model=Proposal, url=proposal_url, title=lambda p: p.title,
                             comment_action="proposals.comment", counter_column="comments_count")


def register() -> None:
    """Idempotent: registering again replaces the entry with the same object."""
    register_target(PROPOSAL_TARGET)
