"""The proposal pages' viewer parts (participation/common/pagecache.py): what differs per viewer on a page
that guests and residents share. Each filler reads what it needs for all its parts in one query."""
from __future__ import annotations

from flask import get_template_attribute
from flask_login import current_user

from participation.common.fragments import cached_macro
from participation.common.i18n import N_, translated_labels
from participation.common.pagecache import part_filler
from participation.proposals import queries
from participation.proposals.cards import text


def _macro(name: str):
    return get_template_attribute("proposals/_parts.html", name)


@part_filler("proposal_list_actions")
def list_actions(facts: list[dict]) -> list[str]:
    """Above the list: make a proposal (or the limit reached), the viewer's drafts, their supports left.
    Facts: process_id, slug, can_create (the phase and the viewer's kind of account), proposal_limit,
    support_limit."""
    html = []
    for fact in facts:
        if current_user.is_authenticated:
            published, drafts, used = queries.viewer_figures(current_user, fact["process_id"])
        else:
            published = drafts = used = 0
        limit, supports = fact["proposal_limit"], fact["support_limit"]
        html.append(str(cached_macro(
            "proposals/_parts.html", "list_actions", slug=fact["slug"], can_create=fact["can_create"], drafts=drafts, proposal_limit=limit,
            limit_reached=current_user.is_authenticated and bool(limit) and published >= limit,
            support_limit=supports,
            supports_left=max(supports - used, 0) if supports and current_user.is_authenticated else None)))
    return html


_LIVE_LABELS = (N_("%(count)d supports"), N_("%(count)d endorsements"), N_("%(count)d comments"),
                N_("You support this"))


@part_filler("proposal_card_live")
def card_live(facts: list[dict]) -> list[str]:
    """On each card: its counts as they are now, and "you support this" for the viewer. Built from labels
    escaped once per call (twenty cards on every list view), not by a macro per card."""
    counts = queries.live_counts([fact["id"] for fact in facts], current_user)
    labels = translated_labels(*_LIVE_LABELS)
    supports, endorsements, comments = (text(labels[label]) for label in _LIVE_LABELS[:3])
    badge = f'\n<span class="badge badge-active">{text(labels[_LIVE_LABELS[3]])}</span>'
    html = []
    for fact in facts:
        up, endorsed, commented, supported = counts.get(fact["id"], (0, 0, 0, False))
        html.append(f'<span class="counts">{supports % {"count": up}} · {endorsements % {"count": endorsed}} · '
                    f'{comments % {"count": commented}}</span>' + (badge if supported else ""))
    return html


@part_filler("proposal_support")
def support_block(facts: list[dict]) -> list[str]:
    """A proposal page's supports: the live count and progress, and what this viewer may do (support, take it
    back, sign in) with their supports left. Facts: id, process_id, threshold, support_limit, open (supports
    open on it for this kind of account), unsupport_open, sign_in (a guest who may sign in to support),
    withdrawn."""
    macro = _macro("support_block")
    html = []
    for fact in facts:
        count, supported = queries.support_state(current_user, fact["id"])
        limit = fact["support_limit"]
        left = None
        if limit and current_user.is_authenticated:
            _published, _drafts, used = queries.viewer_figures(current_user, fact["process_id"])
            left = max(limit - used, 0)
        html.append(str(macro(
            id=fact["id"], count=count, threshold=fact["threshold"],
            supported=supported, can_support=fact["open"] and left != 0,
            can_unsupport=fact["unsupport_open"], sign_in=fact["sign_in"], withdrawn=fact["withdrawn"],
            supports_left=left, support_limit=limit)))
    return html


@part_filler("proposal_endorse")
def endorse_button(facts: list[dict]) -> list[str]:
    """"I endorse this", or its withdrawal for a viewer who endorses it. Facts: id (endorsing is open)."""
    ids = [fact["id"] for fact in facts]
    endorsed = queries.endorsed_ids(current_user, ids)
    macro = _macro("endorse_button")
    return [str(macro(i, i in endorsed)) for i in ids]
