"""Open data: a ZIP of CSVs of public data, streamed in constant memory.

OPEN_DATA_FILES is the registry: each entry is a file name and a function returning (header, rows),
rows being an iterator that reads the database in batches. Proposals add theirs with one line:

    register_open_data("proposals.csv", proposals_rows)

A file whose rows can stop being public (hidden, withdrawn) also passes `changed_at`: a function giving
the latest time such a change happened, so that the cached ZIP is not served once it is outdated.
"""
from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from flask import current_app
from sqlalchemy import func, select

from participation.accounts.models import Area
from participation.common.csvstream import stream_csv
from participation.common.time import utcnow
from participation.extensions import db
from participation.processes.models import Phase, Process

OPEN_DATA_FILES: dict[str, Callable[[], tuple[list[str], Iterable]]] = {}
_AVAILABLE: dict[str, Callable[[], bool]] = {}
_CHANGED_AT: dict[str, Callable[[], datetime | None]] = {}
BATCH = 1000


def register_open_data(name: str, build: Callable[[], tuple[list[str], Iterable]],
                       available: Callable[[], bool] = lambda: True,
                       changed_at: Callable[[], datetime | None] | None = None) -> None:
    """`available` says whether the file's tables exist in this installation (default: yes);
    `changed_at` gives when a row last stopped being public (see the module doc)."""
    OPEN_DATA_FILES[name] = build
    _AVAILABLE[name] = available
    if changed_at is not None:
        _CHANGED_AT[name] = changed_at


def open_data_files() -> dict[str, Callable]:
    return {name: build for name, build in OPEN_DATA_FILES.items() if _AVAILABLE[name]()}


def _processes():
    header = ["process_id", "slug", "title", "subtitle", "area_ja", "area_en", "start_date", "end_date",
              "published_at"]
    stmt = (select(Process.id, Process.slug, Process.title, Process.subtitle, Area.name_ja, Area.name_en,
                   Process.start_date, Process.end_date, Process.published_at)
            .outerjoin(Area, Area.id == Process.area_id)
            .where(Process.published_at.is_not(None)).order_by(Process.id))

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=BATCH)):
            yield [*row[:6], row[6].isoformat(), row[7].isoformat(), row[8].isoformat()]

    return header, rows()


def _phases():
    header = ["process_id", "position", "title", "start_date", "end_date"]
    stmt = (select(Phase.process_id, Phase.position, Phase.title, Phase.start_date, Phase.end_date)
            .join(Process, Process.id == Phase.process_id)
            .where(Process.published_at.is_not(None)).order_by(Phase.process_id, Phase.position, Phase.id))

    def rows():
        for row in db.session.execute(stmt.execution_options(yield_per=BATCH)):
            yield [row[0], row[1], row[2], row[3].isoformat(), row[4].isoformat()]

    return header, rows()


register_open_data("processes.csv", _processes)
register_open_data("phases.csv", _phases)


class _Sink(io.RawIOBase):
    """A write-only, non-seekable stream whose bytes are drained by the generator after each write."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_zip() -> Iterator[bytes]:
    """The ZIP, chunk by chunk; memory stays bounded by one CSV buffer (about 16 KB)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, build in open_data_files().items():
            header, rows = build()
            with archive.open(name, mode="w") as entry:
                for text in stream_csv(header, rows):
                    entry.write(text.encode("utf-8"))
                    if sink.chunks:
                        yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def cached_path() -> Path:
    return Path(current_app.config["OPEN_DATA_DIR"]) / "open-data.zip"


def regenerate(path: Path | None = None) -> int:
    """Write the ZIP to the instance folder atomically (temp file + rename); returns its size. The file's
    modification time is when its reading began (see cache_outdated)."""
    path = path or cached_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    started = utcnow().timestamp()
    size = 0
    with temp.open("wb") as handle:
        for chunk in stream_zip():
            handle.write(chunk)
            size += len(chunk)
    os.utime(temp, (started, started))
    os.replace(temp, path)
    return size


def cache_outdated(path: Path) -> bool:
    """True when a process changed (e.g. was unpublished), or a row of a file stopped being public (e.g. a
    proposal was hidden), after the cached ZIP began reading the database: its rows may then show what must
    no longer be public, so the ZIP is streamed live until the next run."""
    written = path.stat().st_mtime
    changes = [db.session.scalar(select(func.max(Process.updated_at)))]
    files = open_data_files()
    changes += [changed_at() for name, changed_at in _CHANGED_AT.items() if name in files]
    return any(latest is not None and latest.timestamp() >= written for latest in changes)
