"""KPI writes and orchestration: compute, snapshots, rebuild, API tokens, push to the KPI system."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Callable, Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from participation.common.errors import DomainError
from participation.common.time import utcnow
from participation.extensions import db
from participation.kpi import periods as P
from participation.kpi import proposal_indicators  # noqa: F401  (registers the proposal/comment indicators)
from participation.kpi.engine import (dimension_values, evaluate, make_record, published_cells, raw_figures,
                                      scope_entities, sum_of_days)
from participation.kpi.models import ApiToken, KpiSnapshot, PushAttempt
from participation.kpi.periods import Period
from participation.kpi.registry import INDICATORS, SCOPE_TYPES, available_indicators
from participation.kpi.spans import Span, Workspace, bucket_key
from participation.moderation.services import record_audit

Scope = tuple[str, int | None]  # (scope_type, scope_id or None for every entity)
ALL_SCOPES: list[Scope] = [(scope_type, None) for scope_type in SCOPE_TYPES]
REBUILD_COMMIT_EVERY = 31  # periods per transaction in a rebuild


def indicators_for(codes: Iterable[str] | None):
    chosen = available_indicators()
    if codes:
        wanted = set(codes)
        chosen = [ind for ind in chosen if ind.code in wanted]
    return chosen


def compute(codes: Iterable[str] | None, period: Period, scopes: list[Scope] | None = None,
            computed_at: datetime | None = None) -> list[dict]:
    """Records (dicts in the contract's key order) computed now from the live tables."""
    computed_at = computed_at or utcnow()
    records = []
    for indicator in indicators_for(codes):
        for scope_type, scope_id in scopes or ALL_SCOPES:
            records.extend(evaluate(indicator, period, scope_type, scope_id, computed_at))
    return records


# --- snapshots -----------------------------------------------------------------------------
SNAPSHOT_COLUMNS = ("code", "scope_type", "scope_id", "dimension", "dimension_value", "period_type", "period_start",
                    "period_end", "value", "numerator", "denominator", "suppressed", "computed_at", "published_at")


class SnapshotWriter:
    """Replaces the stored rows of periods. A rebuild writes millions of rows, so they go to the driver
    as plain values (SQLAlchemy's per-value processing cost more than the insert itself): SQLite's
    executemany, PostgreSQL's COPY (psycopg); any other driver through SQLAlchemy."""

    def __init__(self, published_at: datetime):
        self.connection = db.session.connection()
        self.raw = self.connection.dialect.name == "sqlite"
        self.copy = self.connection.dialect.driver == "psycopg"
        # SQLite stores what UTCDateTime and Date would bind: naive UTC text with microseconds, ISO dates.
        self.stamp = published_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") if self.raw \
            else published_at
        self.sql = (f"INSERT INTO {KpiSnapshot.__tablename__} ({', '.join(SNAPSHOT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(SNAPSHOT_COLUMNS))})")

    def rows(self, indicator, period: Period, scope_type: str, cells) -> list[tuple]:
        """One row per published cell, given as (scope_id, scope_name, dimension_value, published)."""
        return [self.row(indicator.code, scope_type, sid, indicator.dimension, dim, period, published)
                for sid, _name, dim, published in cells]

    def row(self, code, scope_type, scope_id, dimension, dimension_value, period: Period, published) -> tuple:
        value, numerator, denominator, suppressed = published
        start, end = (period.start.isoformat(), period.end.isoformat()) if self.raw else (period.start, period.end)
        return (code, scope_type, scope_id or "", dimension or "", dimension_value or "", period.type, start, end,
                value, numerator, denominator, int(suppressed) if self.raw else suppressed, self.stamp, self.stamp)

    def replace(self, period: Period, rows: list[tuple]) -> None:
        db.session.execute(delete(KpiSnapshot).where(KpiSnapshot.period_type == period.type,
                                                     KpiSnapshot.period_start == period.start))
        if not rows:
            return
        if self.raw:
            self.connection.exec_driver_sql(self.sql, rows)
        elif self.copy:
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {KpiSnapshot.__tablename__} ({', '.join(SNAPSHOT_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            db.session.execute(KpiSnapshot.__table__.insert(), [dict(zip(SNAPSHOT_COLUMNS, row)) for row in rows])


def snapshot(period: Period, now: datetime | None = None, *, commit: bool = True) -> list[dict]:
    """Compute every available indicator for every scope and replace the period's stored rows,
    in one transaction, marking them published. Running it twice leaves the same rows.

    commit=False leaves the commit to the caller."""
    now = now or utcnow()
    records = compute(None, period, ALL_SCOPES, computed_at=now)
    try:
        writer = SnapshotWriter(now)
        rows = [writer.row(r["indicator_code"], r["scope_type"], r["scope_id"], r["dimension"], r["dimension_value"],
                           period, (r["value"], r["numerator"], r["denominator"], r["suppressed"])) for r in records]
        writer.replace(period, rows)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return records


def periods_to_rebuild(start: date, end: date) -> list[Period]:
    """Every day, month and fiscal year overlapping [start, end]."""
    return [p for kind in ("day", "month", "fiscal_year") for p in P.covering(kind, start, end)]


def rebuild(start: date, end: date, on_period: Callable[[Period], None] | None = None) -> int:
    """Snapshot every period of periods_to_rebuild(), committing every REBUILD_COMMIT_EVERY periods.

    Each period type is computed as one series (one query per indicator and scope for all its periods)
    where the database can bucket local days in SQL; otherwise period by period."""
    years = P.covering("fiscal_year", start, end)
    widest = (years[0].start, years[-1].end)
    if not Workspace.possible(db.session.get_bind().dialect.name, *widest):
        return _rebuild_period_by_period(start, end, on_period)
    now = utcnow()
    indicators = available_indicators()
    entities = {scope_type: scope_entities(scope_type) for scope_type in SCOPE_TYPES}
    known_dims = {ind.code: list(ind.dimension_values()) for ind in indicators if ind.dimension_values}
    days: dict[tuple[str, str], dict] = {}  # additive indicators' day cells: months and years add them up
    count = 0

    def write(periods: list[Period], figures: dict) -> None:
        nonlocal count
        writer = SnapshotWriter(now)
        for period in periods:
            rows = []
            for indicator in indicators:
                for scope_type in indicator.scopes:
                    cells = figures[(indicator.code, scope_type)].get(bucket_key(period), {})
                    dims = dimension_values(indicator, cells, known_dims.get(indicator.code))
                    rows += writer.rows(indicator, period, scope_type,
                                        published_cells(indicator, cells, entities[scope_type], dims))
            writer.replace(period, rows)
            count += 1
            if count % REBUILD_COMMIT_EVERY == 0:
                db.session.commit()
                writer = SnapshotWriter(now)  # the session's next transaction may use another connection
            if on_period:
                on_period(period)

    app = current_app._get_current_object()

    def months_and_years(workspace) -> list[tuple[list[Period], dict]]:
        with app.app_context():
            return [(periods, _series_figures(indicators, Span.series(periods, workspace), days, start, end))
                    for periods in (P.covering("month", start, end), P.covering("fiscal_year", start, end))]

    try:
        with Workspace(*widest) as workspace, ThreadPoolExecutor(max_workers=1) as background:
            day_periods = P.covering("day", start, end)
            day_figures = _series_figures(indicators, Span.series(day_periods, workspace), days, start, end)
            # The months and years are computed on the workspace's connection while this thread writes the
            # days on the session's: the database works in one while Python builds rows in the other.
            later = background.submit(months_and_years, workspace)
            try:
                write(day_periods, day_figures)
            finally:
                rest = later.result()
            for periods, figures in rest:
                write(periods, figures)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


def _series_figures(indicators, span: Span, days: dict, start: date, end: date) -> dict:
    """{(code, scope_type): {bucket: cells}} of every indicator over a span of consecutive periods."""
    periods = span.periods
    covered = periods[0].start >= start and periods[-1].end <= end  # the day figures hold these periods whole
    figures = {}
    for indicator in indicators:
        for scope_type in indicator.scopes:
            key = (indicator.code, scope_type)
            if span.type != "day" and covered and key in days:
                figures[key] = {bucket_key(p): sum_of_days(days[key], p) for p in periods}
                continue
            figures[key] = raw_figures(indicator, span, scope_type)
            if span.type == "day" and indicator.additive:
                days[key] = figures[key]
    return figures


def _rebuild_period_by_period(start: date, end: date, on_period) -> int:
    count = 0
    try:
        for period in periods_to_rebuild(start, end):
            snapshot(period, commit=False)
            count += 1
            if count % REBUILD_COMMIT_EVERY == 0:
                db.session.commit()
            if on_period:
                on_period(period)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


def _record_from_snapshot(row: KpiSnapshot, names: dict) -> dict | None:
    indicator = INDICATORS.get(row.code)
    if indicator is None:
        return None
    period = Period(row.period_type, row.period_start, row.period_end)
    published = (row.value if row.value is None or indicator.unit in ("ratio", "days") else int(row.value),
                 None if row.numerator is None else int(row.numerator),
                 None if row.denominator is None else int(row.denominator), row.suppressed)
    return make_record(indicator, period, row.scope_type, row.scope_id or None,
                       names.get((row.scope_type, row.scope_id or None)), row.dimension_value or None,
                       published, row.computed_at)


def stored_records(period: Period, codes: Iterable[str] | None, scopes: list[Scope]) -> list[dict] | None:
    """The published snapshot of a period, filtered; None when the period has no snapshot."""
    if period.type == "range":
        return None
    base = select(KpiSnapshot).where(KpiSnapshot.period_type == period.type,
                                     KpiSnapshot.period_start == period.start,
                                     KpiSnapshot.published_at.is_not(None))
    if not has_snapshot(period):
        return None
    chosen = indicators_for(codes)
    stmt = base.where(KpiSnapshot.code.in_([ind.code for ind in chosen]))
    scope_types = {scope_type for scope_type, _ in scopes}
    stmt = stmt.where(KpiSnapshot.scope_type.in_(scope_types))
    for scope_type, scope_id in scopes:
        if scope_id is not None:
            stmt = stmt.where((KpiSnapshot.scope_type != scope_type) | (KpiSnapshot.scope_id == str(scope_id)))
    names = {(scope_type, sid): name for scope_type in scope_types for sid, name in scope_entities(scope_type)}
    order = {ind.code: i for i, ind in enumerate(chosen)}
    rows = db.session.scalars(stmt.order_by(KpiSnapshot.id)).all()
    rows.sort(key=lambda r: (order[r.code], SCOPE_TYPES.index(r.scope_type)))
    # A snapshot may hold rows of a process unpublished since: serve only the scopes that are public now.
    return [record for row in rows
            if (row.scope_type, row.scope_id or None) in names
            and (record := _record_from_snapshot(row, names)) is not None]


def figures(period: Period, codes: Iterable[str] | None = None, scopes: list[Scope] | None = None) -> list[dict]:
    """Served from the published snapshot when the period has one, otherwise computed on the fly."""
    scopes = scopes or ALL_SCOPES
    stored = stored_records(period, codes, scopes)
    return stored if stored is not None else compute(codes, period, scopes)


def has_snapshot(period: Period) -> bool:
    return db.session.scalar(select(KpiSnapshot.id).where(
        KpiSnapshot.period_type == period.type, KpiSnapshot.period_start == period.start,
        KpiSnapshot.published_at.is_not(None)).limit(1)) is not None


# --- API tokens ----------------------------------------------------------------------------
TOKEN_PREFIX = "pkpi_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(actor, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_l("Please give the token a name of at most 100 characters."))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(plain), prefix=plain[:12],
                     created_by_id=getattr(actor, "id", None))
    db.session.add(token)
    db.session.flush()
    record_audit(actor, "api_token.create", token, {"name": name, "prefix": token.prefix})
    return token, plain


def revoke_token(actor, token: ApiToken) -> None:
    if token.revoked_at is not None:
        raise DomainError(_l("This token has already been revoked."))
    token.revoked_at = utcnow()
    record_audit(actor, "api_token.revoke", token, {"name": token.name, "prefix": token.prefix})


def authenticate_token(plain: str | None) -> ApiToken | None:
    if not plain or len(plain) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = utcnow()
    return token


# --- push to the KPI system ----------------------------------------------------------------
def export_document(records: list[dict], generated_at: datetime | None = None) -> dict:
    return {"generated_at": (generated_at or utcnow()).isoformat(), "records": records}


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def push(records: list[dict], period_key: str, sleep: Callable[[float], None] = time.sleep) -> bool:
    """POST the records as JSON to KPI_PUSH_URL, signed with X-Signature (hex HMAC-SHA256 of the body).

    Retries with exponential backoff; every attempt is logged in kpi_push_attempts (own commits, after
    the snapshot has been committed). Never raises: a failing push never blocks a snapshot."""
    config = current_app.config
    url = config.get("KPI_PUSH_URL")
    if not url:
        return False
    secret = config.get("KPI_PUSH_SECRET") or ""
    if not secret:
        # A signature with an empty key proves nothing to the receiver: refuse, and say so where staff look.
        db.session.add(PushAttempt(period_key=period_key, attempt=1, status_code=None,
                                   error="KPI_PUSH_SECRET is not set: nothing was sent"))
        db.session.commit()
        return False
    body = json.dumps(export_document(records), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "participation-kpi/1",
               "X-Signature": sign(body, secret)}
    attempts = max(1, int(config.get("KPI_PUSH_ATTEMPTS", 4)))
    backoff = float(config.get("KPI_PUSH_BACKOFF_SECONDS", 2.0))
    for attempt in range(1, attempts + 1):
        status, error = None, None
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=float(config.get("KPI_PUSH_TIMEOUT", 10))) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except Exception as exc:  # network errors, timeouts, bad URLs
            error = f"{type(exc).__name__}: {exc}"[:1000]
        ok = status is not None and 200 <= status < 300
        db.session.add(PushAttempt(period_key=period_key, attempt=attempt, status_code=status, error=error))
        db.session.commit()
        if ok:
            return True
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            return False  # the receiver refuses this body: retrying will not help
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return False
