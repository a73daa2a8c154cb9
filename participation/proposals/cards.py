"""The proposal list's content as HTML (its count, cards and pager), built from values escaped once each and
labels translated once per list.

Every list view shows twenty cards, most of them never seen before (a deep page, another filter): through a
template loop they cost Jinja's call and escape machinery for each of a dozen values per card, about a third
of the page's rendering. Everything a person typed is escaped here (markupsafe.escape); the answer-state
badge is the template macro's HTML, rendered once per state (common.fragments.cached_macro)."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from participation.common.fragments import cached_macro
from participation.common.i18n import N_, translated_labels
from participation.common.pagecache import viewer_part

_MARKDOWN_MARKS = re.compile(r"[*_`>#\[\]]+|^\s*[-+]\s+|\(https?://[^)]*\)", re.MULTILINE)


def list_excerpt(body: str | None, length: int = 120) -> str:
    """A cheap plain-text excerpt for list cards (escaped like any text; no HTML). text.excerpt renders
    Markdown and cleans it with bleach, which is too slow for twenty cards a request."""
    text = " ".join(_MARKDOWN_MARKS.sub("", (body or "")[: length * 3]).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


_DELETED = N_("deleted participant")
_STATUS_BADGES = (("is_withdrawn", "badge badge-withdrawn", N_("Withdrawn")), ("is_draft", "badge", N_("Draft")),
                  ("is_hidden", "badge badge-hidden", N_("Hidden by moderation")))
_CARD_LABELS = (_DELETED, *(label for _attribute, _css, label in _STATUS_BADGES))


def cards_html(cards, *, locale: str, answers_visible: bool) -> Markup:
    """The <li> of each card (queries.ProposalCard): title linking to the proposal, reference, author, category
    and area, an excerpt, its badges and the live counts (a viewer part)."""
    show_url = escape(url_for("proposals.show", proposal_id=0)[:-1])
    labels = translated_labels(*_CARD_LABELS)
    deleted = text(labels[_DELETED])
    status_badges = [(attribute, f'<span class="{css}">{text(labels[label])}</span>')
                     for attribute, css, label in _STATUS_BADGES]
    state_badges: dict = {}  # each answer state's badge, rendered (or found in the fragment cache) once per list
    items = []
    for card in cards:
        meta = [text(card.reference), text(card.author_name) if card.author_name is not None else deleted]
        meta += [text(named.name(locale)) for named in (card.category, card.area) if named is not None]
        badges = [badge for attribute, badge in status_badges if getattr(card, attribute)]
        answer = card.answer
        if answers_visible and answer is not None and answer.published_at is not None:
            badge = state_badges.get(answer.state)
            if badge is None:
                badge = state_badges[answer.state] = str(
                    cached_macro("proposals/_macros.html", "state_badge", answer.state))
            badges.append(badge)
        items.append(
            f'<li class="card">\n<h2><a href="{show_url}{card.id}">{text(card.title)}</a></h2>\n'
            f'<p class="muted">{" · ".join(meta)}</p>\n<p>{text(list_excerpt(card.body))}</p>\n'
            f'<p>{"".join(badges)}\n{viewer_part("proposal_card_live", id=card.id)}</p>\n</li>')
    return Markup("\n".join(items))


def text(value) -> str:
    """A typed value as HTML text: escaped, as a plain str (str + Markup would escape the str)."""
    return str(escape(value))


def list_content_html(head: Markup, page, cards: Markup, page_url) -> Markup:
    """The list page's content under the site header: its head (proposals/_list_head.html), how many proposals
    match, the cards, and the pager (previous/next from one extra row, "of N" only when the bounded count
    knows N; `page_url(n)` is page n's address)."""
    if page.total is not None:
        count = _("%(count)d proposals", count=page.total)
    else:
        count = _("More than %(count)d proposals", count=page.count_cap)
    html = [str(head), f'<p class="muted" role="status">{escape(count)}</p>']
    if page.items:
        html.append(f'<ul class="cards proposal-list">\n{cards}\n</ul>')
    else:
        html.append(f"<p>{escape(_('No proposals match.'))}</p>")
    if page.has_prev or page.has_next:
        html.append(f'<nav class="pager" aria-label="{escape(_("Pages"))}">')
        if page.has_prev:
            html.append(f'  <a rel="prev" href="{escape(page_url(page.prev_num))}">{escape(_("Previous"))}</a>')
        where = (_("Page %(page)d of %(pages)d", page=page.page, pages=page.pages) if page.pages
                 else _("Page %(page)d", page=page.page))
        html.append(f"  <span>{escape(where)}</span>")
        if page.has_next:
            html.append(f'  <a rel="next" href="{escape(page_url(page.next_num))}">{escape(_("Next"))}</a>')
        html.append("</nav>")
    return Markup("\n".join(html))
