"""Spans: the periods one evaluation of the indicators covers.

An indicator query groups its rows by `bucket`, the first local day ('YYYY-MM-DD') of the period a row
falls in. A span is either

* one period (`Span.single`): every row is in the one bucket; this is what the API, the pages and the
  daily snapshot use, on the request's own database session;
* consecutive periods of one type computed together (`Span.series`, used by a rebuild): the bucket is
  computed in SQL from each row's instant, so one GROUP BY answers for 365 days at once. The sets that
  many indicators share (who took part, per day and scope) are materialised once in temporary tables of
  the rebuild's `Workspace`, on a connection of its own, so that a long rebuild never holds the write lock.

A series needs the local day of an instant in SQL: PostgreSQL converts with the zone's rules; SQLite
only adds a fixed offset, so on SQLite a series is only offered when the zone keeps one offset over the
whole span (Asia/Tokyo always does); otherwise callers evaluate period by period.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import (Column, Date, Integer, MetaData, PrimaryKeyConstraint, String, Table, and_, case, func, literal, literal_column,
                        null, select)

from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from participation.accounts.models import ParticipantProfile
from participation.common.models import UTCDateTime
from participation.common.time import local_midnight_utc, local_today, local_zone, utcnow
from participation.kpi.actions import actions
from participation.kpi.periods import Period
from participation.processes.models import Process

_names = itertools.count(1)
NO_PROCESS = 0  # process_id of actions outside any process in the materialised sets (key columns are NOT NULL)


def bucket_key(period: Period) -> str:
    return period.start.isoformat()


class Workspace:
    """The connection and temporary tables of one rebuild, shared by its spans.

    `first`..`last` is the widest range of local days any of its spans covers: the table of actions per
    day is built once over it, and each span reads its own days from it."""

    def __init__(self, first: date, last: date):
        from participation.extensions import db

        self.first, self.last = first, last
        self.connection = db.engine.connect()
        self.dialect = self.connection.dialect.name
        self.offset = _fixed_offset(first, last) if self.dialect == "sqlite" else None
        if self.dialect == "sqlite":  # sorts and temporary tables in memory, and room for them
            self.connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
            self.connection.exec_driver_sql("PRAGMA cache_size=-262144")
        elif self.dialect == "postgresql":  # this session's temporary tables and sorts stay in memory
            self.connection.exec_driver_sql("SET temp_buffers = '512MB'")
            self.connection.exec_driver_sql("SET work_mem = '256MB'")
        self.tables: dict[str, object] = {}
        self.metadata = MetaData()

    @staticmethod
    def possible(dialect: str, first: date, last: date) -> bool:
        """Whether local days can be bucketed in SQL over [first, last] (see the module's docstring)."""
        if dialect == "postgresql":
            return True
        return dialect == "sqlite" and _fixed_offset(first, last) is not None

    def table(self, name: str, columns: list[Column], key: tuple[str, ...] = ()) -> Table:
        """A temporary table. `key`: on SQLite its primary key, a table without rowid (the inserts below
        rely on it to drop repeats); PostgreSQL's sets are made distinct by the query, and an index would
        only slow the insert."""
        args, kwargs = list(columns), {}
        if key and self.dialect == "sqlite":
            args.append(PrimaryKeyConstraint(*key))
            kwargs["sqlite_with_rowid"] = False
        table = Table(f"kpi_tmp_{name}_{next(_names)}", self.metadata, *args, prefixes=["TEMPORARY"], **kwargs)
        table.create(self.connection)
        return table

    def fill(self, table: Table, insert) -> None:
        self.connection.execute(insert)
        if self.dialect == "postgresql":  # nothing analyses temporary tables by itself: the planner needs sizes
            self.connection.exec_driver_sql(f"ANALYZE {table.name}")

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.metadata.drop_all(self.connection)  # a pooled connection must not keep them
        finally:
            self.connection.rollback()
            if self.dialect == "sqlite":
                self.connection.exec_driver_sql("PRAGMA temp_store=DEFAULT")
                self.connection.exec_driver_sql("PRAGMA cache_size=-2000")
            self.connection.close()
            self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Span:
    def __init__(self, periods: list[Period], workspace: Workspace | None = None):
        assert periods and len({p.type for p in periods}) == 1
        self.periods = periods
        self.type = periods[0].type
        self.start_utc = periods[0].start_utc
        self.end_utc = periods[-1].end_utc
        self.workspace = workspace  # None: one period, on the request's session
        self.connection = workspace.connection if workspace else None
        self._tables: dict[str, object] = {}

    @classmethod
    def single(cls, period: Period) -> "Span":
        return cls([period])

    @classmethod
    def series(cls, periods: list[Period], workspace: Workspace) -> "Span":
        assert workspace.first <= periods[0].start and periods[-1].end <= workspace.last
        return cls(periods, workspace)

    # --- executing -------------------------------------------------------------------------
    @property
    def is_single(self) -> bool:
        return self.connection is None

    def execute(self, stmt):
        if self.connection is None:
            from participation.extensions import db

            return db.session.execute(stmt)
        return self.connection.execute(stmt)

    @property
    def dialect(self) -> str:
        if self.connection is not None:
            return self.connection.dialect.name
        from participation.extensions import db

        return db.session.get_bind().dialect.name

    # --- what indicator queries use ---------------------------------------------------------
    def where(self, column):
        """The row's instant lies in the span."""
        return and_(column >= self.start_utc, column < self.end_utc)

    def before_end(self, column):
        """The row's instant lies before the span ends (cumulative indicators)."""
        return column < self.end_utc

    def bucket(self, column):
        """The bucket of an instant: its period's first local day, as text."""
        if self.is_single:
            return literal(bucket_key(self.periods[0]), String)
        return self._rebucket(self._local_day(column))

    def by_bucket(self, stmt, column):
        """Add the `bucket` column of `column`'s instant to a grouped select."""
        bucket = self.bucket(column)
        stmt = stmt.add_columns(bucket.label("bucket"))
        return stmt if self.is_single else stmt.group_by(bucket)

    def calendar(self):
        """One row per period: bucket, as_of (the local day a state is measured on: the period's last day,
        or today for a period still under way) and until (the matching instant)."""
        now, today = utcnow(), local_today()
        rows = [{"bucket": bucket_key(p), "as_of": min(p.end, today), "until": min(p.end_utc, now)}
                for p in self.periods]
        if self.is_single:
            row = rows[0]
            return select(literal(row["bucket"], String).label("bucket"), literal(row["as_of"], Date).label("as_of"),
                          literal(row["until"], UTCDateTime).label("until")).subquery("calendar")
        table = self._table("calendar", [Column("bucket", String(10)), Column("as_of", Date),
                                         Column("until", UTCDateTime)])
        self.connection.execute(table.insert(), rows)
        return table

    def participants(self, scope_type: str):
        """One row per (bucket, scope_id, person) who acted in the bucket, with the person's consented
        age band and area (NULL without consent).

        platform: everyone (scope_id NULL); process: per process of the action; area: per the person's
        consented area (people without one are in no area row)."""
        if self.is_single:
            return self._participants_inline(scope_type)
        people = self._people("platform" if scope_type == "area" else scope_type)
        if scope_type == "area":
            return (select(people.c.bucket, people.c.area_id.label("scope_id"), people.c.user_id,
                           people.c.age_band, people.c.area_id, people.c.first_day)
                    .where(people.c.area_id.is_not(None)).subquery("area_people"))
        return people

    def acted_before(self, people):
        """The participant also acted before their bucket's period began."""
        if not self.is_single:
            return people.c.first_day < people.c.bucket
        earlier = actions("earlier_actions", with_process=False)
        # EXISTS per participant (index on each source's user column) instead of building the set of
        # everyone who ever acted before the period.
        return (select(earlier.c.user_id)
                .where(earlier.c.user_id == people.c.user_id, earlier.c.occurred_at < self.start_utc).exists())

    def action_counts(self, scope_type: str):
        """Actions per (bucket, scope_id) with how many came from a phone: columns bucket, scope_id,
        actions, mobile_actions. Only for a series (single periods count the actions directly)."""
        daily = self._actions_by_day()
        bucket = self._rebucket(daily.c.day)
        if scope_type == "process":
            scope = daily.c.process_id
        elif scope_type == "area":
            scope = Process.area_id
        else:
            scope = null()
        stmt = select(bucket.label("bucket"), scope.label("scope_id"), func.sum(daily.c.actions).label("actions"),
                      func.sum(daily.c.mobile_actions).label("mobile_actions"))
        if scope_type == "process":
            return stmt.where(daily.c.process_id != NO_PROCESS).group_by(bucket, daily.c.process_id)
        if scope_type == "area":
            return (stmt.join(Process, Process.id == daily.c.process_id).where(Process.area_id.is_not(None))
                    .group_by(bucket, Process.area_id))
        return stmt.group_by(bucket)

    # --- SQL for local days --------------------------------------------------------------------
    def _local_day(self, column):
        if self.dialect == "postgresql":
            return func.to_char(func.timezone(local_zone().key, column), "YYYY-MM-DD")
        offset = self.workspace.offset if self.workspace else _fixed_offset(self.periods[0].start, self.periods[-1].end)
        return func.date(column, f"{offset:+d} seconds")

    def _rebucket(self, day):
        """The bucket of a local day given as 'YYYY-MM-DD' text."""
        if self.type in ("day", "range"):
            return day
        postgres = self.dialect == "postgresql"
        if self.type == "month":
            if postgres:
                return func.to_char(func.date_trunc("month", func.cast(day, Date)), "YYYY-MM-DD")
            return func.date(day, "start of month")
        if postgres:  # fiscal year: April 1st of the year that holds (day - 3 months)
            shifted = func.cast(day, Date) - literal_column("interval '3 months'")
            return func.to_char(func.date_trunc("year", shifted) + literal_column("interval '3 months'"), "YYYY-MM-DD")
        return func.date(day, "-3 months", "start of year", "+3 months")

    # --- materialised sets (series only) --------------------------------------------------------
    def _table(self, name: str, columns: list[Column], key: tuple[str, ...] = ()) -> Table:
        return self.workspace.table(name, columns, key)

    def _actions_by_day(self):
        """The span's actions grouped by (local day, process, person), with action counts: read from the
        workspace's table, built once over the workspace's whole range."""
        shared = self.workspace.tables
        if "actions" not in shared:
            ws = self.workspace
            a = actions("span_actions", with_process=True)
            day = self._local_day(a.c.occurred_at)
            process = func.coalesce(a.c.process_id, NO_PROCESS)
            mobile = func.coalesce(func.cast(a.c.from_mobile, Integer), 0)
            in_range = (a.c.occurred_at >= local_midnight_utc(ws.first),
                        a.c.occurred_at < local_midnight_utc(ws.last + timedelta(days=1)))
            table = self._table("actions", [
                Column("day", String(10)), Column("process_id", Integer), Column("user_id", Integer),
                Column("actions", Integer), Column("mobile_actions", Integer)], key=("day", "process_id", "user_id"))
            names = ["day", "process_id", "user_id", "actions", "mobile_actions"]
            if ws.dialect == "sqlite":  # adding into the keyed table is twice as fast as SQLite's GROUP BY
                rows = select(day, process, a.c.user_id, literal(1, Integer), mobile).where(*in_range)
                insert = sqlite_insert(table).from_select(names, rows)
                insert = insert.on_conflict_do_update(
                    index_elements=["day", "process_id", "user_id"],
                    set_={"actions": table.c.actions + 1,
                          "mobile_actions": table.c.mobile_actions + insert.excluded.mobile_actions})
            else:
                insert = table.insert().from_select(names, select(
                    day, process, a.c.user_id, func.count(), func.sum(mobile)).where(*in_range)
                    .group_by(day, process, a.c.user_id))
            self.workspace.fill(table, insert)
            shared["actions"] = table
        table = shared["actions"]
        first, last = self.periods[0].start, self.periods[-1].end
        if (first, last) == (self.workspace.first, self.workspace.last):
            return table
        if "actions" not in self._tables:
            self._tables["actions"] = (select(table).where(table.c.day >= first.isoformat(),
                                                           table.c.day <= last.isoformat())
                                       .subquery("span_actions_by_day"))
        return self._tables["actions"]

    def _first_days(self) -> Table:
        """Each person's first action ever, as a local day."""
        shared = self.workspace.tables
        if "first" not in shared:
            a = actions("all_actions", with_process=False)
            first = (select(a.c.user_id, self._local_day(func.min(a.c.occurred_at)))
                     .where(a.c.user_id.is_not(None)).group_by(a.c.user_id))
            table = self._table("first", [Column("user_id", Integer), Column("first_day", String(10))],
                                key=("user_id",))
            self.workspace.fill(table, table.insert().from_select(["user_id", "first_day"], first))
            shared["first"] = table
        return shared["first"]

    PEOPLE_COLUMNS = ("bucket", "scope_id", "user_id", "age_band", "area_id", "first_day")

    def _people_table(self, name: str) -> Table:
        return self._table(name, [
            Column("bucket", String(10)), Column("scope_id", Integer), Column("user_id", Integer),
            Column("age_band", String(20)), Column("area_id", Integer), Column("first_day", String(10))],
            key=("bucket", "scope_id", "user_id"))

    def _insert_people(self, table: Table, rows) -> None:
        """INSERT the distinct rows of a select. SQLite: the keyed table drops the repeats (twice as fast as
        its DISTINCT); the set is the same."""
        if self.workspace.dialect == "sqlite":
            insert = table.insert().prefix_with("OR IGNORE").from_select(self.PEOPLE_COLUMNS, rows)
        else:
            insert = table.insert().from_select(self.PEOPLE_COLUMNS, rows.distinct())
        self.workspace.fill(table, insert)

    def _people_by_day(self, scope_type: str) -> Table:
        """(local day, scope_id, person) with consented age band and area and first day, over the
        workspace's whole range. Built once per rebuild.

        process: scope_id is the process (NO_PROCESS for actions outside processes); platform: NO_PROCESS,
        regrouped from the process table (the people's attributes are joined once, there)."""
        shared, key = self.workspace.tables, f"people_by_day_{scope_type}"
        if key in shared:
            return shared[key]
        if scope_type == "platform":
            by_process = self._people_by_day("process")
            rows = select(by_process.c.bucket, literal(NO_PROCESS, Integer),
                          *[by_process.c[name] for name in self.PEOPLE_COLUMNS[2:]])
        else:
            self._actions_by_day()  # builds the workspace's table of actions
            daily, first = self.workspace.tables["actions"], self._first_days()
            profile = ParticipantProfile
            rows = (select(daily.c.day, daily.c.process_id, daily.c.user_id,
                           _consented(profile.age_band, profile.age_band_consented_at),
                           _consented(profile.area_id, profile.area_consented_at), first.c.first_day)
                    .select_from(daily.outerjoin(profile, profile.user_id == daily.c.user_id)
                                 .outerjoin(first, first.c.user_id == daily.c.user_id)))
        table = self._people_table(key)
        self._insert_people(table, rows)
        shared[key] = table
        return table

    def _people(self, scope_type: str):
        """(bucket, scope_id, person) with age band, area and first day; scope_type platform or process.

        Days read the workspace's table; months and years regroup it (each person's attributes are the
        same on every row, so no join is repeated)."""
        key = f"people_{scope_type}"
        if key in self._tables:
            return self._tables[key]
        daily = self._people_by_day(scope_type)
        first, last = self.periods[0].start.isoformat(), self.periods[-1].end.isoformat()
        bucket = self._rebucket(daily.c.bucket)
        rows = (select(bucket.label("bucket"), *[daily.c[name] for name in self.PEOPLE_COLUMNS[1:]])
                .where(daily.c.bucket >= first, daily.c.bucket <= last))
        if scope_type == "process":
            rows = rows.where(daily.c.scope_id != NO_PROCESS)
        if self.type == "day":
            people = rows.subquery("people_of_the_span")
        else:
            people = self._people_table(key)
            self._insert_people(people, rows)
        if scope_type == "platform":  # the platform's scope_id is NULL, as everywhere else
            people = _platform_view(people)
        self._tables[key] = people
        return people

    def _participants_inline(self, scope_type: str):
        a = actions("period_actions", with_process=scope_type == "process")
        bucket = literal(bucket_key(self.periods[0]), String)
        if scope_type == "process":
            stmt = select(a.c.process_id.label("scope_id"), a.c.user_id).where(a.c.process_id.is_not(None))
        else:
            stmt = select(null().label("scope_id"), a.c.user_id)
        distinct = stmt.where(self.where(a.c.occurred_at)).distinct().subquery("distinct_people")
        profile = ParticipantProfile
        band = _consented(profile.age_band, profile.age_band_consented_at)
        area = _consented(profile.area_id, profile.area_consented_at)
        if scope_type == "area":  # per the person's consented area: people without one are left out
            return (select(bucket.label("bucket"), area.label("scope_id"), distinct.c.user_id, band.label("age_band"),
                           area.label("area_id"))
                    .select_from(distinct.join(profile, profile.user_id == distinct.c.user_id))
                    .where(area.is_not(None)).subquery("participants"))
        people = (select(bucket.label("bucket"), distinct.c.scope_id, distinct.c.user_id, band.label("age_band"),
                         area.label("area_id"))
                  .select_from(distinct.outerjoin(profile, profile.user_id == distinct.c.user_id)))
        return people.subquery("participants")


def _consented(value, consented_at):
    return case((consented_at.is_not(None), value), else_=null())


def _platform_view(table):
    return select(table.c.bucket, null().label("scope_id"), table.c.user_id, table.c.age_band, table.c.area_id,
                  table.c.first_day).subquery("platform_people")


def _fixed_offset(first: date, last: date) -> int | None:
    """The zone's UTC offset in seconds when it is the same at every local midnight of [first, last + 1]."""
    zone = local_zone()
    offsets = set()
    day = first
    while day <= last + timedelta(days=1):
        offsets.add(int(local_midnight_utc(day).astimezone(zone).utcoffset().total_seconds()))
        if len(offsets) > 1:
            return None
        day += timedelta(days=1)
    return offsets.pop()
