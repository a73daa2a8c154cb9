"""The median helper: percentile_cont on PostgreSQL, the ROW_NUMBER/COUNT fallback elsewhere."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select

from participation.common.models import UTCDateTime
from participation.kpi.sql import days_between, median_select

meta = MetaData()
values = Table("kpi_test_values", meta, Column("id", Integer, primary_key=True), Column("grp", String(5)),
               Column("v", Float), Column("a", UTCDateTime), Column("b", UTCDateTime))


@pytest.fixture
def table(db):
    meta.create_all(db.engine)
    rows = [("odd", 7), ("odd", 1), ("odd", 3),             # median 3
            ("even", 10), ("even", 2), ("even", 4), ("even", 8),  # median (4 + 8) / 2 = 6
            ("one", 5)]                                       # median 5
    db.session.execute(values.insert(), [{"grp": g, "v": v} for g, v in rows])
    db.session.commit()
    yield values
    db.session.remove()
    meta.drop_all(db.engine)


def _dialects(db):
    """The fallback always; percentile_cont too when the test database is PostgreSQL."""
    return sorted({"sqlite", db.engine.dialect.name})


def test_median_by_group_on_both_paths(db, table):
    for dialect in _dialects(db):
        stmt = median_select(table, table.c.v, [table.c.grp], dialect)
        result = {row[0]: float(row[1]) for row in db.session.execute(stmt)}
        assert result == {"odd": 3.0, "even": 6.0, "one": 5.0}, dialect


def test_median_without_groups(db, table):
    for dialect in _dialects(db):
        # all eight values: 1 2 3 4 | 5 7 8 10 -> (4 + 5) / 2
        assert float(db.session.execute(median_select(table, table.c.v, [], dialect)).scalar_one()) == 4.5


def test_median_of_nothing_is_no_row(db, table):
    for dialect in _dialects(db):
        source = select(table).where(table.c.grp == "none").subquery()
        assert db.session.execute(median_select(source, source.c.v, [source.c.grp], dialect)).all() == []


def test_days_between(db, table):
    db.session.execute(values.insert().values(grp="d", v=0, a=datetime(2026, 6, 3, 12, tzinfo=timezone.utc),
                                              b=datetime(2026, 6, 1, tzinfo=timezone.utc)))
    days = db.session.scalar(select(days_between(table.c.a, table.c.b, db.engine.dialect.name))
                             .where(table.c.grp == "d"))
    assert float(days) == pytest.approx(2.5)
