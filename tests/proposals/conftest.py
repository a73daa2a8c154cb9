"""Fixtures for the proposals tests: a published proposal factory and helpers."""
from __future__ import annotations

import itertools

import pytest

from participation.extensions import db as _db

_numbers = itertools.count(1)


@pytest.fixture
def make_proposal(app, make_user):
    """make_proposal(process, author=None, title=..., body=..., status='published', **columns) -> Proposal,
    inserted directly (fast) with its reference."""
    from participation.common.time import utcnow
    from participation.proposals.models import Proposal

    def factory(process, author=None, *, title=None, body=None, status="published", commit=True, **columns):
        n = next(_numbers)
        author = author or make_user()
        proposal = Proposal(process_id=process.id, author_id=author.id, title=title or f"テストの提案 その{n} について考える",
                            body=body or f"これはテスト用の提案の本文です。番号 {n}。", status=status,
                            published_at=utcnow() if status != "draft" else None, **columns)
        _db.session.add(proposal)
        _db.session.flush()
        proposal.reference = f"P-2026-{proposal.id:06d}"
        if commit:
            _db.session.commit()
        return proposal

    return factory


@pytest.fixture
def states(app):
    """The built-in answer states (the shared conftest empties every table after each test)."""
    from participation.proposals.services import ensure_builtin_states

    states = ensure_builtin_states()
    _db.session.commit()
    return states
