"""The scheduler leader lock: of all scheduler processes, only the holder runs jobs.

PostgreSQL
    ``pg_try_advisory_lock(key)`` on a dedicated connection (its own engine, no pool) that is kept open
    for the life of the process. The server releases the lock when that connection closes, so a leader
    that dies -- even by ``kill -9`` -- loses it at once. ``refresh()`` pings the connection; if it broke,
    the lock is considered lost and acquired again when possible.

SQLite (and any other database)
    A row in ``scheduler_locks`` with a lease (``SCHEDULER_LEASE_SECONDS``, 30 s by default). The holder
    renews it every few seconds; a leader that crashed stops renewing and loses the lock when the lease
    expires. Taking or renewing is one conditional UPDATE (``holder = me OR lease_until < now``), or an
    INSERT when there is no row yet, in a single transaction: the database serialises the writes and the
    primary key rejects a second INSERT, so two processes can never both hold it. The holder also checks
    its own lease locally before running a job, so a process whose renewals stalled stops acting as
    leader on its own when the lease runs out.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import create_engine, delete, insert, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from participation.common.time import utcnow
from participation.jobs.models import SchedulerLock

log = logging.getLogger(__name__)

DEFAULT_LOCK_NAME = "scheduler"


def holder_id() -> str:
    """Who holds the lock, readable on the staff page: host, process id and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock, derived from the lock name."""
    digest = hashlib.sha256(f"participation.jobs:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    """Interface: ``refresh()`` acquires or renews and returns whether we hold the lock; ``held()`` is a
    cheap local check used before each job; ``release()`` gives it up (on shutdown)."""

    def refresh(self) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def held(self) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class AdvisoryLock(LeaderLock):
    def __init__(self, url, name: str = DEFAULT_LOCK_NAME):
        self.name = name
        self.key = advisory_key(name)
        self.engine: Engine = create_engine(url, poolclass=NullPool)
        self._conn = None
        self._mutex = threading.Lock()

    def refresh(self) -> bool:
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1"))
                    return True
                except SQLAlchemyError:
                    log.warning("scheduler leader: lock connection lost; trying to take the lock again")
                    self._close()
            conn = None
            try:
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            except SQLAlchemyError:
                log.exception("scheduler leader: could not ask for the advisory lock")
                if conn is not None:
                    conn.close()
                return False
            if got:
                self._conn = conn
                log.info("scheduler leader: this process is now the leader (advisory lock %s)", self.key)
                return True
            conn.close()
            return False

    def held(self) -> bool:
        return self._conn is not None

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None

    def release(self) -> None:
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                except SQLAlchemyError:
                    pass
                self._close()
        self.engine.dispose()


class LeaseLock(LeaderLock):
    def __init__(self, engine: Engine, name: str = DEFAULT_LOCK_NAME, lease_seconds: float = 30,
                 holder: str | None = None):
        self.engine = engine
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or holder_id()
        self._lease_until: datetime | None = None
        self._mutex = threading.Lock()

    def refresh(self) -> bool:
        table = SchedulerLock.__table__
        with self._mutex:
            now = utcnow()
            until = now + self.lease
            try:
                with self.engine.begin() as conn:
                    taken = conn.execute(
                        update(table)
                        .where(table.c.name == self.name,
                               or_(table.c.holder == self.holder, table.c.lease_until < now))
                        .values(holder=self.holder, lease_until=until)
                    ).rowcount == 1
                    if not taken and conn.execute(select(table.c.name).where(table.c.name == self.name)).first() is None:
                        conn.execute(insert(table).values(name=self.name, holder=self.holder, lease_until=until))
                        taken = True
            except IntegrityError:  # another process inserted the row first: it is the leader
                taken = False
            except SQLAlchemyError:
                # Busy or unreachable database: keep the lease we had until it runs out, no longer.
                log.warning("scheduler leader: could not renew the lease", exc_info=True)
                return self.held()
            was_leader = self._lease_until is not None
            self._lease_until = until if taken else None
            if taken and not was_leader:
                log.info("scheduler leader: this process is now the leader (%s)", self.holder)
            elif was_leader and not taken:
                log.warning("scheduler leader: lease lost by %s", self.holder)
            return taken

    def held(self) -> bool:
        return self._lease_until is not None and utcnow() < self._lease_until

    def release(self) -> None:
        table = SchedulerLock.__table__
        with self._mutex:
            self._lease_until = None
            try:
                with self.engine.begin() as conn:
                    conn.execute(delete(table).where(table.c.name == self.name, table.c.holder == self.holder))
            except SQLAlchemyError:
                log.warning("scheduler leader: could not release the lease", exc_info=True)


def make_lock(app, name: str = DEFAULT_LOCK_NAME) -> LeaderLock:
    """The right lock for the app's database. Call inside an app context."""
    from participation.extensions import db

    from participation.jobs.registry import setting

    engine = db.engine
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine.url, name)
    return LeaseLock(engine, name, lease_seconds=float(setting(app, "SCHEDULER_LEASE_SECONDS")))


def current_holder(name: str = DEFAULT_LOCK_NAME) -> tuple[str | None, datetime | None]:
    """Who holds the SQLite lease, for the staff page (None on PostgreSQL or when free)."""
    from participation.extensions import db

    row = db.session.get(SchedulerLock, name)
    if row is None or row.lease_until <= utcnow():
        return None, None
    return row.holder, row.lease_until
