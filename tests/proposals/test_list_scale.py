"""The list at scale: every order reads an index, the random order is a per-seed rotation of stored keys,
the count is bounded (a pager without a total beyond it) and a search considers a bounded set of matches."""
import re

import pytest
from sqlalchemy import event, insert, text

from participation.common.time import utcnow
from participation.extensions import db as _db
from participation.common.pagecache import page_cache
from participation.proposals import queries
from participation.proposals.models import Proposal

LINK_RE = re.compile(r'href="/proposals/(\d+)"')


def _bulk(process, author, count, title="たくさんの提案 その{n} についてのお願い"):
    now = utcnow()
    start = _db.session.scalar(_db.select(_db.func.coalesce(_db.func.max(Proposal.id), 0)))
    _db.session.execute(insert(Proposal), [
        {"process_id": process.id, "author_id": author.id, "reference": f"P-2026-{start + i + 1:06d}",
         "title": title.format(n=start + i + 1), "body": "本文です。" * 5, "status": "published",
         "published_at": now, "supports_count": (i * 7) % 13, "endorsements_count": i % 3,
         "comments_count": i % 5, "created_at": now, "updated_at": now} for i in range(count)])
    _db.session.commit()


def _all_pages(process, seed, per_page=20):
    ids, page = [], 1
    while True:
        result = queries.list_page(process, None, page=page, per_page=per_page, sort="random", seed=seed)
        ids += [card.id for card in result.items]
        if not result.has_next:
            return ids
        page += 1


def test_new_proposals_get_spread_random_keys(app, make_user, make_process):
    process = make_process()
    _bulk(process, make_user(), 30)
    keys = list(_db.session.scalars(_db.select(Proposal.random_key)))
    assert len(set(keys)) == 30 and all(0 <= key < 2_000_000_000 for key in keys)


def test_random_order_is_a_stable_rotation_per_seed(app, make_user, make_process):
    process = make_process()
    _bulk(process, make_user(), 45)
    by_key = [p.id for p in _db.session.scalars(_db.select(Proposal).order_by(Proposal.random_key, Proposal.id))]
    keys = sorted(_db.session.scalars(_db.select(Proposal.random_key)))
    middle = keys[20]  # a seed in the middle: the order starts at that key and wraps around
    first = _all_pages(process, middle)
    assert first == by_key[20:] + by_key[:20]
    assert _all_pages(process, middle) == first  # stable on reload and across pages
    other = _all_pages(process, keys[7] + 2_000_000_000)  # seeds are taken modulo the key range
    assert sorted(other) == sorted(first) and other != first and other == by_key[7:] + by_key[:7]


def test_a_page_beyond_the_count_cap_has_a_pager_without_a_total(client, make_user, make_process, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 30)
    process = make_process()
    _bulk(process, make_user(), 45)
    base = f"/processes/{process.slug}/proposals?sort=supports"
    client.set_cookie("lang", "en")  # the new strings' Japanese arrives with the merged catalogue
    html = client.get(base).get_data(as_text=True)
    assert "More than 30 proposals" in html and "Page 1<" in html and " of " not in html.split('class="pager"')[1].split('</nav>')[0]
    assert 'rel="next"' in html and 'rel="prev"' not in html
    stray = client.get(base + "&slug=other&_scheme=javascript&_external=1&page=2").get_data(as_text=True)
    assert f'href="/processes/{process.slug}/proposals?sort=supports&amp;page=1"' in stray  # stray arguments dropped
    seen = []
    for n in (1, 2, 3):
        page_html = client.get(base + f"&page={n}").get_data(as_text=True)
        seen += [int(i) for i in LINK_RE.findall(page_html)]
    assert len(seen) == len(set(seen)) == 45
    assert 'rel="next"' not in page_html and 'rel="prev"' in page_html and "page=2" in page_html
    assert "45 proposals" in page_html  # the last page knows the total without counting
    monkeypatch.setattr(queries, "COUNT_CAP", 1000)
    page_cache().clear()  # the code changed, not the content: the guest's cached page would stand
    html = client.get(base).get_data(as_text=True)
    assert "45 proposals" in html and "Page 1 of 3" in html  # under the cap: the total and the number of pages


def test_search_considers_a_bounded_number_of_matches(client, make_user, make_process, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_CAP", 5)
    process = make_process()
    author = make_user()
    _bulk(process, author, 8, title="駐輪場の提案 その{n}")
    _bulk(process, author, 3, title="公園の提案 その{n}")
    result = queries.list_page(process, None, page=1, sort="supports", query="駐輪場")
    assert result.total is None and result.count_cap == 5  # "more than 5"
    assert len(result.items) == 6  # the newest cap + 1 matches, sorted
    newest = sorted(_db.session.scalars(_db.select(Proposal.id).where(Proposal.title.like("駐輪場%"))))[-6:]
    assert sorted(card.id for card in result.items) == newest
    small = queries.list_page(process, None, page=1, sort="recent", query="公園の提案")
    assert small.total == 3 and len(small.items) == 3 and not small.has_next
    assert client.get(f"/processes/{process.slug}/proposals?q=駐輪場").status_code == 200


@pytest.mark.parametrize("sort", queries.SORTS)
def test_every_list_order_reads_its_index_without_sorting(app, make_user, make_process, sort):
    if _db.engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite (PostgreSQL plans depend on table statistics)")
    process = make_process()
    _bulk(process, make_user(), 5)
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(_db.engine, "before_cursor_execute", keep)
    try:
        queries.list_page(process, None, page=2, per_page=2, sort=sort, seed=12345)
    finally:
        event.remove(_db.engine, "before_cursor_execute", keep)
    statement, parameters = next((s, p) for s, p in statements if "ORDER BY" in s)
    plan = " ".join(row[3] for row in _db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + statement, parameters))
    assert f"ix_proposals_visible_{sort}" in plan
    if sort == "random":  # two range scans of the random-key index; only the <= 2 x 21 ids they give are sorted
        assert "random_key>?" in plan and "random_key<?" in plan
        assert "TEMP B-TREE" not in plan.split("UNION ALL")[0]
    else:
        assert "TEMP B-TREE" not in plan


def test_the_list_indexes_are_partial_on_visible_rows(app, db):
    if db.engine.dialect.name != "sqlite":
        names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'proposals' "
                                            "AND indexdef LIKE '%WHERE (hidden_at IS NULL)%'")))
    else:
        names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                            "tbl_name = 'proposals' AND sql LIKE '%WHERE hidden_at IS NULL%'")))
    assert {f"ix_proposals_visible_{name}" for name in ("recent", "supports", "endorsements", "comments",
                                                         "random")} <= names


@pytest.mark.parametrize("analyzed", [False, True], ids=["no-statistics", "after-ANALYZE"])
def test_a_category_and_area_filter_reads_the_order_index_for_the_page_and_the_filter_index_for_the_count(
        app, make_user, make_process, analyzed):
    """Left to itself, SQLite counted a filtered list by walking every visible proposal of the process
    (200 ms at 100,000) and, once statistics exist, sorted a whole category for a page (20 ms)."""
    from participation.accounts.models import Area
    from participation.proposals.models import ProposalCategory

    if _db.engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite (PostgreSQL plans depend on table statistics)")
    process = make_process()
    categories = [ProposalCategory(process_id=process.id, name_ja=f"分類{i}", name_en=f"Category {i}")
                  for i in range(10)]
    areas = [Area(name_ja=f"地区{i}", name_en=f"Area {i}", position=i) for i in range(10)]
    _db.session.add_all(categories + areas)
    _db.session.commit()
    _bulk(process, make_user(), 300)
    _db.session.execute(text("UPDATE proposals SET category_id = :first + id % 10, area_id = :area + id % 10"),
                        {"first": categories[0].id, "area": areas[0].id})
    _db.session.commit()
    if analyzed:
        _db.session.execute(text("ANALYZE"))
        _db.session.commit()
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(_db.engine, "before_cursor_execute", keep)
    try:
        page = queries.list_page(process, None, page=1, per_page=5, sort="comments",
                                 category_id=categories[3].id, area_id=areas[3].id)
    finally:
        event.remove(_db.engine, "before_cursor_execute", keep)
    assert page.total == 30 and len(page.items) == 5

    def plan(statement, parameters):
        return " ".join(row[3] for row in _db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))

    page_plan = plan(*next((s, p) for s, p in statements if "ORDER BY" in s))
    count_plan = plan(*next((s, p) for s, p in statements if "count(*)" in s))
    assert "ix_proposals_visible_comments" in page_plan and "TEMP B-TREE" not in page_plan
    assert "ix_proposals_category_id" in count_plan or "ix_proposals_area_id" in count_plan


def test_supports_used_starts_from_the_participants_supports(app, make_user, make_process):
    """Counting one person's supports toward the limit must not walk every proposal of the process (it did:
    250 ms per signed-in page at 100,000 proposals)."""
    if _db.engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite (PostgreSQL plans depend on table statistics)")
    process = make_process()
    _bulk(process, make_user(), 50)
    statement = queries.SUPPORTS_USED.compile(_db.engine)
    values = statement.construct_params({"user_id": 1, "process_id": process.id})
    plan = " ".join(row[3] for row in _db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(statement), tuple(values[name] for name in statement.positiontup)))
    first_step = plan.split("SEARCH")[1]
    assert "proposal_supports" in first_step and "user" in first_step, plan


@pytest.mark.parametrize("sort", queries.SORTS)
def test_deep_pages_are_slices_of_one_shared_order_that_follows_content_changes(app, make_user, make_process,
                                                                               monkeypatch, sort):
    """From DEEP_OFFSET on a page is cut from the list's whole order, read once per content generation: the
    pages are the ones OFFSET gives, one read serves every deep page, and a new proposal is in the next page
    read (it changes the generation)."""
    process = make_process()
    author = make_user()
    _bulk(process, author, 47)

    keys = sorted(_db.session.scalars(_db.select(Proposal.random_key)))

    def every_page(seed=keys[20]):
        ids, page = [], 1
        while True:
            result = queries.list_page(process, None, page=page, per_page=5, sort=sort, seed=seed)
            ids += [card.id for card in result.items]
            if not result.has_next:
                return ids
            page += 1

    by_offset = every_page()
    assert len(by_offset) == len(set(by_offset)) == 47
    monkeypatch.setattr(queries, "DEEP_OFFSET", 10)
    reads = []
    real = queries._ordered_ids
    monkeypatch.setattr(queries, "_ordered_ids", lambda *args: reads.append(args[3]) or real(*args))
    assert every_page() == by_offset
    assert reads.count(None) == 1  # the whole order was read once; pages 3-10 were cut from it
    assert every_page() == by_offset and reads.count(None) == 1
    if sort == "random":  # another visitor's order is its own, and OFFSET's too
        other = every_page(seed=keys[7])
        assert other != by_offset and reads.count(None) == 2
        monkeypatch.setattr(queries, "DEEP_OFFSET", 10_000)
        assert every_page(seed=keys[7]) == other
        monkeypatch.setattr(queries, "DEEP_OFFSET", 10)

    _bulk(process, author, 1, title="あとから来た提案 その{n} についてのお願い")  # a commit that changes the generation
    newest = _db.session.scalar(_db.select(_db.func.max(Proposal.id)))
    after = every_page()
    assert sorted(after) == sorted(by_offset + [newest])
    if sort == "recent":
        assert after[0] == newest
    monkeypatch.setattr(queries, "DEEP_OFFSET", 10_000)
    assert every_page() == after  # the same pages as OFFSET gives
