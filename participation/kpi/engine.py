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
from participation.kpi.spans import Span, bucket_key
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


Cells = dict  # {(scope_id, dimension_value): (value, numerator, denominator)} of one period, before suppression


def raw_figures(indicator: Indicator, span: Span, scope_type: str, scope_id: int | None = None) -> dict[str, Cells]:
    """{bucket: cells} of one indicator and scope type over a span, as the SQL returned them."""
    figure = indicator.query(span, scope_type).subquery("figure")
    stmt = select(figure)
    if scope_id is not None:
        stmt = stmt.where(figure.c.scope_id == scope_id)
    raw: dict[str, Cells] = {}
    result = span.execute(stmt)
    names = list(result.keys())
    # Positions instead of a mapping per row: a day series of a breakdown returns ~10^5 rows.
    at = {name: names.index(name) if name in names else None for name in
          ("bucket", "scope_id", "dimension_value", "value", "numerator", "denominator")}
    b, s, d, v, n, q = at.values()
    for row in result:
        sid = None if row[s] is None else str(row[s])
        dim = str(row[d]) if indicator.dimension else None
        cells = raw.setdefault(str(row[b]), {})
        value = (None if v is None else row[v], None if n is None else row[n], None if q is None else row[q])
        if indicator.cumulative and (sid, dim) in cells:  # the query's parts give several changes per cell
            value = _add(cells[(sid, dim)], value)
        cells[(sid, dim)] = value
    if indicator.cumulative:
        return _running_totals(raw, span)
    return raw


def _add(left: tuple, right: tuple) -> tuple:
    return tuple(None if a is None and b is None else (a or 0) + (b or 0) for a, b in zip(left, right))


def _running_totals(changes: dict[str, Cells], span: Span) -> dict[str, Cells]:
    """Each period's cells: the sum of every change up to (and including) its bucket."""
    totals: Cells = {}
    ordered = sorted(changes)
    result, i = {}, 0
    for period in span.periods:
        key = bucket_key(period)
        while i < len(ordered) and ordered[i] <= key:
            for cell, value in changes[ordered[i]].items():
                totals[cell] = _add(totals[cell], value) if cell in totals else value
            i += 1
        result[key] = dict(totals)
    return result


def sum_of_days(days: dict[str, Cells], period: Period) -> Cells:
    """An additive indicator's cells for a month or year, added up from its days' cells."""
    total: Cells = {}
    first, last = period.start.isoformat(), period.end.isoformat()
    for key, cells in days.items():
        if first <= key <= last:
            for cell, value in cells.items():
                total[cell] = _add(total[cell], value) if cell in total else value
    return total


def dimension_values(indicator: Indicator, cells: Cells, known: list | None = None) -> list:
    """Every value of the indicator's breakdown (the catalogue's, then any other the data holds).

    `known`: the catalogue's values when the caller has already read them."""
    if not indicator.dimension:
        return [None]
    if known is None:
        known = list(indicator.dimension_values() if indicator.dimension_values else [])
    return known + sorted({k[1] for k in cells} - set(known))


def published_cells(indicator: Indicator, cells: Cells, entities, dims: list):
    """(scope_id, scope_name, dimension_value, published) of every entity and dimension value, zeros
    filled in and small cells suppressed."""
    for sid, name in entities:
        for dim in dims:
            value, numerator, denominator = cells.get((sid, dim)) or (None, None, None)
            yield sid, name, dim, suppress(indicator, value, numerator, denominator)


def evaluate(indicator: Indicator, period: Period, scope_type: str, scope_id: int | None = None,
             computed_at: datetime | None = None) -> list[dict]:
    """Published records of one indicator for one period and scope type (optionally one entity)."""
    if scope_type not in indicator.scopes:
        return []
    computed_at = computed_at or utcnow()
    cells = raw_figures(indicator, Span.single(period), scope_type, scope_id).get(bucket_key(period), {})
    # Only the scope's public entities: figures of an unpublished process (or of a deleted area) never leave.
    entities = scope_entities(scope_type, scope_id)
    return [make_record(indicator, period, scope_type, sid, name, dim, published, computed_at)
            for sid, name, dim, published in published_cells(indicator, cells, entities,
                                                             dimension_values(indicator, cells))]
