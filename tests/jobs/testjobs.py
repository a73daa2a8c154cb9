"""Jobs registered only for tests: scheduler subprocesses import this module through JOB_MODULES.

`test.record` appends "test.record <period key> <pid>" to the file named by JOBS_TEST_RECORD_FILE (one
short O_APPEND write, atomic between processes) and inserts an Area row named after the period; its
period is a two-second slot, so a leader ticking every second meets each period twice.
`test.tick` has a period per tick (the instant itself): every process that ran it would leave lines,
so it shows that only the leader runs jobs."""
from __future__ import annotations

import os
from datetime import datetime

from participation.accounts.models import Area
from participation.extensions import db
from participation.jobs.registry import interval, register

SLOT_SECONDS = 2


def two_second_slot(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M") + f"{now.second // SLOT_SECONDS * SLOT_SECONDS:02d}"


def _write(name: str, period_key: str) -> None:
    with open(os.environ["JOBS_TEST_RECORD_FILE"], "a", encoding="utf-8") as handle:
        handle.write(f"{name} {period_key} {os.getpid()}\n")


def record(period_key: str) -> dict:
    _write("test.record", period_key)
    db.session.add(Area(name_ja=f"job-{period_key}", name_en=f"job-{period_key}"))
    db.session.flush()
    return {"recorded": 1}


# An hourly trigger here; the tests speed it up through the JOB_TRIGGERS environment override.
def tick(period_key: str) -> dict:
    _write("test.tick", period_key)
    return {}


register("test.record", record, trigger=interval(hours=1), period=two_second_slot)
register("test.tick", tick, trigger=interval(hours=1), period=lambda now: now.isoformat())
