"""Whole-page sharing: the busiest public pages (the proposal list and a proposal) are rendered once and
served to every guest, and to every resident, who asks for the same thing, until the content changes.
What differs between viewers (the header's unread count, "you support this", supports left, live counts)
is not in the shared page: it is a *viewer part*, filled in for each viewer after the request (below).

Why it is safe:
- Only guests and residents (staff pages show staff tools and unpublished answers: never shared), only
  GET/HEAD, only 200 responses, never with a pending flash message. Guests and residents never share an
  entry with each other. A view marks people who see a page differently (a proposal's author, the authors
  of its comments) with `exclude_viewer`: they get a page of their own.
- The key holds everything a shared page depends on: the path and query, the language, the host, the kind
  of viewer, what the view adds (the list's random seed; the viewer for "my proposals"; the viewer and
  what they support now for "supported by me") and the **content generation**.
- The content generation is one number in the database (`content_generation`). Every committed
  transaction that changed something a public page shows adds one to it, in the same transaction
  (before_commit below), so a page stored under the old number is never served after the change.
  Changes to rows no public page shows (notifications, tokens, audit, jobs, KPI figures, ...) leave
  it alone, and so do the counters that change with every support, endorsement and comment vote
  (statements marked with `COUNTS_ONLY`): those would empty the cache at every click at a peak. The
  counts a viewer part shows are read live; others (e.g. the endorser list) are at most
  PAGE_CACHE_SECONDS old.
- The CSRF token (the language switch form is on every page) is never stored: it is cut out after
  rendering and each response gets the visitor's own.

Each worker keeps its own entries, bounded by PAGE_CACHE_MAX_BYTES (least recently used go first).
PAGE_CACHE_SECONDS = 0 switches sharing off (viewer parts are still filled: one way a page is made)."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
import json
import re
import secrets
from functools import wraps
from typing import Callable

from flask import current_app, g, has_request_context, request, session
from flask.globals import request_ctx
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from participation.common.i18n import current_locale
from participation.extensions import db

# Execution option for UPDATE statements that only move counters or take a row lock.
COUNTS_ONLY = {"page_cache": "counts"}

# Tables whose rows no cached page shows, and the per-click tables behind the counters.
UNSHOWN_TABLES = frozenset({
    "account_tokens", "answer_reminders", "answer_templates", "api_tokens", "audit_log", "data_exports",
    "flags", "follows", "job_runs", "kpi_push_attempts", "kpi_snapshots", "notification_settings",
    "notifications", "participant_profiles", "policy_consents", "scheduler_locks", "content_generation",
    "proposal_supports", "proposal_endorsements", "comment_votes",
})
# Columns no cached page shows, per table (a sign-in updates the account row).
UNSHOWN_COLUMNS = {
    "users": frozenset({"last_sign_in_at", "updated_at", "password_hash", "locale", "confirmed_at",
                        "session_token", "email", "role", "activity_version"}),
    "proposals": frozenset({"supports_count", "endorsements_count", "updated_at"}),
    "comments": frozenset({"upvotes", "downvotes", "updated_at"}),
}
_CHANGED = "page_cache_content_changed"
_CSRF_HOLE = "\x00csrf\x00"


class ContentGeneration(db.Model):
    """One row: the number of committed changes to public content (see the module docstring)."""
    __tablename__ = "content_generation"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


# --- the generation ---------------------------------------------------------------------------
def _shown(obj) -> bool:
    return getattr(obj, "__tablename__", None) not in UNSHOWN_TABLES


def _shown_change(obj) -> bool:
    if not _shown(obj):
        return False
    unshown = UNSHOWN_COLUMNS.get(obj.__tablename__)
    if not unshown:
        return True
    return any(attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in unshown)


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session, _context) -> None:
    # The session's new/dirty/deleted still hold what this flush wrote.
    if not session.info.get(_CHANGED) and (any(map(_shown, session.new)) or any(map(_shown, session.deleted))
                                           or any(map(_shown_change, session.dirty))):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement_changes(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get("page_cache") == "counts":
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in UNSHOWN_TABLES:
        return
    state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump_generation(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit bumps (the row lock is then held only for the commit)
    session.flush()  # changes still pending are flushed only after this hook: note them now
    if session.info.pop(_CHANGED, False):
        session.execute(update(ContentGeneration).where(ContentGeneration.id == 1)
                        .values(value=ContentGeneration.value + 1))


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (rolled back, or committed and bumped)
        session.info.pop(_CHANGED, None)


def content_generation() -> int | None:
    # Plain SQL on the session's connection: read on every guest request, and a third of the ORM's cost.
    return db.session.connection().exec_driver_sql("SELECT value FROM content_generation WHERE id = 1").scalar()


def page_generation() -> int | None:
    """The generation a shared page is being rendered for (read once by shared_page: the parts of the page
    key on the same number), else read now."""
    if has_request_context():
        generation = getattr(request._get_current_object(), "_page_generation", None)
        if generation is not None:
            return generation
    return content_generation()


# --- the cache --------------------------------------------------------------------------------
class PageCache:
    """A thread-safe LRU of pages, bounded in characters (of their bodies), each entry living `seconds`.
    `hits` counts pages served from it and `misses` pages rendered (`shared_page` records them)."""

    def __init__(self, seconds: float, max_bytes: int):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[float, object, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple):
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < now:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def record(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def put(self, key: tuple, value, size: int) -> None:
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[2]
            self._entries[key] = (time.monotonic() + self.seconds, value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
            self.hits = self.misses = 0


def page_cache() -> PageCache | None:
    app = current_app._get_current_object()
    cache = app.extensions.get("page_cache")
    if cache is None and app.config.get("PAGE_CACHE_SECONDS", 0) > 0:
        cache = PageCache(app.config["PAGE_CACHE_SECONDS"], app.config.get("PAGE_CACHE_MAX_BYTES", 32 << 20))
        cache = app.extensions.setdefault("page_cache", cache)
    return cache


def shared_value(key: tuple, build: Callable[[], object], size: Callable[[object], int]):
    """A value read from the database once and shared by this worker's requests (the same cache limits as
    pages, a quarter of PAGE_CACHE_MAX_BYTES): `build()` under `key` plus the content generation, so a
    change to public content gives a new entry at once, and what the generation does not follow (the
    counters) is at most PAGE_CACHE_SECONDS old. Without sharing (PAGE_CACHE_SECONDS = 0) it is built
    each time. For reads every viewer gets the same answer to, e.g. a list's whole order; or for one
    viewer's own figures, with the viewer and what moves with their own changes in the key (a
    resident's activity version: proposals.queries.viewer_figures)."""
    app = current_app._get_current_object()
    cache = app.extensions.get("shared_values")
    if cache is None and app.config.get("PAGE_CACHE_SECONDS", 0) > 0:
        cache = PageCache(app.config["PAGE_CACHE_SECONDS"], app.config.get("PAGE_CACHE_MAX_BYTES", 32 << 20) // 4)
        cache = app.extensions.setdefault("shared_values", cache)
    if cache is None:
        return build()
    full_key = (page_generation(), *key)
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.put(full_key, value, size(value))
    return value


# --- parts that differ per viewer ----------------------------------------------------------
# A shared page is the same for many viewers; what differs between them (the header's unread count,
# "you support this", the supports left, the vote buttons' state, a form's submission key) is written as
# a marker naming a filler and the facts it needs (the same for every viewer), and after every request
# the markers of an HTML page are filled in for its viewer, cached page or not: one way a page is put
# together. Markers may sit in cached fragments too. A filler gets the facts of every marker of its name
# in the page at once and returns their HTML in order (one query for twenty cards, not twenty).
PART_FILLERS: dict[str, Callable[[list[dict]], list[str]]] = {}
_NONCE = secrets.token_hex(8)  # so that no text a person typed can pass for a marker
_PART_MARK = re.compile("\x00" + _NONCE + " ([a-z_]+) ([^\x00]*)\x00")
_to_json = json.JSONEncoder(separators=(",", ":")).encode  # one encoder: json.dumps(separators=) makes one a call


def part_filler(name: str):
    def register(fill):
        PART_FILLERS[name] = fill
        return fill
    return register


def viewer_part(name: str, **facts) -> Markup:
    """Template global: the viewer's own part `name`, described by `facts` (JSON values)."""
    if name not in PART_FILLERS:
        raise KeyError(f"no filler for the viewer part {name!r}")
    return Markup(f"\x00{_NONCE} {name} {_to_json(facts)}\x00")


def fill_parts(body: str) -> str:
    if "\x00" not in body:
        return body
    matches = list(_PART_MARK.finditer(body))
    if not matches:
        return body
    facts: dict[str, list[dict]] = {}
    for match in matches:
        facts.setdefault(match.group(1), []).append(json.loads(match.group(2)))
    filled = {name: iter(PART_FILLERS[name](items)) for name, items in facts.items()}
    return _PART_MARK.sub(lambda match: next(filled[match.group(1)]), body)


def _fill_response(response):
    if response.is_streamed or response.direct_passthrough or response.mimetype != "text/html":
        return response
    body = response.get_data(as_text=True)
    if "\x00" in body:
        response.set_data(fill_parts(body))
    return response


def init_app(app) -> None:
    app.after_request(_fill_response)


# --- shared pages -----------------------------------------------------------------------------
def _viewer_class() -> str | None:
    """Whom a cached page may be shared with: guests, or residents (signed-in pages of staff show staff tools
    and unpublished answers: rendered each time). A blocked account is never signed in (load_user)."""
    if not current_user.is_authenticated:
        return "guest"
    return "resident" if current_user.role == "resident" else None


def exclude_viewer(user_id: int | None) -> None:
    """Called by a view while rendering: this person sees the page differently (their own proposal, their
    own comments), so they are never served the shared page but one of their own (stored for them alone)."""
    if user_id is not None:
        g.setdefault("_page_excluded", set()).add(user_id)


def _serve(cache: PageCache, body: str) -> str:
    from participation.common.csrf import page_csrf_token  # here: that module uses this one's PageCache

    cache.record(hit=True)
    return body.replace(_CSRF_HOLE, page_csrf_token()) if _CSRF_HOLE in body else body


def shared_page(vary=None, skip=None):
    """Decorate a view whose page, apart from its viewer parts, is the same for every guest and for every
    resident (see the module docstring). `vary()` returns what else the page depends on for this visitor
    (e.g. the random-order seed); `skip()` is true for a request whose page must not be shared.
    An entry holds the page and the people it was not for (`exclude_viewer`); each of those has their
    own entry under the same key plus their id."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            viewer = _viewer_class()
            cache = page_cache()
            shareable = (cache is not None and viewer is not None and request.method in ("GET", "HEAD")
                         and "_flashes" not in session and not (skip and skip()))
            generation = content_generation() if shareable else None
            request._page_generation = generation  # a GET that shows public content: it writes none
            viewer_id = getattr(current_user, "id", None)
            key = own_key = None
            if generation is not None:
                key = (request.host, request.full_path, current_locale(), generation, viewer,
                       vary() if vary else None)
                own_key = key + (viewer_id,) if viewer_id is not None else None
                entry = cache.get(key)
                if entry is not None and viewer_id not in entry[1]:
                    return _serve(cache, entry[0])
                own = cache.get(own_key) if own_key is not None else None
                if own is not None:
                    return _serve(cache, own[0])
            if key is not None:
                cache.record(hit=False)
            g._page_excluded = set()
            result = view(*args, **kwargs)
            if key is not None and isinstance(result, str) and not request_ctx.flashes:
                token = g.get("csrf_token")
                body = result.replace(token, _CSRF_HOLE) if token else result
                excluded = frozenset(g._page_excluded)
                if viewer_id in excluded:
                    cache.put(own_key, (body, frozenset()), len(body))
                else:
                    cache.put(key, (body, excluded), len(body))
            return result
        return wrapper
    return decorate
