"""Benchmark of the proposal pages (not a test).

Seeds one process with N proposals, S supports and C comments by bulk inserts, starts the app
under gunicorn, and drives it with K concurrent clients, printing p50/p95 latency and requests
per second for a trivial route (/healthz), the list page (several sorts, a filter, a search) and
a proposal page, plus the list page's share of the trivial route's throughput.

    .venv/bin/python bench/proposals_bench.py                      # 100k / 1M / 300k, 16 clients
    .venv/bin/python bench/proposals_bench.py --proposals 5000 --supports 50000 --comments 10000 --seconds 5
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/proposals_bench.py
    .venv/bin/python bench/proposals_bench.py --instance /tmp/bench-full   # seed once, reuse on later runs
    .venv/bin/python bench/proposals_bench.py --worker-class sync --workers 4

The work is CPU-bound Python (SQLite reads are in the page cache), so more threads than cores only add
GIL hand-offs; both shapes are offered so a run can compare them on its machine.

Targets (issue 4): p95 < 50 ms for the list page (any sort, any filter) and a proposal page with
200 comments, at 16 concurrent clients on a 2-core machine; list req/s >= 1/4 of the trivial route.
"""
from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(url: str, instance: Path, proposals: int, supports: int, comments: int) -> tuple[str, int]:
    """Build the schema through the migrations and bulk-insert the data. Returns (slug, proposal id)."""
    os.environ["INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from participation import create_app
    from participation.accounts.models import User
    from participation.common.time import local_today, utcnow
    from participation.extensions import db
    from participation.processes import services as process_services
    from participation.processes.models import PHASE_FEATURES
    from participation.proposals.models import Proposal, ProposalSupport

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        now = utcnow()
        users_needed = max(50, -(-supports // max(proposals, 1)) + 1)
        db.session.execute(insert(User), [
            {"email": f"bench{i}@example.jp", "display_name": f"参加者{i}", "password_hash": None,
             "role": "admin" if i == 0 else "resident", "locale": "ja", "confirmed_at": now,
             "session_token": f"bench-token-{i}", "created_at": now, "updated_at": now}
            for i in range(users_needed)])
        db.session.commit()
        user_ids = [row[0] for row in db.session.execute(db.select(User.id).order_by(User.id))]
        admin = db.session.get(User, user_ids[0])
        today = local_today()
        process = process_services.create_process(admin, {
            "title": "ベンチマーク用プロセス", "slug": "bench", "subtitle": "", "description": "",
            "area_id": None, "group_id": None, "promoted": False, "start_date": today - timedelta(days=30),
            "end_date": today + timedelta(days=30), "components": ["proposals"], "support_limit": 0,
            "support_threshold": 100, "proposal_body_max": 3000, "edit_window_minutes": 60,
            "hide_after_flags": 3, "proposal_limit": 0})
        process_services.add_phase(admin, process, {
            "title": "募集", "description": "", "start_date": today - timedelta(days=30),
            "end_date": today + timedelta(days=30), "features": {f: True for f in PHASE_FEATURES}})
        process_services.publish_process(admin, process)
        process_services.refresh_active_phase(process, today)
        db.session.commit()
        words = ["駅前", "駐輪場", "公園", "図書館", "バス", "道路", "子育て", "防災", "ごみ", "商店街"]
        per_proposal = supports // max(proposals, 1)
        extra = supports % max(proposals, 1)
        for start in range(0, proposals, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, proposals)):
                word = words[i % len(words)]
                rows.append({"process_id": process.id, "author_id": user_ids[1 + i % (len(user_ids) - 1)],
                             "reference": f"P-2026-{i + 1:06d}", "title": f"{word}についての提案 その{i + 1}",
                             "body": f"{word}をもっと使いやすくしてほしいです。番号{i + 1}。" * 3,
                             "status": "published", "published_at": now - timedelta(minutes=i),
                             "supports_count": per_proposal + (1 if i < extra else 0),
                             "endorsements_count": i % 7, "comments_count": 0, "from_mobile": i % 2 == 0,
                             "created_at": now, "updated_at": now})
            db.session.execute(insert(Proposal), rows)
            db.session.commit()
        first_id = db.session.scalar(db.select(db.func.min(Proposal.id)).where(Proposal.process_id == process.id))
        batch = []
        for i in range(supports):
            batch.append({"proposal_id": first_id + i % proposals, "user_id": user_ids[1 + i // proposals],
                          "created_at": now, "from_mobile": False})
            if len(batch) >= CHUNK:
                db.session.execute(insert(ProposalSupport), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(insert(ProposalSupport), batch)
            db.session.commit()
        hot = first_id
        _seed_comments(db, process.id, first_id, proposals, comments, user_ids, now)
        print(f"seeded {proposals} proposals, {supports} supports, {comments} comments "
              f"in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()
        return process.slug, hot


def _seed_comments(db, process_id, first_id, proposals, comments, user_ids, now) -> None:
    """Comments exist once the comments package is merged (contract columns); skipped otherwise."""
    table = db.metadata.tables.get("comments")
    if table is None or comments <= 0:
        if comments:
            print("no comments table in this build: comments not seeded")
        return
    from sqlalchemy import insert, text

    from participation.proposals.models import Proposal

    def row(i, target):
        values = {"target_type": "proposal", "target_id": target, "process_id": process_id, "parent_id": None,
                  "depth": 0, "author_id": user_ids[1 + i % (len(user_ids) - 1)], "body": f"コメント{i}です。",
                  "alignment": (i % 3) - 1, "upvotes": i % 5, "downvotes": i % 2, "created_at": now,
                  "from_mobile": False}
        return {k: v for k, v in values.items() if k in table.c}

    batch = []
    for i in range(comments):
        target = first_id if i < 200 else first_id + 1 + i % max(proposals - 1, 1)
        batch.append(row(i, target))
        if len(batch) >= CHUNK:
            db.session.execute(insert(table), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
    db.session.execute(text("UPDATE proposals SET comments_count = (SELECT count(*) FROM comments "
                            "WHERE comments.target_type = 'proposal' AND comments.target_id = proposals.id)"))
    db.session.commit()


def _drive(port: int, path: str, seconds: float, clients: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        mine = []
        failures = 0
        while time.perf_counter() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            begin = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": "lang=ja"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures += 1
            except OSError:
                failures += 1
            finally:
                conn.close()
            mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)
            errors[0] += failures

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


def _report(name: str, latencies: list[float], errors: int, elapsed: float) -> float:
    latencies = sorted(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    rps = len(latencies) / elapsed if elapsed else 0.0
    print(f"{name:<34} n={len(latencies):>6}  p50={statistics.median(latencies) * 1000:7.1f} ms  "
          f"p95={p95 * 1000:7.1f} ms  {rps:8.1f} req/s  errors={errors}")
    return rps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured route")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                        help="sync: one request per process at a time (--threads ignored)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance directory")
    parser.add_argument("--instance", help="instance directory to seed once and reuse (SQLite; implies --keep)")
    parser.add_argument("--seed-only", action="store_true", help="seed and exit (with --instance)")
    args = parser.parse_args()

    if args.instance:
        args.keep = True
        instance = Path(args.instance)
        instance.mkdir(parents=True, exist_ok=True)
    else:
        instance = Path(tempfile.mkdtemp(prefix="proposals-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
    marker = instance / "seeded.txt"
    if args.instance and marker.exists():
        slug, hot = marker.read_text().split()
        print(f"reusing the data seeded in {instance}")
    else:
        slug, hot = seed(url, instance, args.proposals, args.supports, args.comments)
        if args.instance:
            marker.write_text(f"{slug} {hot}")
    if args.seed_only:
        return 0

    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY="bench",
               RATELIMIT_ENABLED="0", SCHEDULER_IN_PROCESS="0")
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    worker = ["-k", "gthread", "--threads", str(args.threads)] if args.worker_class == "gthread" else ["-k", "sync"]
    server = subprocess.Popen([gunicorn, *worker, "-w", str(args.workers),
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                              cwd=str(ROOT), env=env)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        routes = [
            ("trivial /healthz", "/healthz"),
            ("list, random", f"/processes/{slug}/proposals?sort=random"),
            ("list, most supported, page 50", f"/processes/{slug}/proposals?sort=supports&page=50"),
            ("list, recent", f"/processes/{slug}/proposals?sort=recent"),
            ("list, most commented", f"/processes/{slug}/proposals?sort=comments"),
            ("list, withdrawn filter", f"/processes/{slug}/proposals?status=withdrawn"),
            ("list, search 駐輪場", f"/processes/{slug}/proposals?q=%E9%A7%90%E8%BC%AA%E5%A0%B4&sort=recent"),
            ("proposal page (200 comments)", f"/proposals/{hot}"),
        ]
        shape = f"gthread {args.workers}x{args.threads}" if args.worker_class == "gthread" else f"sync x{args.workers}"
        print(f"gunicorn {shape}, {args.clients} clients, {args.seconds:.0f} s per route, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        results = {}
        for name, path in routes:
            _drive(port, path, min(1.0, args.seconds), args.clients)  # warm up
            results[name] = _report(name, *_drive(port, path, args.seconds, args.clients))
        trivial = results["trivial /healthz"]
        if trivial:
            for name, rps in results.items():
                if name.startswith("list"):
                    print(f"{name:<34} {rps / trivial:6.2f} x trivial route (target >= 0.25)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)
        else:
            print(f"instance kept in {instance}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
