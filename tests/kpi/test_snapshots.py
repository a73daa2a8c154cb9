"""Snapshots, rebuild, the daily job, and the signed push with retries (a local HTTP receiver)."""
import hashlib
import hmac
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import func, select

from participation.kpi import jobs
from participation.kpi import periods as P
from participation.kpi import services
from participation.kpi.models import KpiSnapshot, PushAttempt
from tests.kpi.conftest import jst


def _rows(db):
    return sorted(db.session.execute(select(
        KpiSnapshot.code, KpiSnapshot.scope_type, KpiSnapshot.scope_id, KpiSnapshot.dimension,
        KpiSnapshot.dimension_value, KpiSnapshot.period_type, KpiSnapshot.period_start, KpiSnapshot.period_end,
        KpiSnapshot.value, KpiSnapshot.numerator, KpiSnapshot.denominator, KpiSnapshot.suppressed)).all())


@pytest.fixture
def data(db, add_user, add_area):
    north = add_area("北地区")
    for day in range(1, 8):
        add_user(jst(2026, 6, day, 12), area=north)


def test_snapshot_stores_published_rows_with_empty_strings_for_missing_keys(db, data):
    services.snapshot(P.month(2026, 6))
    rows = db.session.scalars(select(KpiSnapshot).where(KpiSnapshot.code == "new_registrations")).all()
    platform = next(r for r in rows if r.scope_type == "platform")
    assert (platform.scope_id, platform.dimension, platform.dimension_value, platform.value) == ("", "", "", 7)
    assert all(r.published_at is not None for r in rows)


def test_rebuild_twice_gives_the_same_rows(app, db, data):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kpi", "rebuild", "--from", "2026-05-30", "--to", "2026-06-02"])
    assert result.exit_code == 0, result.output
    # 4 days + May and June + FY2026
    assert "Stored 7 periods." in result.output
    first = _rows(db)
    assert len({(r.period_type, r.period_start) for r in first}) == 7
    result = runner.invoke(args=["kpi", "rebuild", "--from", "2026-05-30", "--to", "2026-06-02"])
    assert result.exit_code == 0
    assert _rows(db) == first
    assert db.session.scalar(select(func.count()).select_from(KpiSnapshot)) == len(first)


def test_rebuild_rejects_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["kpi", "rebuild", "--from", "2026-13-01"])
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_create_token_cli_prints_it_once_and_stores_a_hash(app, db):
    from participation.kpi.models import ApiToken

    result = app.test_cli_runner().invoke(args=["kpi", "create-token", "Statistics division"])
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    token = db.session.scalar(select(ApiToken))
    assert token.name == "Statistics division" and token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in (token.prefix, token.token_hash) and plain.startswith(token.prefix)
    assert services.authenticate_token(plain) is not None
    result = app.test_cli_runner().invoke(args=["kpi", "revoke-token", str(token.id)])
    assert result.exit_code == 0
    assert services.authenticate_token(plain) is None


class Receiver:
    """A local HTTP server that answers with the given status codes in turn and keeps what it got."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/kpi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_config(app):
    app.config.update(KPI_PUSH_SECRET="s3cret", KPI_PUSH_ATTEMPTS=3, KPI_PUSH_BACKOFF_SECONDS=0.5)
    return app.config


def test_push_is_signed_and_retried_with_backoff(db, data, push_config):
    waits = []
    with Receiver([503, 500, 200]) as receiver:
        push_config["KPI_PUSH_URL"] = receiver.url
        records = services.compute(["new_registrations"], P.month(2026, 6))
        assert services.push(records, "2026-06", sleep=waits.append) is True
    assert len(receiver.received) == 3 and waits == [0.5, 1.0]
    headers, body = receiver.received[-1]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == expected
    document = json.loads(body)
    assert document["records"] == records and "generated_at" in document
    attempts = db.session.scalars(select(PushAttempt).order_by(PushAttempt.attempt)).all()
    assert [(a.attempt, a.status_code, a.period_key) for a in attempts] == [(1, 503, "2026-06"), (2, 500, "2026-06"),
                                                                            (3, 200, "2026-06")]


def test_no_push_without_a_secret(db, push_config):
    push_config["KPI_PUSH_SECRET"] = ""
    with Receiver([200]) as receiver:
        push_config["KPI_PUSH_URL"] = receiver.url
        assert services.push([], "2026-06", sleep=lambda s: None) is False
    assert receiver.received == []
    attempt = db.session.scalars(select(PushAttempt)).one()
    assert attempt.status_code is None and "KPI_PUSH_SECRET" in attempt.error


def test_a_refused_push_is_not_retried(db, push_config):
    with Receiver([400]) as receiver:
        push_config["KPI_PUSH_URL"] = receiver.url
        assert services.push([], "x", sleep=lambda s: None) is False
    assert len(receiver.received) == 1


def test_failing_push_neither_blocks_nor_duplicates_snapshots(db, data, push_config):
    push_config.update(KPI_PUSH_URL="http://127.0.0.1:9/unreachable", KPI_PUSH_BACKOFF_SECONDS=0)  # refused
    now = jst(2026, 6, 8, 3, 0)
    first = jobs.snapshot_kpis(now)
    assert first["pushed"] == 0 and first["records"] > 0
    stored = _rows(db)
    # yesterday (7 June), June, FY2026
    assert {(r.period_type, r.period_start) for r in stored} == {
        ("day", date(2026, 6, 7)), ("month", date(2026, 6, 1)), ("fiscal_year", date(2026, 4, 1))}
    attempts = db.session.scalars(select(PushAttempt)).all()
    assert len(attempts) == 3 and all(a.status_code is None and a.error for a in attempts)
    jobs.snapshot_kpis(now)   # run again: same rows, no duplicates
    assert _rows(db) == stored
    new_regs = [r for r in stored if r.code == "new_registrations" and r.scope_type == "platform"]
    assert {(r.period_type, r.value, r.suppressed) for r in new_regs} == {
        ("day", None, True), ("month", 7, False), ("fiscal_year", 7, False)}


def test_job_on_the_first_of_a_month_also_closes_the_previous_month(db, data):
    result = jobs.snapshot_kpis(jst(2026, 7, 1, 3, 0))
    assert result["periods"] == 4  # 30 June, June, July, FY2026
    keys = {(r.period_type, r.period_start) for r in _rows(db)}
    assert ("month", date(2026, 6, 1)) in keys and ("month", date(2026, 7, 1)) in keys
