"""Named reads for proposals: listing (filters, sorts, search), similarity, limits, exports."""
from __future__ import annotations

import re
import unicodedata
from array import array
from datetime import timedelta

from flask import g, has_request_context, request
from sqlalchemy import String, and_, bindparam, case, column, func, literal, or_, select, table, text, union_all
from sqlalchemy.orm import joinedload, selectinload

from participation.common.pagecache import shared_value
from participation.common.reads import read
from participation.common.time import utcnow
from participation.extensions import db
from participation.kpi.actions import actions
from participation.proposals.models import (RANDOM_KEY_RANGE, AnswerState, AnswerTemplate, Proposal,
                                            ProposalAnswer, ProposalCategory, ProposalEndorsement,
                                            ProposalStatus, ProposalSupport)

SORTS = ("random", "supports", "endorsements", "comments", "recent")
STATUS_FILTERS = ("published", "withdrawn")
SIMILAR_LIMIT = 5
_SPACE_RE = re.compile(r"\s+")


# --- limits and windows ----------------------------------------------------------------------
# The reads every page view makes for its viewer parts are built once, with bound parameters: building
# and keying a statement costs more than running these small queries (a third of a millisecond each).
def _supports_used(user_id, process_id):
    """Count of the supports that take up a participant's per-process limit: only those on proposals that
    are published, not withdrawn and not hidden. A withdrawn proposal is excluded from supports, and a hidden
    one cannot be opened by a resident to take their support back, so neither may keep a support used up."""
    # EXISTS, not a join: it starts from the participant's few supports (user index) and looks each proposal
    # up by key. As a join, SQLite walked every visible proposal of the process instead (250 ms at 100k).
    counts_toward_limit = (select(Proposal.id)
                           .where(Proposal.id == ProposalSupport.proposal_id, Proposal.process_id == process_id,
                                  Proposal.status == "published", Proposal.hidden_at.is_(None))
                           .exists())
    return select(func.count(ProposalSupport.id)).where(ProposalSupport.user_id == user_id, counts_toward_limit)


SUPPORTS_USED = _supports_used(bindparam("user_id"), bindparam("process_id"))
_IDS = bindparam("ids", expanding=True)
# Cards' counts as they are now (whether the viewer supports each: supported_set).
LIVE_COUNTS = select(Proposal.id, Proposal.supports_count, Proposal.endorsements_count,
                     Proposal.comments_count).where(Proposal.id.in_(_IDS))
# Every proposal a person supports, by their supports' user index (see supported_set).
SUPPORTED_BY = select(ProposalSupport.proposal_id).where(ProposalSupport.user_id == bindparam("user_id"))
SUPPORTED_AMONG = select(ProposalSupport.proposal_id).where(ProposalSupport.user_id == bindparam("user_id"),
                                                            ProposalSupport.proposal_id.in_(_IDS))
ENDORSED_AMONG = select(ProposalEndorsement.proposal_id).where(
    ProposalEndorsement.user_id == bindparam("user_id"), ProposalEndorsement.proposal_id.in_(_IDS))


def _own_proposals(*statuses):
    return (select(func.count(Proposal.id))
            .where(Proposal.author_id == bindparam("user_id"), Proposal.process_id == bindparam("process_id"),
                   Proposal.status.in_(statuses)).scalar_subquery())


VIEWER_FIGURES = select(_own_proposals("published", "withdrawn"), _own_proposals("draft"),
                        SUPPORTS_USED.scalar_subquery())

# A proposal page's support block: the live count and whether the viewer supports it, in one read (their
# supports used come from viewer_figures, kept between requests).
_ONE = bindparam("id")
SUPPORT_STATE = select(
    select(Proposal.supports_count).where(Proposal.id == _ONE).scalar_subquery(),
    select(ProposalSupport.id).where(ProposalSupport.proposal_id == _ONE,
                                     ProposalSupport.user_id == bindparam("user_id")).exists())


def support_state(user, proposal_id: int) -> tuple[int, bool]:
    """(supports now, whether `user` supports it); a guest supports nothing."""
    count, supported = read(SUPPORT_STATE, {"id": proposal_id, "user_id": _viewer_id(user)}).one()
    return count or 0, bool(supported)


def supports_used(user, process) -> int:
    """How many of the process's supports `user` has used (cached per request: no N+1 in lists). Read fresh:
    the limit is decided by it; what pages show comes from viewer_figures, kept between requests."""
    return supports_used_by(user.id, process.id)


def supports_used_by(user_id: int, process_id: int) -> int:
    cache = _request_cache()
    key = (user_id, process_id)
    if key not in cache:
        cache[key] = read(SUPPORTS_USED, {"user_id": user_id, "process_id": process_id}).scalar() or 0
    return cache[key]


def _request_cache() -> dict:
    if not has_request_context():
        return {}
    holder = request._get_current_object()
    cache = getattr(holder, "_proposal_supports_used", None)
    if cache is None:
        cache = {}
        holder._proposal_supports_used = cache
    return cache


def forget_supports_used() -> None:
    _request_cache().clear()


def supports_left(user, process) -> int | None:
    """Supports the user may still give in the process; None when unlimited or not applicable."""
    if process is None or not process.support_limit or not getattr(user, "is_authenticated", False):
        return None
    return max(process.support_limit - supports_used(user, process), 0)


def in_edit_window(proposal: Proposal, now=None) -> bool:
    if proposal.published_at is None:
        return True
    now = now or utcnow()
    return now <= proposal.published_at + timedelta(minutes=proposal.process.edit_window_minutes)


def published_count_by(user, process) -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(
        Proposal.author_id == user.id, Proposal.process_id == process.id,
        Proposal.status.in_(("published", "withdrawn")))) or 0


# --- categories, states, templates -----------------------------------------------------------
def categories_for(process) -> list[ProposalCategory]:
    """Categories usable in a process: its own and the global ones."""
    return list(db.session.scalars(
        select(ProposalCategory).where(or_(ProposalCategory.process_id == process.id,
                                           ProposalCategory.process_id.is_(None)))
        .order_by(ProposalCategory.position, ProposalCategory.id)))


def all_categories() -> list[ProposalCategory]:
    return list(db.session.scalars(select(ProposalCategory).order_by(ProposalCategory.process_id.is_not(None),
                                                                     ProposalCategory.position,
                                                                     ProposalCategory.id)))


def answer_states() -> list[AnswerState]:
    return list(db.session.scalars(select(AnswerState).order_by(AnswerState.position, AnswerState.id)))


def answer_templates() -> list[AnswerTemplate]:
    return list(db.session.scalars(select(AnswerTemplate).options(joinedload(AnswerTemplate.state))
                                   .order_by(AnswerTemplate.title)))


# --- text search -----------------------------------------------------------------------------
def _terms(query: str) -> list[str]:
    query = unicodedata.normalize("NFKC", query or "").strip()
    return [term for term in _SPACE_RE.split(query) if term][:8]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(query: str):
    """The one text-search function: a WHERE condition matching every whitespace-separated term
    in title or body, on character trigrams (SQLite FTS5 trigram, PostgreSQL pg_trgm + ILIKE);
    terms shorter than three characters fall back to LIKE. None when the query is empty."""
    terms = _terms(query)
    if not terms:
        return None
    dialect = db.session.get_bind().dialect.name
    conditions = []
    for term in terms:
        pattern = _like_pattern(term)
        if dialect == "sqlite" and len(term) >= 3:
            phrase = '"' + term.replace('"', '""') + '"'
            conditions.append(Proposal.id.in_(
                select(literal_column_rowid()).select_from(text("proposals_fts"))
                .where(text("proposals_fts MATCH :fts_" + str(len(conditions))).bindparams(
                    **{"fts_" + str(len(conditions)): phrase}))))
        elif dialect == "postgresql":
            conditions.append(or_(Proposal.title.ilike(pattern, escape="\\"),
                                  Proposal.body.ilike(pattern, escape="\\")))
        else:
            conditions.append(or_(Proposal.title.like(pattern, escape="\\"),
                                  Proposal.body.like(pattern, escape="\\")))
    return and_(*conditions)


def literal_column_rowid():
    from sqlalchemy import literal_column

    return literal_column("rowid")


# --- similar proposals -----------------------------------------------------------------------
def _ngrams(value: str, n: int = 3) -> set[str]:
    value = _SPACE_RE.sub("", unicodedata.normalize("NFKC", value or "").lower())
    if len(value) < n:
        return {value} if value else set()
    return {value[i:i + n] for i in range(len(value) - n + 1)}


def _similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similar_proposals(process, title: str, body: str, *, exclude_id: int | None = None,
                      limit: int = SIMILAR_LIMIT) -> list[tuple[Proposal, float]]:
    """Published proposals of the process most similar to a title/body, by character-trigram Dice
    similarity. Candidates come from the trigram index (FTS5 / pg_trgm) matching any of the
    new text's trigrams, ranked in SQL by how many trigrams they share, then scored exactly."""
    title_grams = sorted(_ngrams(title))
    body_grams = [gram for gram in sorted(_ngrams((body or "")[:300])) if gram not in title_grams]
    probe = (title_grams + body_grams)[:40]
    if not probe:
        return []
    dialect = db.session.get_bind().dialect.name
    stmt = select(Proposal).where(Proposal.process_id == process.id, Proposal.status == "published",
                                  Proposal.hidden_at.is_(None))
    if exclude_id:
        stmt = stmt.where(Proposal.id != exclude_id)
    haystack = func.lower(Proposal.title + literal(" ") + func.substr(Proposal.body, 1, 500))
    shared = sum(case((haystack.like(_like_pattern(gram), escape="\\"), 1), else_=0) for gram in probe)
    if dialect == "sqlite":
        grams = [gram for gram in probe if len(gram) == 3]
        if grams:
            match = " OR ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
            stmt = stmt.where(Proposal.id.in_(select(literal_column_rowid()).select_from(text("proposals_fts"))
                                              .where(text("proposals_fts MATCH :similar").bindparams(
                                                  similar=match))))
    elif dialect == "postgresql":
        stmt = stmt.where(or_(*[Proposal.title.ilike(_like_pattern(gram), escape="\\") for gram in probe],
                              *[Proposal.body.ilike(_like_pattern(gram), escape="\\") for gram in probe]))
    candidates = list(db.session.scalars(stmt.order_by(shared.desc(), Proposal.id.desc()).limit(50)))
    wanted = _ngrams(title) | _ngrams((body or "")[:300])
    scored = [(p, _similarity(wanted, _ngrams(p.title) | _ngrams(p.body[:300]))) for p in candidates]
    scored = [item for item in scored if item[1] >= 0.08]
    scored.sort(key=lambda item: (-item[1], -item[0].id))
    return scored[:limit]


# --- listing ---------------------------------------------------------------------------------
COUNT_CAP = 1000  # the list counts its rows up to here; beyond, it says "more than 1,000"


def random_start(seed: int) -> int:
    """Where a visitor's "random" order starts in the stored random keys."""
    return seed % RANDOM_KEY_RANGE


def random_order(seed: int) -> tuple:
    """A per-visitor order over the stored random keys: from the visitor's start point to the end, then
    from the beginning (a rotation: stable across pages, different for another seed)."""
    start = random_start(seed)
    return (case((Proposal.random_key >= start, 0), else_=1), Proposal.random_key, Proposal.id)


def _not_indexed(column):
    """The column in an expression (+ 0) that no index matches: it steers the planner to another index."""
    return column + 0


def _conditions(process, user, *, status=None, state=None, category_id=None, area_id=None, mine=False,
                supported=False, query=None, staff=False, for_count=False) -> list:
    """The list's WHERE. A category or area filter is written for the index its query should read (SQLite
    otherwise picks the wrong one, with or without statistics): a page reads its order's index and skips
    the other categories (0.1 ms, not 20 ms of sorting); a count reads the category or area index instead
    of every visible proposal of the process (2-13 ms, not 50-200 ms, at 100,000 proposals)."""
    by_category_or_area = bool(category_id or area_id)
    # "Supported by me" starts from the person's supports (user index, then proposals by key); with the
    # process column indexed SQLite walked the process's proposals instead (34 ms -> 1 ms at 100,000).
    steer_off_process = (for_count and by_category_or_area) or supported
    process_column = _not_indexed(Proposal.process_id) if steer_off_process else Proposal.process_id
    conditions = [process_column == process.id]
    if status == "withdrawn":
        conditions.append(Proposal.status == "withdrawn")
    elif status == "all" and staff:
        conditions.append(Proposal.status.in_(("published", "withdrawn")))
    else:
        conditions.append(Proposal.status == "published")
    if not staff:
        conditions.append(Proposal.hidden_at.is_(None))
    if state:
        answered = select(ProposalAnswer.proposal_id).join(AnswerState).where(AnswerState.code == state)
        if not staff:
            answered = answered.where(ProposalAnswer.published_at.is_not(None))
        conditions.append(Proposal.id.in_(answered))
    if category_id:
        conditions.append((Proposal.category_id if for_count else _not_indexed(Proposal.category_id)) == category_id)
    if area_id:
        conditions.append((Proposal.area_id if for_count else _not_indexed(Proposal.area_id)) == area_id)
    signed_in = getattr(user, "is_authenticated", False)
    if mine:
        conditions.append(Proposal.author_id == (user.id if signed_in else -1))
    if supported:
        conditions.append(Proposal.id.in_(select(ProposalSupport.proposal_id).where(
            ProposalSupport.user_id == (user.id if signed_in else -1))))
    condition = search_condition(query or "")
    if condition is not None:
        conditions.append(condition)
    return conditions


def list_proposals(process, user, *, sort: str = "recent", seed: int = 0, **filters):
    """The list's select as one statement (staff lists, tests): visible proposals of a process (filters:
    status, state, category_id, area_id, mine, supported, query, staff) with author, category, area and
    answer loaded by a constant number of IN queries."""
    return (select(Proposal).where(*_conditions(process, user, **filters))
            .options(selectinload(Proposal.author), selectinload(Proposal.category), selectinload(Proposal.area),
                     selectinload(Proposal.answer).joinedload(ProposalAnswer.state))
            .order_by(*_order(sort, seed)))


def _order(sort: str, seed: int) -> tuple:
    """Every order but "random" reads one of the ix_proposals_visible_* indexes backwards."""
    if sort == "random":
        return random_order(seed)
    column = {"supports": Proposal.supports_count, "endorsements": Proposal.endorsements_count,
              "comments": Proposal.comments_count}.get(sort, Proposal.published_at)
    return (column.desc(), Proposal.id.desc())


class ProposalPage:
    """One page of proposals for the list's pager. `total` is exact up to COUNT_CAP rows and None beyond
    (then `pages` is None too and the pager shows the page number with previous/next only)."""

    def __init__(self, items: list, page: int, per_page: int, *, has_next: bool, total: int | None,
                 count_cap: int | None = None):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total
        self.pages = max(1, -(-total // per_page)) if total is not None else None
        self.has_prev, self.has_next = page > 1, has_next
        self.prev_num, self.next_num = page - 1, page + 1
        self.count_cap = COUNT_CAP if count_cap is None else count_cap


def _ordered_ids(conditions, sort: str, seed: int, limit: int | None, offset: int) -> list[int]:
    """The ids of a page (`limit` rows from `offset`) in the list's order; limit None: every id from offset."""
    if sort != "random":
        return list(_rows(select(Proposal.id).where(*conditions).order_by(*_order(sort, seed))
                          .limit(limit).offset(offset)).scalars())
    # The rotation as two index range scans, each stopping after offset + limit entries.
    start = random_start(seed)
    halves = ((0, Proposal.random_key >= start), (1, Proposal.random_key < start))
    if limit is None:  # the whole rotation: one half after the other, each in its index's order
        return [id_ for _part, condition in halves for id_ in _rows(
            select(Proposal.id).where(*conditions, condition).order_by(Proposal.random_key, Proposal.id)).scalars()
        ][offset:]
    parts = []
    for part, condition in halves:
        parts.append(select(Proposal.id, Proposal.random_key, literal(part).label("part"))
                     .where(*conditions, condition).order_by(Proposal.random_key, Proposal.id)
                     .limit(offset + limit).subquery())
    both = union_all(*[select(p.c.id, p.c.random_key, p.c.part) for p in parts]).subquery()
    return list(_rows(select(both.c.id).order_by(both.c.part, both.c.random_key, both.c.id)
                      .limit(limit).offset(offset)).scalars())


# From this offset a page is a slice of the list's whole order, read once and shared by the worker's
# requests (common.pagecache.shared_value): an OFFSET walks every index entry before the page, 3-25 ms
# at 80,000 (the filtered orders skip rows of other categories too), and reading the whole order of
# 100,000 proposals costs 30-50 ms once. Before it, OFFSET is cheaper than keeping the order.
DEEP_OFFSET = 1000


def _page_ids(conditions, sort: str, seed: int, limit: int, offset: int, order_key: tuple) -> list[int]:
    """`conditions()` builds the WHERE: a deep page served from the shared order needs none."""
    if offset < DEEP_OFFSET:
        return _ordered_ids(conditions(), sort, seed, limit, offset)
    order = shared_value(("proposal-order", *order_key),
                         lambda: array("q", _ordered_ids(conditions(), sort, seed, None, 0)),
                         lambda ids: ids.itemsize * len(ids))
    return list(order[offset:offset + limit])


def bounded_count(conditions, cap: int | None = None) -> int | None:
    """How many rows match, if at most `cap` (reads at most cap + 1 index entries); None when more."""
    cap = COUNT_CAP if cap is None else cap
    found = _rows(select(func.count()).select_from(
        select(Proposal.id).where(*conditions).limit(cap + 1).subquery())).scalar() or 0
    return found if found <= cap else None


class _Named:
    """A category, area or answer state as the list card shows it (no ORM object per card)."""

    __slots__ = ("id", "code", "colour", "name_ja", "name_en")

    def __init__(self, name_ja, name_en, code=None, colour=None, id=None):
        self.name_ja, self.name_en, self.code, self.colour, self.id = name_ja, name_en, code, colour, id

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ja

    label = name

    # Equal by value: a rendered badge is cached under the state it shows (common.fragments.cached_macro).
    def _values(self) -> tuple:
        return self.id, self.code, self.colour, self.name_ja, self.name_en

    def __eq__(self, other) -> bool:
        return isinstance(other, _Named) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())


class _Answer:
    __slots__ = ("published_at", "state")

    def __init__(self, published_at, state):
        self.published_at, self.state = published_at, state


class ProposalCard(ProposalStatus):
    """What a list card shows of a proposal, read from one row of one joined query."""

    __slots__ = ("id", "title", "reference", "body", "status", "hidden_at", "supports_count",
                 "endorsements_count", "comments_count", "author_name", "category", "area", "answer", "supported")

    def __init__(self, row, supported: bool = False):
        (self.id, self.title, self.reference, self.body, self.status, self.hidden_at, self.supports_count,
         self.endorsements_count, self.comments_count) = row[:9]
        display_name, deleted_at, cat_ja, cat_en, area_ja, area_en, published_at, code, label_ja, label_en, \
            colour = row[9:]
        self.supported = supported  # by the viewer the cards were read for
        self.author_name = display_name if display_name is not None and deleted_at is None else None
        self.category = _Named(cat_ja, cat_en) if cat_ja is not None else None
        self.area = _Named(area_ja, area_en) if area_ja is not None else None
        self.answer = _Answer(published_at, _Named(label_ja, label_en, code, colour)) if code is not None else None

    def live_counts(self) -> tuple[int, int, int, bool]:
        """As live_counts() gives them: supports, endorsements, comments, supported by the viewer."""
        return self.supports_count, self.endorsements_count, self.comments_count, self.supported


def _rows(stmt):
    """Run a Core select on the session's connection (no ORM execution layer: these reads return rows)."""
    return db.session.connection().execute(stmt)


def _filter_choices_statement():
    from participation.accounts.models import Area

    none = literal(None, String)
    return union_all(
        select(literal("category"), ProposalCategory.id, ProposalCategory.name_ja, ProposalCategory.name_en,
               none, none, ProposalCategory.position, literal("")).where(
            or_(ProposalCategory.process_id == bindparam("process_id"), ProposalCategory.process_id.is_(None))),
        select(literal("area"), Area.id, Area.name_ja, Area.name_en, none, none, Area.position, Area.name_ja),
        select(literal("state"), AnswerState.id, AnswerState.label_ja, AnswerState.label_en, AnswerState.code,
               AnswerState.colour, AnswerState.position, literal("")))


def list_filter_choices(process) -> dict[str, list[_Named]]:
    """The list filters' categories (the process's and global ones), areas and answer states in one query,
    shared by the worker's requests until public content changes (they are public content)."""
    def build():
        choices: dict[str, list] = {"category": [], "area": [], "state": []}
        rows = read(_statement("filter_choices", _filter_choices_statement), {"process_id": process.id})
        for kind, id_, name_ja, name_en, code, colour, position, name_key in sorted(
                rows, key=lambda row: (row[0], row[6], row[7], row[1])):
            choices[kind].append(_Named(name_ja, name_en, code, colour, id_))
        return choices

    return shared_value(("proposal-filter-choices", process.id), build,
                        lambda choices: 200 * sum(map(len, choices.values())))


EXCERPT_SOURCE_CHARS = 360  # list_excerpt reads at most this much of the body


def _cards_statement():
    from participation.accounts.models import Area, User

    return (
        select(Proposal.id, Proposal.title, Proposal.reference, func.substr(Proposal.body, 1, EXCERPT_SOURCE_CHARS),
               Proposal.status, Proposal.hidden_at, Proposal.supports_count, Proposal.endorsements_count,
               Proposal.comments_count, User.display_name, User.deleted_at, ProposalCategory.name_ja,
               ProposalCategory.name_en, Area.name_ja, Area.name_en, ProposalAnswer.published_at, AnswerState.code,
               AnswerState.label_ja, AnswerState.label_en, AnswerState.colour)
        .outerjoin(User, User.id == Proposal.author_id)
        .outerjoin(ProposalCategory, ProposalCategory.id == Proposal.category_id)
        .outerjoin(Area, Area.id == Proposal.area_id)
        .outerjoin(ProposalAnswer, ProposalAnswer.proposal_id == Proposal.id)
        .outerjoin(AnswerState, AnswerState.id == ProposalAnswer.state_id)
        .where(Proposal.id.in_(_IDS)))


_STATEMENTS: dict = {}


def _statement(name: str, build):
    """A statement that joins other features' models, built on first use (their modules are loaded by then)
    and then kept: building one costs about as much as running it."""
    stmt = _STATEMENTS.get(name)
    if stmt is None:
        stmt = _STATEMENTS[name] = build()
    return stmt


def cards(ids: list[int], user=None) -> list[ProposalCard]:
    """The list cards of these proposals, in this order, in one query (author, category, area, answer state
    joined; only the start of the body; whether `user` supports each)."""
    if not ids:
        return []
    user_id = _viewer_id(user)
    rows = read(_statement("cards", _cards_statement), {"ids": list(ids)}).all()
    supported = supported_set(user) if user_id is not None else frozenset()
    by_id = {row[0]: ProposalCard(row, row[0] in supported) for row in rows}
    if has_request_context():
        # The counts just read are the live counts of this page's card parts (see live_counts).
        g._proposal_counts_read = (user_id, {card.id: card.live_counts() for card in by_id.values()})
    return [by_id[i] for i in ids if i in by_id]


SEARCH_CAP = 200  # a search considers the newest SEARCH_CAP + 1 matches (bounded work for any term)


def search_candidates(conditions: list, query: str):
    """The ids of the newest proposals matching the filters and every search term, at most SEARCH_CAP + 1
    (so a term found in every proposal costs as little as a rare one); None when the query is empty.
    SQLite reads the FTS5 trigram index newest first and stops there; terms under three characters and
    PostgreSQL (pg_trgm) use search_condition."""
    terms = _terms(query)
    if not terms:
        return None
    if db.session.get_bind().dialect.name == "sqlite":
        long_terms = [term for term in terms if len(term) >= 3]
        short = search_condition(" ".join(term for term in terms if len(term) < 3))
        if long_terms:
            fts = table("proposals_fts", column("rowid"))
            match = " ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
            stmt = (select(Proposal.id.label("id")).select_from(fts).join(Proposal, Proposal.id == fts.c.rowid)
                    .where(text("proposals_fts MATCH :search_match").bindparams(search_match=match), *conditions)
                    .order_by(fts.c.rowid.desc()))
            if short is not None:
                stmt = stmt.where(short)
            return stmt.limit(SEARCH_CAP + 1)
        return (select(Proposal.id.label("id")).where(*conditions, short).order_by(Proposal.id.desc())
                .limit(SEARCH_CAP + 1))
    return (select(Proposal.id.label("id")).where(*conditions, search_condition(query))
            .order_by(Proposal.id.desc()).limit(SEARCH_CAP + 1))


def _search_page(candidates, sort: str, seed: int, limit: int, offset: int,
                 exact: bool = False) -> tuple[list[int], int | None]:
    """One query: the page's ids among the candidates, in the chosen order, with the candidates' count
    (None when over SEARCH_CAP, unless exact)."""
    found = candidates.cte("search_candidates").prefix_with("MATERIALIZED")
    count = select(func.count()).select_from(found).scalar_subquery()
    rows = _rows(select(Proposal.id, count).join(found, found.c.id == Proposal.id)
                 .order_by(*_order(sort, seed)).limit(limit).offset(offset)).all()
    if rows:
        total = rows[0][1]
    else:
        total = db.session.scalar(select(func.count()).select_from(candidates.subquery())) or 0
    return [row[0] for row in rows], (total if exact or total <= SEARCH_CAP else None)


def list_page(process, user, *, page: int, per_page: int = 20, sort: str = "recent", seed: int = 0,
              **filters) -> ProposalPage:
    """The list page in three queries, fast at 100,000 proposals: the page's ids (one more, to know whether
    a next page exists) from an index read in order, their cards from one joined query by id, and a count
    that stops at COUNT_CAP (no count of every row). A search sorts and counts its bounded candidates."""
    query = filters.pop("query", None)
    sort = sort if sort in SORTS else "recent"
    candidates = search_candidates(_conditions(process, user, **filters), query) if _terms(query or "") else None
    if candidates is None and (filters.get("mine") or filters.get("supported")):
        # A person's own proposals or supports are few: find them by the author / support index, then sort
        # them. Reading a list-order index instead walked the whole process (mine: ~40 ms at 100k).
        offset = (page - 1) * per_page
        mine_or_supported = select(Proposal.id.label("id")).where(*_conditions(process, user, **filters))
        ids, total = _search_page(mine_or_supported, sort, seed, per_page + 1, offset, exact=True)
    elif candidates is None:
        offset = (page - 1) * per_page
        # What the order depends on: the process, the sort (and the seed of a random one), the filters.
        order_key = (process.id, sort, seed if sort == "random" else 0, *sorted(filters.items()))
        ids = _page_ids(lambda: _conditions(process, user, **filters), sort, seed, per_page + 1, offset, order_key)
        if page > 1 and ids and len(ids) <= per_page:  # the last of several pages: the total is known
            total = offset + len(ids)
        else:
            total = (bounded_count(_conditions(process, user, **filters, for_count=True))
                     if offset < COUNT_CAP else None)
    else:
        ids, total = _search_page(candidates, sort, seed, per_page + 1, (page - 1) * per_page)
    has_next = len(ids) > per_page
    return ProposalPage(cards(ids[:per_page], user), page, per_page, has_next=has_next, total=total,
                        count_cap=COUNT_CAP if candidates is None else SEARCH_CAP)


def count_proposals(process, user, **filters) -> int:
    """The exact number of rows list_proposals selects (exports, reports; not the list page)."""
    return db.session.scalar(select(func.count(Proposal.id)).where(*_conditions(process, user, **filters))) or 0


def supported_ids(user, proposal_ids) -> set[int]:
    """Which of these proposals the user supports: one query for a whole page."""
    if not getattr(user, "is_authenticated", False) or not proposal_ids:
        return set()
    return set(read(SUPPORTED_AMONG, {"user_id": user.id, "ids": list(proposal_ids)}).scalars())


def has_supported(user, proposal) -> bool:
    return proposal.id in supported_ids(user, [proposal.id])


def endorsed_ids(user, proposal_ids) -> set[int]:
    """Which of these proposals the user endorses."""
    if not getattr(user, "is_authenticated", False) or not proposal_ids:
        return set()
    return set(read(ENDORSED_AMONG, {"user_id": user.id, "ids": list(proposal_ids)}).scalars())


def has_endorsed(user, proposal) -> bool:
    return proposal.id in endorsed_ids(user, [proposal.id])


def endorser_names(proposal, limit: int = 200) -> list[str]:
    """The public names of the first endorsers: two columns, not 200 account objects."""
    from participation.accounts.models import User

    rows = db.session.execute(select(User.display_name, User.deleted_at)
                              .join(ProposalEndorsement, ProposalEndorsement.user_id == User.id)
                              .where(ProposalEndorsement.proposal_id == proposal.id)
                              .order_by(ProposalEndorsement.id).limit(limit))
    return [User.public_name_of(name, deleted_at) for name, deleted_at in rows]


def proposal_for_page(proposal_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id).options(
        joinedload(Proposal.author), joinedload(Proposal.category), joinedload(Proposal.area),
        joinedload(Proposal.process), joinedload(Proposal.answer).joinedload(ProposalAnswer.state)))


def viewer_figures(user, process_id: int) -> tuple[int, int, int]:
    """A participant's published (or withdrawn) proposals, drafts and supports used in a process, in one
    query: what the list page tells each signed-in viewer about themselves. Read once and kept by the worker
    (common.pagecache.shared_value) until public content changes (their proposals are public content) or
    their supports do (their activity version): a resident paging through a list reads them once."""
    def read_figures() -> tuple[int, int, int]:
        published, drafts, supports = read(VIEWER_FIGURES, {"user_id": user.id, "process_id": process_id}).one()
        return published or 0, drafts or 0, supports or 0

    return shared_value(("viewer-figures", user.id, user.activity_version, process_id), read_figures, lambda _: 64)


def live_counts(proposal_ids, user=None) -> dict[int, tuple[int, int, int, bool]]:
    """Supports, endorsements and comments of these proposals as they are now (shared pages may be seconds
    old; these counters are read fresh for every viewer), and whether `user` supports each: one query for a
    whole page, or none when this request has just read them all for its cards (a page rendered now, not
    served from the page cache: a GET, which writes nothing in between)."""
    if not proposal_ids:
        return {}
    user_id = _viewer_id(user)
    known = g.get("_proposal_counts_read") if has_request_context() else None
    if known is not None and known[0] == user_id and all(i in known[1] for i in proposal_ids):
        return {i: known[1][i] for i in proposal_ids}
    rows = read(LIVE_COUNTS, {"ids": list(proposal_ids)})
    supported = supported_set(user) if user_id is not None else frozenset()
    return {row[0]: (row[1], row[2], row[3], row[0] in supported) for row in rows}


def supported_set(user) -> frozenset[int]:
    """Every proposal `user` supports: one read of their supports' index range, kept by the worker until
    their activity version moves (each support and its withdrawal; common.pagecache.shared_value). Twenty
    cards then need no lookup each in the index of every support."""
    return shared_value(("supported-set", user.id, user.activity_version),
                        lambda: frozenset(read(SUPPORTED_BY, {"user_id": user.id}).scalars()),
                        lambda ids: 64 + 40 * len(ids))


def _viewer_id(user) -> int | None:
    return user.id if getattr(user, "is_authenticated", False) else None


def draft_count(user, process) -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(
        Proposal.author_id == user.id, Proposal.status == "draft", Proposal.process_id == process.id)) or 0


def drafts_of(user, process=None) -> list[Proposal]:
    stmt = select(Proposal).where(Proposal.author_id == user.id, Proposal.status == "draft")
    if process is not None:
        stmt = stmt.where(Proposal.process_id == process.id)
    return list(db.session.scalars(stmt.options(joinedload(Proposal.process)).order_by(Proposal.updated_at.desc())))


def staff_list(process, *, state: str | None = None, unanswered: bool = False, query: str | None = None):
    stmt = list_proposals(process, None, status="all", state=state, query=query, sort="recent", staff=True)
    if unanswered:
        stmt = stmt.where(~Proposal.id.in_(select(ProposalAnswer.proposal_id)))
    return stmt


def export_rows(process):
    """Every published or withdrawn proposal of a process with its answer, streamed in batches."""
    stmt = (select(Proposal).where(Proposal.process_id == process.id,
                                   Proposal.status.in_(("published", "withdrawn")))
            .options(joinedload(Proposal.author), joinedload(Proposal.category), joinedload(Proposal.area),
                     joinedload(Proposal.answer).joinedload(ProposalAnswer.state))
            .order_by(Proposal.id).execution_options(yield_per=500))
    return db.session.scalars(stmt)


def due_answers(now):
    return select(ProposalAnswer).where(ProposalAnswer.publish_at.is_not(None), ProposalAnswer.publish_at <= now,
                                        ProposalAnswer.published_at.is_(None)).order_by(ProposalAnswer.id)


def process_proposal_count(process) -> int:
    return db.session.scalar(select(func.count(Proposal.id)).where(
        Proposal.process_id == process.id, Proposal.status == "published", Proposal.hidden_at.is_(None))) or 0


def process_support_count(process) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Proposal.supports_count), 0)).where(
        Proposal.process_id == process.id, Proposal.status == "published", Proposal.hidden_at.is_(None))) or 0


def process_participant_count(process) -> int:
    """Distinct people who have acted in the process (published a proposal, supported, endorsed,
    commented...): the KPI engine's participation actions (kpi/actions.py) of this process, all time,
    the same definition as the "participants" indicator at process scope."""
    acted = actions("process_actions")
    return db.session.scalar(select(func.count(func.distinct(acted.c.user_id)))
                             .where(acted.c.process_id == process.id)) or 0


def process_comment_count(process) -> int:
    """Visible comments on the process's visible proposals (each proposal caches its count of comments
    that are neither deleted nor hidden in comments_count)."""
    return db.session.scalar(select(func.coalesce(func.sum(Proposal.comments_count), 0)).where(
        Proposal.process_id == process.id, Proposal.status == "published", Proposal.hidden_at.is_(None))) or 0
