"""SQL helpers shared by indicator definitions: portable median and day differences."""
from __future__ import annotations

from sqlalchemy import Float, cast, func, or_, select
from sqlalchemy.sql import ColumnElement, Select


def median_select(source, value: ColumnElement, groups: list[ColumnElement], dialect: str) -> Select:
    """SELECT groups..., median(value) AS value FROM source GROUP BY groups.

    PostgreSQL uses percentile_cont(0.5); any other dialect (SQLite) a window-function fallback:
    rank the values in each group with ROW_NUMBER, count them with COUNT(*) OVER, and average the one
    or two middle rows (positions (n+1)//2 and (n+2)//2)."""
    labels = [group.label(f"g{i}") for i, group in enumerate(groups)]
    if dialect == "postgresql":
        return (select(*labels, func.percentile_cont(0.5).within_group(value).label("value"))
                .select_from(source).group_by(*groups))
    partition = groups or None
    ranked = select(
        *labels,
        cast(value, Float).label("v"),
        func.row_number().over(partition_by=partition, order_by=value).label("rn"),
        func.count().over(partition_by=partition).label("cnt"),
    ).select_from(source).subquery("ranked")
    outer_groups = [ranked.c[f"g{i}"] for i in range(len(groups))]
    middle = or_(ranked.c.rn == (ranked.c.cnt + 1) // 2, ranked.c.rn == (ranked.c.cnt + 2) // 2)
    return (select(*[col.label(f"g{i}") for i, col in enumerate(outer_groups)], func.avg(ranked.c.v).label("value"))
            .where(middle).group_by(*outer_groups))


def days_between(later: ColumnElement, earlier: ColumnElement, dialect: str) -> ColumnElement:
    """(later - earlier) in fractional days."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)
