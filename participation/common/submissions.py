"""Idempotent form submissions: a double tap or a resend stores nothing the second time.

A form that creates something carries a random submission key, made when the form is shown. The
service stores the key with the new row; a unique index on (author_id, submission_key) lets the
database refuse a second row with the same key, and the service then returns the row stored first.
The key is optional: a request without one (an old page) creates a row as before."""
from __future__ import annotations

import re
import secrets
from typing import Callable, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.common.errors import DomainError
from participation.extensions import db

SUBMISSION_KEY_MAX = 64
T = TypeVar("T")
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,%d}" % SUBMISSION_KEY_MAX)


def new_submission_key() -> str:
    """22 URL-safe characters (128 random bits)."""
    return secrets.token_urlsafe(16)


def is_submission_key(value) -> bool:
    return isinstance(value, str) and _KEY_SHAPE.fullmatch(value) is not None


def clean_submission_key(value) -> str | None:
    """None for no key; the key itself when well formed; DomainError (400) otherwise."""
    if value is None or value == "":
        return None
    if not is_submission_key(value):
        raise DomainError(_l("This form could not be read. Please go back, reload the page and try again."), 400)
    return value


def insert_once(build: Callable[[], T], key: str | None, same: Callable[[T], bool]) -> tuple[T, bool]:
    """Insert the row `build()` makes (a model with author_id and submission_key) and flush it.

    Returns (row, True); or, when the same author already stored a row with this key and `same(stored)`
    says it holds what this request sends (a double submit), (stored, False) and nothing is added.
    A stored row that differs is a page used again (e.g. restored by the browser's back button with its
    old key): the new row is stored, without a key, as a request without one would be.

    The insert runs in a savepoint and the unique index decides, also between two requests sent at the
    same moment (the second waits for the first to commit, then finds its row). With a key, the caller
    writes first (accounts.services.hold_account): on SQLite a savepoint must not open the transaction
    (see common/sqlite.py)."""
    row = build()
    if key is None:
        db.session.add(row)
        db.session.flush()
        return row, True
    row.submission_key = key
    model = type(row)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        stored = db.session.scalar(select(model).where(model.author_id == row.author_id,
                                                       model.submission_key == key))
        if stored is None:  # another constraint failed: not a double submit
            raise
        if same(stored):
            return stored, False
        row = build()
        db.session.add(row)
        db.session.flush()
    return row, True
