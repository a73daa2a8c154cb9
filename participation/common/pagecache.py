"""Whole-page cache for guests: the busiest public pages (the proposal list and a proposal) are rendered
once and served to every guest who asks for the same thing, until the content changes.

Why it is safe:
- Only guests (nobody signed in), only GET/HEAD, only 200 responses, never with a pending flash message.
- The key holds everything a guest's page depends on: the path and query, the language, the host, what
  the view adds (the list's random seed) and the **content generation**.
- The content generation is one number in the database (`content_generation`). Every committed
  transaction that changed something a public page shows adds one to it, in the same transaction
  (before_commit below), so a page cached under the old number is never served after the change.
  Changes to rows no public page shows (notifications, tokens, audit, jobs, KPI figures, ...) leave
  it alone, and so do the counters that change with every support, endorsement and comment vote
  (statements marked with `COUNTS_ONLY`): those would empty the cache at every click at a peak. A
  guest sees those counts at most PAGE_CACHE_SECONDS old; a signed-in person always sees them live.
- The CSRF token (the language switch form is on every page) is never cached: it is cut out after
  rendering and each response gets the visitor's own.

Each worker keeps its own entries, bounded by PAGE_CACHE_MAX_BYTES (least recently used go first).
PAGE_CACHE_SECONDS = 0 switches the cache off."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
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
                        "session_token", "email", "role"}),
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


# --- the cache --------------------------------------------------------------------------------
class PageCache:
    """A thread-safe LRU of page bodies, bounded in characters, each entry living `seconds`."""

    def __init__(self, seconds: float, max_bytes: int):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> str | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < now:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: tuple, body: str) -> None:
        if len(body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._entries[key] = (time.monotonic() + self.seconds, body)
            self._size += len(body)
            while self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= len(dropped)

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


def _cacheable() -> bool:
    return (request.method in ("GET", "HEAD") and not current_user.is_authenticated
            and "_flashes" not in session)


def guest_page(vary=None):
    """Decorate a view whose page is the same for every guest (see the module docstring). `vary()` returns
    what else the page depends on for this visitor (e.g. the random-order seed)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            cache = page_cache()
            if cache is None or not _cacheable():
                return view(*args, **kwargs)
            generation = content_generation()
            if generation is None:
                return view(*args, **kwargs)
            key = (request.host, request.full_path, current_locale(), generation,
                   vary() if vary else None)
            body = cache.get(key)
            if body is None:
                body = view(*args, **kwargs)
                if not isinstance(body, str) or request_ctx.flashes:
                    return body
                token = g.get("csrf_token")
                cache.put(key, body.replace(token, _CSRF_HOLE) if token else body)
                return body
            return body.replace(_CSRF_HOLE, generate_csrf()) if _CSRF_HOLE in body else body
        return wrapper
    return decorate
