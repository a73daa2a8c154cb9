"""SQLite connection settings for the embedded install: WAL so readers never wait for the writer,
foreign keys on, and a busy timeout so a writer waits for the lock instead of failing at once.

Note for services: Python's sqlite3 module begins a transaction only at the first write, so a
service that writes first and reads after gets the busy-timeout wait; a transaction that reads
first (after a SAVEPOINT) and writes later can fail at once with "database is locked" when another
connection committed in between. Services that must serialise start with a write (see
proposals.services.support)."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _configure(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
