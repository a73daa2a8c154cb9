"""Evaluate indicators: run the indicator's SQL, fill zero rows, apply small-cell suppression.

Suppression happens here, before anything is returned to a caller (API, page, snapshot, push):
the true value of a suppressed cell never leaves this module."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from participation.accounts.models import Area
from participation.common.time import utcnow
from participation.extensions import db
from participation.kpi.periods import Period
from participation.kpi.registry import FIELD, SUPPRESSION_THRESHOLD, Indicator
from participation.processes.models import Process

RECORD_KEYS = (
    "indicator_code", "indicator_name_ja", "indicator_name_en", "tier", "field", "unit",
    "scope_type", "scope_id", "scope_name", "dimension", "dimension_value",
    "period_type", "period_start", "period_end", "value", "numerator", "denominator",
    "suppressed", "computed_at",
)


def scope_entities(scope_type: str, scope_id: int | None = None) -> list[tuple[str | None, str | None]]:
    """(scope_id, scope_name) of every entity of a scope type: the platform, published processes, areas."""
    if scope_type == "platform":
        return [(None, current_app.config.get("MUNICIPALITY_NAME"))]
    if scope_type == "process":
        stmt = select(Process.id, Process.title).where(Process.published_at.is_not(None)).order_by(Process.id)
        if scope_id is not None:
            stmt = stmt.where(Process.id == scope_id)
    else:
        stmt = select(Area.id, Area.name_ja).order_by(Area.position, Area.id)
        if scope_id is not None:
            stmt = stmt.where(Area.id == scope_id)
    return [(str(row[0]), row[1]) for row in db.session.execute(stmt)]


def suppress(indicator: Indicator, value, numerator, denominator) -> tuple:
    """(value, numerator, denominator, suppressed) as published."""
    if indicator.is_ratio:
        numerator, denominator = int(numerator or 0), int(denominator or 0)
        if indicator.ratio_of_persons and (numerator < SUPPRESSION_THRESHOLD or denominator < SUPPRESSION_THRESHOLD):
            return None, None, None, True
        ratio = round(numerator / denominator, 6) if denominator else None
        return ratio, numerator, denominator, False
    if indicator.unit == "days":
        return (round(float(value), 2) if value is not None else None), None, None, False
    count = int(value or 0)
    if indicator.counts_people and count < SUPPRESSION_THRESHOLD:
        return None, None, None, True
    return count, None, None, False


def make_record(indicator: Indicator, period: Period, scope_type: str, scope_id, scope_name, dimension_value,
                published: tuple, computed_at: datetime) -> dict:
    value, numerator, denominator, suppressed = published
    return dict(zip(RECORD_KEYS, (
        indicator.code, indicator.name_ja, indicator.name_en, indicator.tier, FIELD, indicator.unit,
        scope_type, scope_id, scope_name, indicator.dimension, dimension_value,
        period.type, period.start.isoformat(), period.end.isoformat(), value, numerator, denominator,
        suppressed, computed_at.isoformat(),
    )))


def evaluate(indicator: Indicator, period: Period, scope_type: str, scope_id: int | None = None,
             computed_at: datetime | None = None) -> list[dict]:
    """Published records of one indicator for one period and scope type (optionally one entity)."""
    if scope_type not in indicator.scopes:
        return []
    computed_at = computed_at or utcnow()
    figure = indicator.query(period, scope_type).subquery("figure")
    stmt = select(figure)
    if scope_id is not None:
        stmt = stmt.where(figure.c.scope_id == scope_id)
    raw: dict[tuple, dict] = {}
    for row in db.session.execute(stmt).mappings():
        sid = None if row["scope_id"] is None else str(row["scope_id"])
        dim = str(row["dimension_value"]) if indicator.dimension else None
        raw[(sid, dim)] = row

    # Only the scope's public entities: figures of an unpublished process (or of a deleted area) never leave.
    entities = scope_entities(scope_type, scope_id)
    dims: list = [None]
    if indicator.dimension:
        dims = list(indicator.dimension_values() if indicator.dimension_values else [])
        dims += sorted({k[1] for k in raw} - set(dims))

    records = []
    for sid, name in entities:
        for dim in dims:
            row = raw.get((sid, dim)) or {}
            published = suppress(indicator, row.get("value"), row.get("numerator"), row.get("denominator"))
            records.append(make_record(indicator, period, scope_type, sid, name, dim, published, computed_at))
    return records
