"""KPI benchmark (not a test): `python -m bench.kpi_bench` (also run by `make bench`).

Seeds a throw-away SQLite database (and, when BENCH_DATABASE_URL is set, that PostgreSQL database too:
it must be empty or disposable, the schema is built by the migrations) by bulk inserts with
100,000 proposals, 1,000,000 supports, 300,000 comments and 50,000 users over one fiscal year, then prints

* one month of platform KPIs (target < 2 s),
* a full fiscal-year rebuild of every scope: 365 days + 12 months + the year (target < 60 s),
* the open-data ZIP: size, time and peak RSS (constant memory: the ZIP is streamed).

Smaller runs: `python -m bench.kpi_bench --proposals 10000 --supports 100000 --comments 30000 --users 5000`.

Repeated runs: `python -m bench.kpi_bench --sqlite /tmp/kpi-bench.sqlite3` seeds that file the first time and
reuses it afterwards (the seeding takes minutes; the stored snapshots are emptied before each timing). The file
holds whatever sizes seeded it: delete it after changing the sizes or the schema.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 20_000


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _insert(db, table, rows_iter) -> int:
    count, batch = 0, []
    for row in rows_iter:
        batch.append(row)
        if len(batch) == CHUNK:
            db.session.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        db.session.execute(table.insert(), batch)
        count += len(batch)
    db.session.commit()
    return count


def seed(db, args) -> None:
    from sqlalchemy import select

    from participation.accounts.models import Area, ParticipantProfile, User
    from participation.comments.models import Comment
    from participation.common.time import local_midnight_utc
    from participation.processes.models import Process
    from participation.proposals.models import AnswerState, Proposal, ProposalAnswer, ProposalSupport

    rng = random.Random(1)
    fy_start = local_midnight_utc(date(args.fiscal_year, 4, 1)).timestamp()
    year = 365 * 86400

    def when(low=0.0, high=1.0) -> datetime:
        return datetime.fromtimestamp(fy_start + year * rng.uniform(low, high), timezone.utc)

    areas = [Area(name_ja=f"ベンチ地区{n}", name_en=f"Bench area {n}", position=n) for n in range(10)]
    db.session.add_all(areas)
    db.session.flush()
    area_ids = [a.id for a in areas]
    _insert(db, User.__table__, ({"email": f"bench{n}@example.jp", "display_name": f"bench{n}",
                                  "role": "resident", "locale": "ja", "session_token": f"t{n}",
                                  "created_at": when(-0.5, 1), "updated_at": when()} for n in range(args.users)))
    first_user = db.session.scalar(select(User.id).order_by(User.id))
    from participation.accounts.models import AGE_BANDS as bands
    _insert(db, ParticipantProfile.__table__, (
        {"user_id": first_user + n, "age_band": rng.choice(bands), "age_band_consented_at": when(-1, 0),
         "area_id": rng.choice(area_ids), "area_consented_at": when(-1, 0)} for n in range(0, args.users, 2)))
    start = date(args.fiscal_year, 4, 1)
    processes = []
    for n in range(args.processes):
        begin = start + timedelta(days=rng.randrange(300))
        processes.append(Process(slug=f"bench-{n}", title=f"ベンチ {n}", start_date=begin,
                                 end_date=begin + timedelta(days=rng.randrange(10, 120)),
                                 published_at=local_midnight_utc(begin), components=["proposals"],
                                 area_id=rng.choice(area_ids + [None])))
    db.session.add_all(processes)
    db.session.commit()
    process_ids = [p.id for p in processes]
    published = {}

    def proposals():
        for n in range(args.proposals):
            at = when(0, 0.95)
            published[n] = at
            yield {"process_id": process_ids[n % len(process_ids)], "author_id": first_user + rng.randrange(args.users),
                   "reference": f"B-{n}", "title": f"ベンチ提案 {n}", "body": "本文", "status": "published",
                   "published_at": at, "created_at": at, "updated_at": at, "from_mobile": n % 3 == 0,
                   "area_id": rng.choice(area_ids) if n % 4 == 0 else None}

    _insert(db, Proposal.__table__, proposals())
    first_proposal = db.session.scalar(select(Proposal.id).order_by(Proposal.id))
    per = max(1, args.supports // max(args.proposals, 1))

    def supports():
        made = 0
        for n in range(args.proposals):
            for k in range(per):
                if made == args.supports:
                    return
                made += 1
                yield {"proposal_id": first_proposal + n, "user_id": first_user + (n * 37 + k * 5003) % args.users,
                       "created_at": published[n] + timedelta(minutes=rng.randrange(1, 60 * 24 * 15)),
                       "from_mobile": k % 2 == 0}

    _insert(db, ProposalSupport.__table__, supports())
    _insert(db, Comment.__table__, (
        {"target_type": "proposal", "target_id": first_proposal + (n % args.proposals),
         "process_id": process_ids[(n % args.proposals) % len(process_ids)],
         "author_id": first_user + rng.randrange(args.users), "body": "コメント", "depth": 0,
         "created_at": published[n % args.proposals] + timedelta(minutes=rng.randrange(1, 60 * 24 * 20)),
         "from_mobile": n % 2 == 1, "deleted_at": None, "hidden_at": None} for n in range(args.comments)))
    states = db.session.scalars(select(AnswerState.id).order_by(AnswerState.id)).all()
    _insert(db, ProposalAnswer.__table__, (
        {"proposal_id": first_proposal + n, "state_id": states[n % len(states)], "body": "回答",
         "published_at": published[n] + timedelta(days=rng.uniform(1, 40)),
         "created_at": published[n], "updated_at": published[n]}
        for n in range(0, args.proposals, 3)))


def run(url: str, args, reuse: bool = False) -> None:
    """reuse: the database was seeded by an earlier run; only its stored snapshots are emptied."""
    from participation import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
    with app.app_context():
        from flask_migrate import upgrade

        from participation.extensions import db
        from participation.kpi import opendata, periods, services
        from participation.kpi.models import KpiSnapshot

        upgrade()
        t0 = time.perf_counter()
        if reuse:  # a rebuild into an empty table, as on a freshly seeded database
            db.session.execute(KpiSnapshot.__table__.delete())
            db.session.commit()
        else:
            seed(db, args)
        with db.engine.connect() as conn:  # fresh statistics for the planner, as a production database has
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        print(f"[{db.engine.dialect.name}] data ({'reused' if reuse else 'seeded'}): {args.users} users, "
              f"{args.processes} processes, {args.proposals} proposals, {args.supports} supports, "
              f"{args.comments} comments in {time.perf_counter() - t0:.1f}s", flush=True)

        month = periods.month(args.fiscal_year, 10)
        t0 = time.perf_counter()
        records = services.compute(None, month, [("platform", None)])
        took = time.perf_counter() - t0
        print(f"one month of platform KPIs: {len(records)} records in {took:.2f} s "
              f"(target < 2 s: {_verdict(took < 2)})", flush=True)

        t0 = time.perf_counter()

        def progress(period) -> None:  # the rebuild goes day by day, then the months, then the year
            if period.type != "day" or period.end.day == 1:
                print(f"  ... {period.type} {period.key} done at {time.perf_counter() - t0:.1f} s", flush=True)

        count = services.rebuild(date(args.fiscal_year, 4, 1), date(args.fiscal_year + 1, 3, 31), on_period=progress)
        took = time.perf_counter() - t0
        print(f"fiscal-year rebuild, all scopes: {count} periods in {took:.1f} s "
              f"(target < 60 s: {_verdict(took < 60)})", flush=True)

    # The ZIP in a fresh process: this one's peak RSS already holds the seeding and the rebuild.
    subprocess.run([sys.executable, "-m", "bench.kpi_bench", "--zip-only", "--url", url], check=True, cwd=ROOT)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def stream_zip_only(url: str) -> None:
    """Peak RSS of a process that only builds the app and streams the ZIP, against its own baseline."""
    from participation import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
    with app.app_context():
        from sqlalchemy import text

        from participation.extensions import db
        from participation.kpi import opendata

        db.session.execute(text("SELECT 1"))
        baseline = _peak_rss_mib()
        t0 = time.perf_counter()
        size = sum(len(chunk) for chunk in opendata.stream_zip())
        peak = _peak_rss_mib()
        print(f"open-data ZIP: {size:,} bytes in {time.perf_counter() - t0:.2f} s; peak RSS {peak:.0f} MiB, "
              f"{peak - baseline:.0f} MiB above the app's baseline of {baseline:.0f} MiB "
              f"(constant memory: growth < 64 MiB while the ZIP is {size / 2**20:.0f} MiB: "
              f"{_verdict(peak - baseline < 64)})", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kpi_bench")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=200)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=300_000)
    parser.add_argument("--fiscal-year", type=int, default=2026)
    parser.add_argument("--url", help="run against this database only (used for the PostgreSQL run)")
    parser.add_argument("--zip-only", action="store_true", help="with --url: only stream the open-data ZIP")
    parser.add_argument("--sqlite", metavar="PATH", help="SQLite file to seed once and reuse on later runs")
    args, _unknown = parser.parse_known_args(argv)
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="kpi-bench-"))
    sys.path.insert(0, str(ROOT))
    if args.zip_only and args.url:
        stream_zip_only(args.url)
        return
    if args.url:
        run(args.url, args)
        return
    if args.sqlite:
        path = Path(args.sqlite).resolve()
        run(f"sqlite:///{path}", args, reuse=path.exists())
    else:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='kpi-bench-')}/bench.sqlite3", args)
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:  # a fresh process, so that its peak RSS is its own
        passed = [a for a in (argv if argv is not None else sys.argv[1:])]
        subprocess.run([sys.executable, "-m", "bench.kpi_bench", *passed, "--url", pg], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
