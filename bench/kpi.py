"""KPI benchmark: `python -m bench.kpi [--users N] [--processes N]` (a throw-away SQLite database unless
DATABASE_URL is set). Prints: one month of platform KPIs, a full fiscal-year rebuild of all scopes,
and the open-data ZIP with peak RSS. Proposal/support/comment volumes are generated when those
tables exist (after the proposals and social features are merged), through the contract columns."""
from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=200)
    parser.add_argument("--fiscal-year", type=int, default=2026)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="kpi-bench-")
    os.environ.setdefault("INSTANCE_PATH", tmp)
    from participation import create_app

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
    with app.app_context():
        from flask_migrate import upgrade

        from participation.accounts.models import User
        from participation.common.time import local_midnight_utc
        from participation.extensions import db
        from participation.kpi import opendata, periods, services
        from participation.processes.models import Process

        upgrade()
        rng = random.Random(1)
        start = date(args.fiscal_year, 4, 1)
        t0 = time.perf_counter()
        rows = []
        for n in range(args.users):
            created = local_midnight_utc(start + timedelta(days=rng.randrange(365))) + timedelta(minutes=rng.randrange(1440))
            rows.append({"email": f"bench{n}@example.jp", "display_name": f"bench{n}", "role": "resident",
                         "locale": "ja", "session_token": f"t{n}", "created_at": created, "updated_at": created})
            if len(rows) == 5000:
                db.session.execute(User.__table__.insert(), rows)
                rows = []
        if rows:
            db.session.execute(User.__table__.insert(), rows)
        for n in range(args.processes):
            begin = start + timedelta(days=rng.randrange(300))
            db.session.add(Process(slug=f"bench-{n}", title=f"ベンチ {n}", start_date=begin,
                                   end_date=begin + timedelta(days=rng.randrange(10, 120)),
                                   published_at=local_midnight_utc(begin), components=["proposals"]))
        db.session.commit()
        print(f"data: {args.users} users, {args.processes} processes in {time.perf_counter() - t0:.1f}s")

        month = periods.month(args.fiscal_year, 10)
        t0 = time.perf_counter()
        records = services.compute(None, month, [("platform", None)])
        print(f"one month, platform: {len(records)} records in {time.perf_counter() - t0:.2f}s (target < 2 s)")

        t0 = time.perf_counter()
        count = services.rebuild(start, date(args.fiscal_year + 1, 3, 31))
        print(f"fiscal-year rebuild, all scopes: {count} periods in {time.perf_counter() - t0:.1f}s (target < 60 s)")

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        size = sum(len(chunk) for chunk in opendata.stream_zip())
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"open-data zip: {size} bytes in {time.perf_counter() - t0:.2f}s; peak RSS {after // 1024} MiB "
              f"(grew {max(after - before, 0) // 1024} MiB while streaming)")


if __name__ == "__main__":
    main()
