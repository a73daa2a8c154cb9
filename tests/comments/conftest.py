"""Fixtures for the social features (comments, moderation, notifications).

The proposals package is built in parallel and not visible here, so tests register a test-only
target type over the existing Process model: title and URL from the process, commenting allowed
by the real 'proposals.comment' rule (process_of(Process) is the process itself). Process has no
author_id or hidden_at; the code reads them with getattr, which these tests exercise too. Comments
(which do have author_id and hidden_at) are the targets for the hide threshold."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from participation.common.targets import TARGETS, TargetType, register_target
from participation.processes.models import Process

TEST_TARGET = "testprocess"
COUNTED_TARGET = "countedprocess"


@pytest.fixture
def test_target(app):
    """Registers 'testprocess' (no counter) and 'countedprocess' (counter kept in proposal_limit)."""
    register_target(TargetType(name=TEST_TARGET, model=Process, url=lambda p: f"/processes/{p.slug}",
                               title=lambda p: p.title, comment_action="proposals.comment", counter_column=None))
    register_target(TargetType(name=COUNTED_TARGET, model=Process, url=lambda p: f"/processes/{p.slug}",
                               title=lambda p: p.title, comment_action="proposals.comment",
                               counter_column="proposal_limit"))
    yield TEST_TARGET
    TARGETS.pop(TEST_TARGET, None)
    TARGETS.pop(COUNTED_TARGET, None)


@pytest.fixture
def open_process(make_process, test_target):
    """A published process whose phase allows commenting."""
    return make_process()


@pytest.fixture
def closed_process(make_process, test_target):
    """A published process whose phase does not allow commenting."""
    return make_process(phases=[{"features": ["proposals.create"]}])


@pytest.fixture
def post(db):
    """post(author, process, body='...', alignment=0, parent=None) -> Comment, committed."""
    from participation.comments import services

    def do_post(author, process, body="意見です", alignment=0, parent=None, target_type=TEST_TARGET):
        comment = services.post_comment(author, target_type, process.id, body, alignment,
                                        parent_id=parent.id if parent else None)
        db.session.commit()
        return comment

    return do_post


@pytest.fixture
def count_queries(db):
    """with count_queries() as counter: ...; counter.count = SQL statements executed."""
    from contextlib import contextmanager

    class Counter:
        count = 0

    @contextmanager
    def counting():
        counter = Counter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def page_with_thread(app, test_target):
    """Registers a test-only route that renders the thread macro for a process: /_test/thread/<id>."""
    from flask import render_template_string

    from participation.extensions import db as _db

    def view(process_id):
        process = _db.get_or_404(Process, process_id)
        return render_template_string(
            '{% extends "base.html" %}{% from "comments/_thread.html" import comment_thread %}'
            '{% block content %}{{ comment_thread("testprocess", process, None) }}{% endblock %}', process=process)

    if "_test_thread" not in app.view_functions:
        app.add_url_rule("/_test/thread/<int:process_id>", "_test_thread", view)
    return lambda process: f"/_test/thread/{process.id}"
