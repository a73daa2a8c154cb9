"""The whole-page cache for guests (participation/common/pagecache.py) on the proposal pages: guests
and residents share a rendered page until public content changes, each viewer getting their own viewer parts;
staff pages, flash messages and CSRF tokens are never shared."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from participation.common import pagecache
from participation.common.pagecache import ContentGeneration, page_cache
from participation.common.time import utcnow
from participation.moderation.services import hide_content
from participation.notifications.services import notify
from participation.proposals import services
from participation.proposals.jobs import publish_scheduled_answers
from tests.conftest import signed_in, sql_statements


TOKEN_RE = re.compile(r'name="csrf_token" value="[^"]*"')


def _generation(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(ContentGeneration.value))


def _guest(app):
    client = app.test_client()
    client.set_cookie("lang", "ja")
    return client


def _page(client, path) -> str:
    """The page without its CSRF token (each visitor's own)."""
    response = client.get(path)
    assert response.status_code == 200
    return TOKEN_RE.sub('name="csrf_token" value=""', response.get_data(as_text=True))


def test_guests_share_a_page_until_its_content_changes(app, db, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, title="公園に日陰のベンチを増やしてほしい")
    path, cache = f"/proposals/{proposal.id}", page_cache()
    first = _page(_guest(app), path)
    hits = cache.hits
    assert "公園に日陰のベンチ" in _page(_guest(app), path)
    assert cache.hits == hits + 1  # the second guest got the first one's page

    before = _generation(db)
    proposal = db.session.get(type(proposal), proposal.id)
    proposal.title = "公園に木陰のベンチを増やしてほしい"
    db.session.commit()
    assert _generation(db) == before + 1
    page = _page(_guest(app), path)
    assert "木陰のベンチ" in page and "日陰のベンチ" not in page and page != first


def test_hiding_a_proposal_reaches_guests_at_once(app, db, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, title="駅前の放置自転車を減らす仕組み")
    listing = f"/processes/{process.slug}/proposals?sort=recent"
    assert "駅前の放置自転車" in _page(_guest(app), listing)
    assert "駅前の放置自転車" in _page(_guest(app), f"/proposals/{proposal.id}")
    hide_content(make_user("staff"), "proposal", proposal.id)  # an UPDATE statement, not an ORM change
    db.session.commit()
    assert "駅前の放置自転車" not in _page(_guest(app), listing)
    assert _guest(app).get(f"/proposals/{proposal.id}").status_code == 404


def test_an_answer_published_by_the_job_reaches_guests_at_once(app, db, make_user, make_process, make_proposal,
                                                               states):
    process = make_process()
    proposal = make_proposal(process)
    services.save_answer(make_user("staff"), proposal, {
        "state_id": states["accepted"].id, "body": "来年度に実施します。", "cost": None, "execution_period": "",
        "publish": "schedule", "publish_at": utcnow() + timedelta(minutes=5)})
    db.session.commit()
    path = f"/proposals/{proposal.id}"
    assert "来年度に実施します" not in _page(_guest(app), path)
    assert publish_scheduled_answers(now=utcnow() + timedelta(minutes=6))["published"] == 1
    assert "来年度に実施します" in _page(_guest(app), path)


SUPPORT_COUNT = re.compile(r'class="support-count"><strong>\D*(\d+)')


def test_supports_do_not_empty_the_cache_and_everyone_sees_the_live_count(app, db, make_user, make_process,
                                                                         make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    path, cache = f"/proposals/{proposal.id}", page_cache()
    supporter = make_user()
    assert SUPPORT_COUNT.search(_page(_guest(app), path)).group(1) == "0"
    before = _generation(db)
    services.support(supporter, proposal)
    db.session.commit()
    assert _generation(db) == before  # a support is a counter: the stored page stands...
    hits = cache.hits
    assert SUPPORT_COUNT.search(_page(_guest(app), path)).group(1) == "1"  # ...with the count filled in live
    assert cache.hits == hits + 1


def test_residents_share_a_proposal_page_each_with_their_own_buttons(app, db, make_user, make_process,
                                                                     make_proposal):
    from participation.comments import services as comment_services
    from participation.comments.models import Comment

    process = make_process(support_limit=3)
    author, commenter, supporter, other = (make_user() for _ in range(4))
    proposal = make_proposal(process, author=author)
    comment = comment_services.post_comment(commenter, "proposal", proposal.id, "賛成です。駅前は暗いので。", 1)
    services.support(supporter, proposal)
    services.endorse(supporter, proposal)
    comment_services.vote_comment(supporter, db.session.get(Comment, comment.id), 1)
    db.session.commit()
    path, cache = f"/proposals/{proposal.id}", page_cache()
    theirs = _page(signed_in(app, supporter), path)
    hits = cache.hits
    mine = _page(signed_in(app, other), path)
    assert cache.hits == hits + 1  # the other resident was served the supporter's rendering...
    # ...with their own support block, endorse and vote buttons
    assert "賛成を取り消す" in theirs and "賛成を取り消す" not in mine
    assert "3件中あと2件" in theirs and "3件中あと3件" in mine
    assert "賛同を取り消す" in theirs and "賛同を取り消す" not in mine
    assert 'aria-pressed="true">「よい」を取り消す' in theirs and "「よい」を取り消す" not in mine
    assert theirs.count('name="submission_key" value="') == mine.count('name="submission_key" value="') == 1
    key = re.compile(r'name="submission_key" value="([^"]+)"')
    assert key.search(theirs).group(1) != key.search(mine).group(1)  # each viewer's form has its own key
    # the author of the proposal and of the comment see pages of their own, with their own buttons
    author_client = signed_in(app, author)
    assert "提案を取り下げる" in _page(author_client, path)
    hits = cache.hits
    assert "提案を取り下げる" in _page(author_client, path)  # stored for the author alone...
    assert cache.hits == hits + 1
    assert "提案を取り下げる" not in _page(signed_in(app, other), path)  # ...and never served to others
    delete = f"/comments/{comment.id}/delete"
    assert delete in _page(signed_in(app, commenter), path)
    assert "提案を取り下げる" not in mine and delete not in mine


def test_residents_share_the_list_page_each_with_their_own_parts(app, db, make_user, make_process, make_proposal):
    process = make_process(support_limit=5)
    supported, other = make_proposal(process, title="図書館の開館時間を延ばす"), make_proposal(process)
    first, second = make_user(display_name="山田花子"), make_user(display_name="佐藤一郎")
    services.support(first, supported)
    notify([first], "comment_on_my_proposal", target_type="proposal", target_id=other.id, title="t", body="b",
           url="/")
    db.session.commit()
    path, cache = f"/processes/{process.slug}/proposals?sort=recent", page_cache()
    first_page = _page(signed_in(app, first), path)
    hits = cache.hits
    second_page = _page(signed_in(app, second), path)
    assert cache.hits == hits + 1  # the second resident was served the page the first one's request rendered
    # ...with their own parts: supports left, "you support this", the unread count in the header
    assert "5件中あと4件" in first_page and "5件中あと5件" in second_page
    assert first_page.count("賛成済み") == 1 and "賛成済み" not in second_page
    assert re.search(r"お知らせ <span[^>]*>1<", first_page) and not re.search(r"お知らせ <span", second_page)
    # and the counts are live for everyone, though the page is shared
    assert _page(_guest(app), path).count("賛成 1件") == 1
    services.support(second, other)
    db.session.commit()
    hits = cache.hits
    guest = _page(_guest(app), path)
    assert cache.hits == hits + 1 and guest.count("賛成 1件") == 2 and "/account/sign-out" not in guest


def test_a_residents_own_figures_are_read_once_while_paging_and_again_after_each_of_their_supports(
        app, db, make_user, make_process, make_proposal):
    process = make_process(support_limit=5)
    first, second = make_proposal(process), make_proposal(process)
    resident = make_user()
    services.support(resident, first)
    db.session.commit()
    client, base = signed_in(app, resident), f"/processes/{process.slug}/proposals"
    figures_read = re.compile(r"SELECT \(SELECT count\(proposals\.id\)")  # queries.VIEWER_FIGURES

    def figures_on(sort: str) -> tuple[str, int]:
        with sql_statements() as statements:
            page = _page(client, f"{base}?sort={sort}")
        return re.search(r"5件中あと\d件", page).group(0), sum(bool(figures_read.match(sql)) for sql in statements)

    assert figures_on("recent") == ("5件中あと4件", 1)
    assert figures_on("supports") == ("5件中あと4件", 0)  # another page: the figures read for the first one
    generation = _generation(db)
    services.support(resident, second)  # moves their activity version, not the content generation
    db.session.commit()
    assert _generation(db) == generation
    assert figures_on("endorsements") == ("5件中あと3件", 1)
    assert figures_on("comments") == ("5件中あと3件", 0)
    services.withdraw_support(resident, first)
    db.session.commit()
    assert figures_on("random") == ("5件中あと4件", 1)


def test_you_support_this_follows_each_of_the_residents_supports_at_once(app, db, make_user, make_process,
                                                                         make_proposal):
    process = make_process()
    first, second = make_proposal(process), make_proposal(process)
    resident = make_user()
    services.support(resident, first)
    db.session.commit()
    client, base = signed_in(app, resident), f"/processes/{process.slug}/proposals"
    assert _page(client, base + "?sort=recent").count("賛成済み") == 1
    services.support(resident, second)
    db.session.commit()
    hits = page_cache().hits
    assert _page(client, base + "?sort=recent").count("賛成済み") == 2  # the shared page, their parts read again
    assert page_cache().hits == hits + 1
    assert _page(client, base + "?sort=supports").count("賛成済み") == 2  # a page rendered now
    services.withdraw_support(resident, first)
    db.session.commit()
    assert _page(client, base + "?sort=recent").count("賛成済み") == 1
    assert _page(client, base + "?sort=endorsements").count("賛成済み") == 1
    assert _page(signed_in(app, make_user()), base + "?sort=recent").count("賛成済み") == 0


def test_a_list_page_rendered_now_takes_its_live_counts_from_its_cards_read(app, db, make_user, make_process,
                                                                            make_proposal):
    process = make_process()
    supported, other = make_proposal(process), make_proposal(process)
    resident, other_resident = make_user(), make_user()
    services.support(resident, supported)
    db.session.commit()
    path = f"/processes/{process.slug}/proposals?sort=recent"
    client = signed_in(app, resident)
    counts_read = re.compile(r"SELECT proposals\.id, proposals\.supports_count")  # live_counts' own statement
    with sql_statements() as rendered:
        page = _page(client, path)
    assert page.count("賛成済み") == 1 and page.count("賛成 1件") == 1 and page.count("賛成 0件") == 1
    assert not any(counts_read.match(sql) for sql in rendered)  # the cards' read gave them (and "you support")
    services.support(other_resident, other)  # a counter: the shared page stays, its counts are read again
    db.session.commit()
    hits = page_cache().hits
    with sql_statements() as served:
        page = _page(client, path)
    assert page_cache().hits == hits + 1 and page.count("賛成 1件") == 2 and page.count("賛成済み") == 1
    assert sum(bool(counts_read.match(sql)) for sql in served) == 1


def test_pages_that_differ_per_resident_or_show_staff_tools_are_not_shared(app, db, make_user, make_process,
                                                                          make_proposal):
    process = make_process()
    first, second = make_user(), make_user()
    make_proposal(process, author=first, title="駐輪場の屋根を直してほしい")
    db.session.commit()
    resident = signed_in(app, second)
    cache, base = page_cache(), f"/processes/{process.slug}/proposals"
    size = len(cache._entries)
    staff = signed_in(app, make_user("staff"))
    for _ in range(2):
        assert "提案への回答" in _page(staff, base)
    assert len(cache._entries) == size  # staff pages show staff tools: rendered each time, never stored
    assert "駐輪場の屋根" in _page(signed_in(app, first), base + "?mine=1")
    assert "駐輪場の屋根" not in _page(resident, base + "?mine=1")  # "my proposals" is each person's own


def test_supported_by_me_is_each_residents_own_and_follows_their_supports_at_once(app, db, make_user, make_process,
                                                                                 make_proposal):
    process = make_process(support_limit=0)
    supporter, other = make_user(), make_user()
    library, hall, roof = (make_proposal(process, title=title) for title in
                           ("図書館の開館時間を延ばす", "公民館の予約をネットで", "駐輪場の屋根を直してほしい"))
    services.support(supporter, library)
    services.support(other, roof)
    db.session.commit()
    path, cache = f"/processes/{process.slug}/proposals?supported=1", page_cache()
    client = signed_in(app, supporter)
    page = _page(client, path)
    assert "図書館の開館時間" in page and "公民館の予約" not in page
    hits = cache.hits
    assert _page(client, path) == page and cache.hits == hits + 1  # stored for this resident...
    theirs = _page(signed_in(app, other), path)
    assert "駐輪場の屋根" in theirs and "図書館の開館時間" not in theirs  # ...and never served to another
    generation = _generation(db)
    services.support(supporter, hall)  # a support leaves the content generation alone...
    db.session.commit()
    assert _generation(db) == generation
    page = _page(client, path)
    assert "公民館の予約" in page and "図書館の開館時間" in page  # ...yet the list shows it at once
    services.withdraw_support(supporter, library)
    db.session.commit()
    page = _page(client, path)
    assert "図書館の開館時間" not in page and "公民館の予約" in page


def test_a_cached_page_gives_guests_no_token_and_each_resident_their_own(app, make_user, make_process,
                                                                        make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    path = f"/proposals/{proposal.id}"
    # Guests: the page has no form that needs a token, so a guest gets none, and no session cookie, whether
    # the page is rendered for them or served from the cache.
    guest_pages = [_guest(app).get(path)]
    hits = page_cache().hits
    guest_pages.append(_guest(app).get(path))
    assert page_cache().hits == hits + 1
    for served in guest_pages:
        body = served.get_data(as_text=True)
        assert served.status_code == 200 and 'name="csrf_token"' not in body and pagecache._CSRF_HOLE not in body
        assert served.headers.getlist("Set-Cookie") == []

    # Residents share one page too, each with their own token (the header's sign-out and language forms).
    first, second = signed_in(app, make_user()), signed_in(app, make_user())
    rendered = first.get(path)
    hits = page_cache().hits
    served = second.get(path)
    assert page_cache().hits == hits + 1  # the second resident got the first one's page
    tokens = []
    for response in (rendered, served):
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and pagecache._CSRF_HOLE not in body
        found = set(re.findall(r'name="csrf_token" value="([^"]+)"', body))
        assert len(found) == 1, "every form of the page carries the viewer's own token"
        tokens.append(found.pop())
    token_one, token_two = tokens
    assert token_one != token_two
    # The first resident's token is refused in the second one's session; each one's own works.
    assert second.post("/account/sign-out", data={"csrf_token": token_one}).status_code == 400
    assert second.get("/account/").status_code == 200, "still signed in"
    for client, token in ((second, token_two), (first, token_one)):
        assert client.post("/account/sign-out", data={"csrf_token": token}).status_code == 302
        assert client.get("/account/").status_code == 302, "signed out"


def test_a_page_with_a_flash_message_is_neither_cached_nor_served_from_the_cache(app, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    path = f"/proposals/{proposal.id}"
    flashed = _guest(app)
    with flashed.session_transaction() as session:
        session["_flashes"] = [("error", "この操作には登録が必要です")]
    assert "この操作には登録が必要です" in _page(flashed, path)
    assert "この操作には登録が必要です" not in _page(_guest(app), path)
    assert "この操作には登録が必要です" not in _page(flashed, path)


def test_the_generation_moves_only_for_committed_changes_to_public_content(app, db, make_user, make_process,
                                                                          make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    user = make_user()
    start = _generation(db)
    notify([user], "comment_on_my_proposal", target_type="proposal", target_id=proposal.id, title="t", body="b",
           url="/")
    user = db.session.get(type(user), user.id)
    user.last_sign_in_at = utcnow()
    db.session.commit()
    assert _generation(db) == start  # a notification and a sign-in time are on no public page

    proposal = db.session.get(type(proposal), proposal.id)
    proposal.title = "変更されたが取り消されるタイトル"
    db.session.flush()
    db.session.rollback()
    assert _generation(db) == start  # rolled back: nothing changed

    user = db.session.get(type(user), user.id)
    with db.session.begin_nested():
        user.display_name = "名前を変えた人"
    db.session.commit()
    assert _generation(db) == start + 1  # a change made in a savepoint counts once, at the commit


def test_page_cache_seconds_zero_switches_it_off(app, db, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process, title="バス停に屋根をつけてほしい")
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.extensions.pop("page_cache", None)
    assert page_cache() is None
    count = SUPPORT_COUNT
    assert count.search(_page(_guest(app), f"/proposals/{proposal.id}")).group(1) == "0"
    db.session.execute(db.update(type(proposal)).where(type(proposal).id == proposal.id)
                       .values(supports_count=7).execution_options(**pagecache.COUNTS_ONLY))
    db.session.commit()
    assert count.search(_page(_guest(app), f"/proposals/{proposal.id}")).group(1) == "7"  # live, not cached


def test_only_markers_made_by_this_process_are_filled(app, monkeypatch):
    monkeypatch.setitem(pagecache.PART_FILLERS, "echo", lambda facts: [f"<b>{fact['n']}</b>" for fact in facts])
    with app.test_request_context():
        marker, other = str(pagecache.viewer_part("echo", n=7)), str(pagecache.viewer_part("echo", n=8))
    forged = marker.replace(pagecache._NONCE, "0" * len(pagecache._NONCE))  # what a typed text could hold at best
    assert pagecache.fill_parts(f"a{marker}b{other}c") == "a<b>7</b>b<b>8</b>c"
    assert pagecache.fill_parts(forged) == forged
