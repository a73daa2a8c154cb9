"""The list page: search on character trigrams, filters, sorts, pagination and a constant query count."""
import re

from sqlalchemy import event, insert

from participation.common.time import utcnow
from participation.extensions import db as _db
from participation.proposals import services
from participation.proposals.models import Proposal, ProposalCategory
from participation.proposals.queries import list_proposals, search_condition

LINK_RE = re.compile(r'href="/proposals/(\d+)"')


def _ids(client, url):
    return [int(i) for i in LINK_RE.findall(client.get(url).get_data(as_text=True))]


def test_search_finds_japanese_substring(client, make_process, make_proposal):
    process = make_process()
    wanted = make_proposal(process, title="駅前に駐輪場を増やしてほしい", body="自転車を停める場所が足りません。")
    in_body = make_proposal(process, title="自転車で通勤しやすいまちへ", body="市役所の横の駐輪場を広げてください。")
    other = make_proposal(process, title="公園に水飲み場をつくってほしい", body="夏の散歩で水が飲めると助かります。")
    ids = _ids(client, f"/processes/{process.slug}/proposals?q=駐輪場")
    assert set(ids) == {wanted.id, in_body.id}
    assert other.id not in ids
    # two characters: LIKE fallback
    assert set(_ids(client, f"/processes/{process.slug}/proposals?q=公園")) == {other.id}
    # several terms are all required; case and width are folded for Latin letters
    assert set(_ids(client, f"/processes/{process.slug}/proposals?q=駐輪場 市役所")) == {in_body.id}
    assert _ids(client, f"/processes/{process.slug}/proposals?q=図書館") == []
    # edits are searchable (the index follows updates), quotes and wildcards are harmless
    wanted.title = "駅前に図書館の分館をつくってほしい"
    _db.session.commit()
    assert _ids(client, f"/processes/{process.slug}/proposals?q=図書館") == [wanted.id]
    for odd in ('"', "%", "_", "a\"b OR c", "NEAR(", "*"):
        assert client.get(f"/processes/{process.slug}/proposals", query_string={"q": odd}).status_code == 200


def test_search_function_matches_latin_case_insensitively(app, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, title="Wi-Fi を市役所ロビーに設置してほしい", body="公共の WiFi があると便利です。")
    stmt = list_proposals(process, None, query="wifi")
    assert [p.id for p in _db.session.scalars(stmt)] == [proposal.id]
    assert search_condition("   ") is None


def test_filters(client, csrf, login, make_user, make_process, make_proposal, states, db):
    process = make_process()
    category = ProposalCategory(process_id=process.id, name_ja="交通", name_en="Transport")
    db.session.add(category)
    db.session.commit()
    me = make_user()
    mine = make_proposal(process, me, category_id=category.id)
    supported = make_proposal(process)
    withdrawn = make_proposal(process, status="withdrawn")
    hidden = make_proposal(process, hidden_at=utcnow())
    accepted = make_proposal(process)
    services.support(me, supported)
    services.save_answer(make_user("staff"), accepted, {"state_id": states["accepted"].id, "body": "採用します",
                                                          "publish": "now"})
    db.session.commit()
    base = f"/processes/{process.slug}/proposals"
    assert set(_ids(client, base)) == {mine.id, supported.id, accepted.id}
    assert _ids(client, base + "?status=withdrawn") == [withdrawn.id]
    assert hidden.id not in _ids(client, base + "?status=withdrawn") + _ids(client, base)
    assert _ids(client, base + f"?category={category.id}") == [mine.id]
    assert _ids(client, base + "?state=accepted") == [accepted.id]
    login(me)
    assert _ids(client, base + "?mine=1") == [mine.id]
    assert _ids(client, base + "?supported=1") == [supported.id]


def test_answer_state_filter_hides_unpublished_answers(client, make_user, make_process, make_proposal, states, db):
    process = make_process()
    proposal = make_proposal(process)
    services.save_answer(make_user("staff"), proposal, {"state_id": states["rejected"].id, "body": "検討中",
                                                          "publish": "draft"})
    db.session.commit()
    assert _ids(client, f"/processes/{process.slug}/proposals?state=rejected") == []


def _bulk(process, count, author):
    now = utcnow()
    start = _db.session.scalar(_db.select(_db.func.coalesce(_db.func.max(Proposal.id), 0)))
    _db.session.execute(insert(Proposal), [
        {"process_id": process.id, "author_id": author.id, "reference": f"P-2026-{start + i + 1:06d}",
         "title": f"たくさんの提案 その{start + i + 1} についてのお願い", "body": "本文です。" * 5,
         "status": "published", "published_at": now, "supports_count": (i * 7) % 13,
         "created_at": now, "updated_at": now} for i in range(count)])
    _db.session.commit()


def test_random_order_is_stable_across_pages_and_differs_by_visitor(app, make_user, make_process):
    process = make_process()
    _bulk(process, 45, make_user())
    first, second = app.test_client(), app.test_client()
    base = f"/processes/{process.slug}/proposals?sort=random"
    pages = [_ids(first, base + f"&page={n}") for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [20, 20, 5]
    seen = pages[0] + pages[1] + pages[2]
    assert len(set(seen)) == 45  # nothing repeated, nothing lost across pages
    assert _ids(first, base + "&page=1") == pages[0]  # stable on reload
    assert seen != sorted(seen) and seen != sorted(seen, reverse=True)
    other = _ids(second, base + "&page=1") + _ids(second, base + "&page=2") + _ids(second, base + "&page=3")
    assert sorted(other) == sorted(seen) and other != seen


def test_sorts(client, make_user, make_process):
    process = make_process()
    _bulk(process, 10, make_user())
    ids = _ids(client, f"/processes/{process.slug}/proposals?sort=supports")
    counts = {p.id: p.supports_count for p in _db.session.scalars(_db.select(Proposal))}
    assert [counts[i] for i in ids] == sorted(counts.values(), reverse=True)
    for sort in ("recent", "endorsements", "comments", "bogus"):
        assert len(_ids(client, f"/processes/{process.slug}/proposals?sort={sort}")) == 10


def _statements(client, url):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def test_query_count_is_the_same_for_20_and_2000_proposals(client, csrf, login, make_user, make_process, db):
    """Acceptance 6: no N+1, for a guest and a signed-in resident, on every sort."""
    process = make_process(support_limit=10)
    category = ProposalCategory(process_id=process.id, name_ja="交通", name_en="Transport")
    db.session.add(category)
    db.session.commit()
    authors = [make_user() for _ in range(5)]
    _bulk(process, 20, authors[0])
    for sort in ("random", "supports", "recent"):
        url = f"/processes/{process.slug}/proposals?sort={sort}"
        client.get(url)  # warm up (phase refresh, session seed)
        small = _statements(client, url)
        assert small > 0
        if sort == "random":
            small_random = small
    login(make_user())
    url = f"/processes/{process.slug}/proposals?sort=random"
    client.get(url)
    small_signed_in = _statements(client, url)
    client.post("/account/sign-out", data={"csrf_token": csrf("/")})
    for author in authors:
        _bulk(process, 396, author)
    url = f"/processes/{process.slug}/proposals?sort=random"
    assert _statements(client, url) == small_random
    for sort in ("supports", "recent"):
        assert _statements(client, f"/processes/{process.slug}/proposals?sort={sort}") == small_random
    login(make_user())
    client.get(url)
    assert _statements(client, url) == small_signed_in
    assert len(_ids(client, url)) == 20
