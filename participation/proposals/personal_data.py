"""Proposals in the data download and in account deletion.

Data download: the person's proposals (published and withdrawn), drafts, supports and endorsements.

Account deletion (decided for issue 4):
* drafts are deleted: they were never public and belong to nobody else;
* published and withdrawn proposals stay (public content; the author shows as "deleted participant",
  as for comments);
* supports and endorsements stay: they are public counts that other people's proposals rely on (a
  threshold reached must not fall back). The rows only point at the anonymised account, whose name
  is no longer stored; endorser lists show "deleted participant".
register() is called once when the proposals blueprint module is imported; it is idempotent."""
from __future__ import annotations

from sqlalchemy import delete, select

from participation.accounts import services as account_services
from participation.extensions import db
from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport


def _iso(value):
    return value.isoformat() if value else None


def _proposal_record(p: Proposal) -> dict:
    return {"id": p.id, "reference": p.reference, "process_id": p.process_id, "title": p.title, "body": p.body,
            "category_id": p.category_id, "area_id": p.area_id, "latitude": p.latitude, "longitude": p.longitude,
            "address": p.address, "image": p.image, "status": p.status, "created_at": _iso(p.created_at),
            "published_at": _iso(p.published_at), "withdrawn_at": _iso(p.withdrawn_at),
            "hidden_at": _iso(p.hidden_at)}


def export_proposals(user) -> list[dict]:
    rows = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id, Proposal.status != "draft")
                              .order_by(Proposal.id))
    return [_proposal_record(p) for p in rows]


def export_drafts(user) -> list[dict]:
    rows = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id, Proposal.status == "draft")
                              .order_by(Proposal.id))
    return [_proposal_record(p) for p in rows]


def _reactions(model, user) -> list[dict]:
    rows = db.session.execute(select(model.proposal_id, Proposal.reference, Proposal.title, model.created_at)
                              .join(Proposal, Proposal.id == model.proposal_id)
                              .where(model.user_id == user.id).order_by(model.id))
    return [{"proposal_id": pid, "reference": ref, "title": title, "created_at": _iso(at)}
            for pid, ref, title, at in rows]


def export_supports(user) -> list[dict]:
    return _reactions(ProposalSupport, user)


def export_endorsements(user) -> list[dict]:
    return _reactions(ProposalEndorsement, user)


def forget_user(user) -> None:
    """Deletion hook: drafts go; public proposals, supports and endorsements stay (see module doc)."""
    db.session.execute(delete(Proposal).where(Proposal.author_id == user.id, Proposal.status == "draft")
                       .execution_options(synchronize_session=False))


def register() -> None:
    account_services.DATA_EXPORTERS.update({
        "proposals": export_proposals, "proposal_drafts": export_drafts,
        "proposal_supports": export_supports, "proposal_endorsements": export_endorsements,
    })
    if forget_user not in account_services.DELETION_HOOKS:
        account_services.DELETION_HOOKS.append(forget_user)
