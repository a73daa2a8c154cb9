"""Benchmark of the proposal pages (not a test).

Seeds one process with N proposals, S supports and C comments by bulk inserts, starts the app
under gunicorn, and drives it with K concurrent clients, printing p50/p95 latency and requests
per second for a trivial route (/healthz), the list page (every sort; the status, category, area,
answer-state, "mine" and "supported by me" filters; a search; as a guest and signed in) and a
proposal page with 200 comments, plus each list route's share of the throughput of the trivial route
(measured again just before it) and a PASS/FAIL verdict per route against the targets below.

The data looks like a live process: about 2% of the proposals withdrawn, categories (the process's
and global ones) and areas on most, published official answers (evaluating / accepted / rejected) on
about 10% (and a few unpublished ones), endorsements, each participant supporting about 100 proposals,
and the benched proposal's 200 comments in threads (top-level comments, replies and replies to
replies, a few deleted) with votes.

    .venv/bin/python bench/proposals_bench.py                      # 100k / 1M / 300k, 16 clients
    .venv/bin/python bench/proposals_bench.py --proposals 5000 --supports 50000 --comments 10000 --seconds 5
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/proposals_bench.py
    .venv/bin/python bench/proposals_bench.py --instance /tmp/bench-full   # seed once, reuse on later runs
    .venv/bin/python bench/proposals_bench.py --worker-class gthread --threads 4
    .venv/bin/python bench/proposals_bench.py --instance /tmp/bench-full --only "new page"   # some routes only

The work is CPU-bound Python (SQLite reads are in the page cache), so the default is one sync worker per
core, as gunicorn recommends behind a buffering proxy (nginx): on this 2-core machine it served the
trivial route at ~1,360 req/s against ~790 for gthread 2x4 (ab, 16 clients). gthread stays available to
compare. The load comes from wrk (`apt-get install wrk`) when it is installed: the threaded Python client
it falls back to takes about one core of the two for itself, and so roughly halves what the server shows. Guest requests carry no session cookie, so every one is a new visitor (a new random order, the
page cache's worst case).

Targets (issue 4): p95 < 50 ms for the list page (any sort, any filter) and a proposal page with
200 comments, at 16 concurrent clients on a 2-core machine; list req/s >= 1/4 of the trivial route.
"""
from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SUPPORTS_PER_USER = 100
BENCH_PASSWORD = "bench-password-42"
# One browser: the sign-in and the load send the same User-Agent. Flask-Login's session protection marks a
# session whose browser changed as not fresh, rewriting its cookie on every request of a client that (as wrk)
# never takes the new cookie: a cost a real browser does not cause.
USER_AGENT = "Mozilla/5.0 (participation bench)"
HOT_THREAD_SHAPE = (60, 95, 45)  # the benched proposal's 200 comments: top-level, replies, replies to replies
HOT_COMMENTS = sum(HOT_THREAD_SHAPE)


def _insert(db, table, rows) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start:start + CHUNK])
        db.session.commit()


def _stride(proposals: int) -> int:
    """A step coprime with the number of proposals: a participant's supports spread over the list."""
    stride = 7919
    while math.gcd(stride, proposals) != 1:
        stride += 2
    return stride


def _upgrade(url: str, instance: Path) -> None:
    os.environ["INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from participation import create_app

    with create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"}).app_context():
        upgrade()


def seed(url: str, instance: Path, proposals: int, supports: int, comments: int) -> dict:
    """Build the schema through the migrations and bulk-insert the data. Returns what the routes need:
    the process slug, the benched proposal, a category and an area to filter by, a resident to sign in as."""
    os.environ["INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from participation import create_app
    from participation.accounts.models import Area, User
    from participation.accounts.services import hash_password
    from participation.common.time import local_today, utcnow
    from participation.extensions import db
    from participation.processes import services as process_services
    from participation.processes.models import PHASE_FEATURES
    from participation.proposals.models import (Proposal, ProposalAnswer, ProposalCategory, ProposalEndorsement,
                                                ProposalSupport)
    from participation.proposals.services import ensure_builtin_states

    proposals = max(proposals, 2)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        now = utcnow()
        per_user = min(SUPPORTS_PER_USER, proposals)  # a participant supports a proposal at most once
        users_needed = max(50, -(-supports // per_user) + 1)
        _insert(db, User, [
            {"email": f"bench{i}@example.jp", "display_name": f"参加者{i}", "password_hash": None,
             "role": "admin" if i == 0 else "resident", "locale": "ja", "confirmed_at": now,
             "session_token": f"bench-token-{i}", "created_at": now, "updated_at": now}
            for i in range(users_needed)])
        user_ids = [row[0] for row in db.session.execute(db.select(User.id).order_by(User.id))]
        others = len(user_ids) - 1
        admin = db.session.get(User, user_ids[0])
        resident = db.session.get(User, user_ids[1])  # the signed-in client: ~100 supports, a few proposals
        resident.password_hash = hash_password(BENCH_PASSWORD)
        reader = db.session.get(User, user_ids[2])  # signed in too: neither author nor commenter of `hot`
        reader.password_hash = hash_password(BENCH_PASSWORD)
        today = local_today()
        process = process_services.create_process(admin, {
            "title": "ベンチマーク用プロセス", "slug": "bench", "subtitle": "", "description": "",
            "area_id": None, "group_id": None, "promoted": False, "start_date": today - timedelta(days=30),
            "end_date": today + timedelta(days=30), "components": ["proposals"], "support_limit": 300,
            "support_threshold": 100, "proposal_body_max": 3000, "edit_window_minutes": 60,
            "hide_after_flags": 3, "proposal_limit": 0})
        process_services.add_phase(admin, process, {
            "title": "募集", "description": "", "start_date": today - timedelta(days=30),
            "end_date": today + timedelta(days=30), "features": {f: True for f in PHASE_FEATURES}})
        process_services.publish_process(admin, process)
        process_services.refresh_active_phase(process, today)
        states = ensure_builtin_states()
        state_ids = [states[code].id for code in ("evaluating", "accepted", "rejected")]
        words = ["駅前", "駐輪場", "公園", "図書館", "バス", "道路", "子育て", "防災", "ごみ", "商店街"]
        categories = [ProposalCategory(process_id=process.id, name_ja=f"{word}の分野", name_en=f"Topic {n}",
                                       position=n) for n, word in enumerate(words[:8])]
        categories += [ProposalCategory(process_id=None, name_ja=name, name_en=name_en, position=10 + n)
                       for n, (name, name_en) in enumerate((("まちづくり全般", "Town planning"),
                                                             ("その他", "Other")))]
        areas = [Area(name_ja=f"ベンチ{name}地区", name_en=f"Bench {name_en}", position=n)
                 for n, (name, name_en) in enumerate(zip(
                     ("北", "南", "東", "西", "中央", "北東", "北西", "南東", "南西", "駅前", "山手", "海岸"),
                     ("North", "South", "East", "West", "Centre", "NE", "NW", "SE", "SW", "Station", "Hill",
                      "Coast")))]
        db.session.add_all(categories + areas)
        db.session.commit()
        category_ids, area_ids = [c.id for c in categories], [a.id for a in areas]

        # Supports: participant u supports SUPPORTS_PER_USER proposals spread over the list; counts match.
        stride = _stride(proposals)
        support_counts = [supports // proposals] * proposals
        for i in range(supports - supports % proposals, supports):
            support_counts[(i * stride) % proposals] += 1

        def endorsements_of(i):
            return 30 if i == 0 else (i * 5) % 9

        for start in range(0, proposals, CHUNK):
            rows = []
            for i in range(start, min(start + CHUNK, proposals)):
                word = words[i % len(words)]
                withdrawn = i % 50 == 49  # 2%
                rows.append({"process_id": process.id, "author_id": user_ids[1 + i % others],
                             "reference": f"P-2026-{i + 1:06d}", "title": f"{word}についての提案 その{i + 1}",
                             "body": f"{word}をもっと使いやすくしてほしいです。番号{i + 1}。" * 3,
                             "status": "withdrawn" if withdrawn else "published",
                             "published_at": now - timedelta(minutes=i),
                             "withdrawn_at": now if withdrawn else None,
                             "category_id": None if (i + 1) % 11 == 0 else category_ids[i % len(category_ids)],
                             "area_id": None if (i + 1) % 13 == 0 else area_ids[i % len(area_ids)],
                             "supports_count": support_counts[i], "endorsements_count": endorsements_of(i),
                             "comments_count": 0, "from_mobile": i % 2 == 0, "created_at": now, "updated_at": now})
            db.session.execute(insert(Proposal), rows)
            db.session.commit()
        first_id = db.session.scalar(db.select(db.func.min(Proposal.id)).where(Proposal.process_id == process.id))
        hot = first_id

        # Official answers: ~10% published (the three states in turn), ~1% still unpublished (staff only).
        answers = []
        for i in range(proposals):
            if i % 10 == 0 or i % 100 == 5:
                published = i % 10 == 0
                answers.append({"proposal_id": first_id + i, "state_id": state_ids[(i // 10) % 3],
                                "body": "ご提案ありがとうございます。担当課で検討しました。",
                                "publish_at": now if published else None, "published_at": now if published else None,
                                "answered_by_id": user_ids[0], "created_at": now, "updated_at": now})
        _insert(db, ProposalAnswer, answers)

        batch = []
        for i in range(supports):
            batch.append({"proposal_id": first_id + (i * stride) % proposals,
                          "user_id": user_ids[1 + i // per_user], "created_at": now, "from_mobile": False})
            if len(batch) >= CHUNK:
                db.session.execute(insert(ProposalSupport), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(insert(ProposalSupport), batch)
            db.session.commit()

        batch = []
        for i in range(proposals):
            for k in range(min(endorsements_of(i), others)):
                batch.append({"proposal_id": first_id + i, "user_id": user_ids[1 + (i + k * 37) % others],
                              "created_at": now, "from_mobile": False})
            if len(batch) >= CHUNK:
                db.session.execute(insert(ProposalEndorsement), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(insert(ProposalEndorsement), batch)
            db.session.commit()

        _seed_comments(db, process.id, first_id, proposals, comments, user_ids, now)
        print(f"seeded {proposals} proposals ({proposals // 50} withdrawn, {len(answers)} answers), "
              f"{supports} supports, {sum(endorsements_of(i) for i in range(proposals))} endorsements, "
              f"{comments} comments in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()
        return {"slug": process.slug, "hot": hot, "category": category_ids[0], "area": area_ids[0],
                "email": "bench1@example.jp", "reader_email": "bench2@example.jp", "password": BENCH_PASSWORD}


def _hot_thread(user_ids, now) -> list[list[dict]]:
    """The benched proposal's comments level by level: each reply names its parent by index in the level
    above. Older threads draw more replies (as on a live page), a few comments are deleted."""
    import random

    rng = random.Random(4)
    top, level_one, level_two = HOT_THREAD_SHAPE
    levels: list[list[dict]] = [[], [], []]
    for n in range(top):
        levels[0].append({"parent": None, "created_at": now - timedelta(hours=2 * (top - n) + 48)})
    for depth, count in ((1, level_one), (2, level_two)):
        above = levels[depth - 1]
        weights = [1.0 / (1 + index) ** 0.7 for index in range(len(above))]
        for _ in range(count):
            parent = rng.choices(range(len(above)), weights)[0]
            levels[depth].append({"parent": parent,
                                  "created_at": above[parent]["created_at"] + timedelta(minutes=rng.randint(5, 600))})
    for depth, level in enumerate(levels):
        for n, comment in enumerate(level):
            comment.update(depth=depth, author_id=user_ids[3 + rng.randrange(len(user_ids) - 3)],  # not the reader
                           alignment=rng.choice((1, 1, 0, -1)), upvotes=rng.randint(0, 12),
                           downvotes=rng.randint(0, 3), deleted=rng.random() < 0.03,
                           body=("返信" if depth else "意見") + f"{depth}-{n}: " + "この提案について思うことを書きます。"
                           * rng.randint(1, 6))
    return levels


def _seed_comments(db, process_id, first_id, proposals, comments, user_ids, now) -> None:
    """Comments exist once the comments package is merged (contract columns); skipped otherwise."""
    table = db.metadata.tables.get("comments")
    if table is None or comments <= 0:
        if comments:
            print("no comments table in this build: comments not seeded")
        return
    from sqlalchemy import select, text

    def row(i, target, **values):
        values = {"target_type": "proposal", "target_id": target, "process_id": process_id, "parent_id": None,
                  "depth": 0, "author_id": user_ids[1 + i % (len(user_ids) - 1)], "body": f"コメント{i}です。",
                  "alignment": (i % 3) - 1, "upvotes": i % 5, "downvotes": i % 2, "created_at": now,
                  "from_mobile": False, **values}
        return {k: v for k, v in values.items() if k in table.c}

    # The benched proposal: 200 comments in threads, inserted level by level to learn the parents' ids.
    parent_ids: list[int] = []
    for depth, level in enumerate(_hot_thread(user_ids, now)):
        rows = [row(n, first_id, depth=depth, parent_id=None if c["parent"] is None else parent_ids[c["parent"]],
                    author_id=c["author_id"], body=c["body"], alignment=c["alignment"], upvotes=c["upvotes"],
                    downvotes=c["downvotes"], created_at=c["created_at"],
                    deleted_at=now if c["deleted"] else None) for n, c in enumerate(level)]
        # one by one (200 rows), each returning its id: a reply's parent is known on every database
        ids = []
        for values in rows:
            ids.append(db.session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
        parent_ids = ids
    hot_ids = [r[0] for r in db.session.execute(select(table.c.id).where(table.c.target_id == first_id,
                                                                           table.c.target_type == "proposal"))]
    votes = db.metadata.tables.get("comment_votes")
    if votes is not None:  # the signed-in resident has voted on some of them
        db.session.execute(insert(votes), [{"comment_id": cid, "user_id": user_ids[1], "value": 1 if n % 3 else -1}
                                           for n, cid in enumerate(hot_ids[::7])])
    db.session.commit()

    batch = []
    rest = max(comments - HOT_COMMENTS, 0)
    for i in range(rest):
        batch.append(row(i, first_id + 1 + i % max(proposals - 1, 1)))
        if len(batch) >= CHUNK:
            db.session.execute(insert(table), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
    db.session.execute(text("UPDATE proposals SET comments_count = (SELECT count(*) FROM comments "
                            "WHERE comments.target_type = 'proposal' AND comments.target_id = proposals.id "
                            "AND comments.deleted_at IS NULL AND comments.hidden_at IS NULL)"))
    db.session.commit()


def _drive(port: int, path, seconds: float, clients: int, cookie: str = "lang=ja"
           ) -> tuple[list[float], int, float]:
    """`path`: one path, or a list of paths that the clients go through in turn (pages never requested
    twice within a run: every request renders its page)."""
    paths = itertools.cycle(path if isinstance(path, list) else [path])
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
                with lock:
                    target = next(paths)
                conn.request("GET", target, headers={"Cookie": cookie, "User-Agent": USER_AGENT})
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


# wrk's summary as one line: requests, errors (connect/read/write/timeout and non-2xx/3xx), seconds, p50, p95 (µs)
WRK_SUMMARY = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %f %f %f\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(95)))
end
"""


# wrk going through a list of paths: each of its threads starts at its own place in the list.
WRK_PATHS = """
paths = {%s}
started = 0
at = 0
setup = function(thread) thread:set("at", started * %d); started = started + 1 end
request = function()
  at = at + 1
  return wrk.format(nil, paths[(at %% #paths) + 1])
end
"""


def _drive_wrk(wrk: str, port: int, path, seconds: float, clients: int, cookie: str) -> dict:
    """The same load from wrk, a C load generator: it leaves the server nearly all of the two cores (the
    Python client above uses about as much CPU as a worker). `path`: as for _drive."""
    paths = path if isinstance(path, list) else None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if paths:
            script.write(WRK_PATHS % (", ".join(json.dumps(p) for p in paths), len(paths) // 2))
        script.write(WRK_SUMMARY)
    try:
        out = subprocess.run([wrk, f"-t{min(2, clients)}", f"-c{clients}", f"-d{max(1, round(seconds))}s",
                              "--timeout", "30s", "-H", f"Cookie: {cookie}", "-H", f"User-Agent: {USER_AGENT}", "-s", script.name,
                              f"http://127.0.0.1:{port}{paths[0] if paths else path}"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    requests, errors, elapsed, p50, p95 = next(line for line in out.splitlines() if line.startswith("WRK ")).split()[1:]
    return {"n": int(requests), "errors": int(errors), "rps": int(requests) / float(elapsed),
            "p50": float(p50) / 1e6, "p95": float(p95) / 1e6}


def _figures(latencies: list[float], errors: int, elapsed: float) -> dict:
    latencies = sorted(latencies)
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)] if latencies else float("nan")
    return {"n": len(latencies), "errors": errors, "rps": len(latencies) / elapsed if elapsed else 0.0,
            "p50": statistics.median(latencies) if latencies else float("nan"), "p95": p95}


def _report(name: str, figures: dict) -> dict:
    print(f"{name:<42} n={figures['n']:>6}  p50={figures['p50'] * 1000:7.1f} ms  p95={figures['p95'] * 1000:7.1f} ms  "
          f"{figures['rps']:8.1f} req/s  errors={figures['errors']}", flush=True)
    return figures


P95_TARGET_MS = 50.0
RATIO_TARGET = 0.25


def _verdicts(results: dict, trivial_before: dict) -> bool:
    """Per route: p95 < 50 ms (every page), req/s >= 1/4 of the trivial route's (list pages), no errors. Each
    route is compared with the trivial route measured just before it: this machine's speed drifts during a
    run (a 2-core VM served the trivial route ~30% slower after a few minutes of full load than at the
    start), so one figure taken at the start would judge the later routes on a faster machine."""
    trivial = results.pop("trivial /healthz")["rps"]
    print(f"\ntargets: p95 < {P95_TARGET_MS:.0f} ms; list pages >= {RATIO_TARGET} x the trivial route's req/s "
          f"(measured just before each route; {trivial:.1f} at the start); no errors")
    passed = True
    for name, figures in results.items():
        p95_ms = figures["p95"] * 1000
        p95_ok = p95_ms < P95_TARGET_MS
        reference = trivial_before.get(name, trivial)
        ratio = figures["rps"] / reference if reference else 0.0
        is_list = name.startswith("list")
        ratio_ok = ratio >= RATIO_TARGET if is_list else True
        ok = p95_ok and ratio_ok and figures["errors"] == 0 and figures["n"] > 0
        passed &= ok
        ratio_text = f"{ratio:5.2f} x {'PASS' if ratio_ok else 'FAIL'}" if is_list else f"{ratio:5.2f} x (n/a) "
        print(f"{name:<42} p95 {p95_ms:7.1f} ms {'PASS' if p95_ok else 'FAIL'}   ratio {ratio_text} "
              f"(of {reference:6.0f})   errors {figures['errors']}   => {'PASS' if ok else 'FAIL'}")
    print(f"overall: {'PASS' if passed else 'FAIL'}")
    return passed


TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _sign_in(port: int, email: str, password: str, warm_path: str) -> str:
    """Sign in as a browser would (CSRF token, session cookie) and return the Cookie header for that session,
    with the list's random seed already stored in it (as after a first visit)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + "/account/sign-in", timeout=30).read().decode()
    token = TOKEN_RE.search(page).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    opener.open(base + "/account/sign-in", data=data, timeout=30).read()
    page = opener.open(base + warm_path, timeout=30).read().decode()
    if "/account/sign-out" not in page:
        raise RuntimeError("the bench could not sign in as " + email)
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--supports", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured route")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=("gthread", "sync"),
                        help="sync: one request per process at a time (--threads ignored)")
    parser.add_argument("--client", default="auto", choices=("auto", "wrk", "python"),
                        help="load generator: wrk when installed (auto), or the threaded Python client")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance directory")
    parser.add_argument("--instance", help="instance directory to seed once and reuse (SQLite; implies --keep)")
    parser.add_argument("--seed-only", action="store_true", help="seed and exit (with --instance)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="measure only the routes whose name contains TEXT (repeatable; the trivial route is "
                             "always measured)")
    args = parser.parse_args()

    if args.instance:
        args.keep = True
        instance = Path(args.instance)
        instance.mkdir(parents=True, exist_ok=True)
    else:
        instance = Path(tempfile.mkdtemp(prefix="proposals-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
    marker = instance / "seeded.json"
    if args.instance and marker.exists():
        info = json.loads(marker.read_text())
        print(f"reusing the data seeded in {instance}")
        _upgrade(url, instance)  # the schema of the code being measured (migrations added since the seeding)
    elif args.instance and (instance / "seeded.txt").exists():
        print(f"{instance} was seeded by an older version of this bench (no categories, areas, answers, "
              "threads); remove it and run again", file=sys.stderr)
        return 2
    else:
        info = seed(url, instance, args.proposals, args.supports, args.comments)
        if args.instance:
            marker.write_text(json.dumps(info))
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
        slug, hot = info["slug"], info["hot"]
        base = f"/processes/{slug}/proposals"
        cookie = _sign_in(port, info["email"], info["password"], base + "?sort=random")
        reader = _sign_in(port, info["reader_email"], info["password"], f"/proposals/{hot}")
        guest, resident = "lang=ja", cookie
        routes = [
            ("trivial /healthz", "/healthz", guest),
            ("list, random", f"{base}?sort=random", guest),
            ("list, recent", f"{base}?sort=recent", guest),
            ("list, most supported, page 50", f"{base}?sort=supports&page=50", guest),
            ("list, most endorsed", f"{base}?sort=endorsements", guest),
            ("list, most commented", f"{base}?sort=comments", guest),
            ("list, withdrawn filter", f"{base}?status=withdrawn", guest),
            ("list, category filter", f"{base}?category={info['category']}", guest),
            ("list, area filter", f"{base}?area={info['area']}&sort=recent", guest),
            ("list, state filter (accepted)", f"{base}?state=accepted&sort=supports", guest),
            ("list, category+area, most commented", f"{base}?category={info['category']}&area={info['area']}"
                                                    "&sort=comments", guest),
            ("list, search 駐輪場", f"{base}?q=%E9%A7%90%E8%BC%AA%E5%A0%B4&sort=recent", guest),
            ("list, signed in, random", f"{base}?sort=random", resident),
            ("list, signed in, supported by me", f"{base}?supported=1&sort=recent", resident),
            ("list, signed in, mine", f"{base}?mine=1&sort=recent", resident),
            # Every request a page not requested before in the run: each one is rendered (no page cache).
            ("list, a new page each request", [f"{base}?sort=recent&page={n}" for n in range(1, 4001)], guest),
            ("list, signed in, a new page each request", [f"{base}?sort=supports&page={n}" for n in range(1, 4001)],
             resident),
            ("proposal page (200 comments)", f"/proposals/{hot}", guest),
            ("proposal page, signed in, another resident", f"/proposals/{hot}", reader),
            ("proposal page, signed in, its author", f"/proposals/{hot}", resident),
        ]
        if args.only:
            routes = [route for route in routes
                      if route[0].startswith("trivial") or any(text in route[0] for text in args.only)]
        shape = f"gthread {args.workers}x{args.threads}" if args.worker_class == "gthread" else f"sync x{args.workers}"
        print(f"gunicorn {shape}, {args.clients} clients, {args.seconds:.0f} s per route, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        wrk = None if args.client == "python" else shutil.which("wrk")
        if args.client == "wrk" and wrk is None:
            print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
            return 2
        print("load from " + ("wrk" if wrk else "the Python client (install wrk for figures less disturbed "
                                                 "by the client's own CPU use)"))
        def measure(path, cookie):
            if wrk:
                return _drive_wrk(wrk, port, path, args.seconds, args.clients, cookie)
            return _figures(*_drive(port, path, args.seconds, args.clients, cookie))

        results, trivial_before = {}, {}
        for name, path, route_cookie in routes:
            if results:  # the trivial route again, just before this one (see _verdicts)
                trivial_before[name] = measure("/healthz", guest)["rps"]
            if not isinstance(path, list):  # warm up (a list of pages is there to miss the cache)
                _drive(port, path, min(1.0, args.seconds), args.clients, route_cookie)
            results[name] = _report(name, measure(path, route_cookie))
        _verdicts(results, trivial_before)
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
