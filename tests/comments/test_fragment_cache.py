"""The cached head of a comment (common/fragments.py): never stale, never another viewer's, never the
wrong language. Each test renders the page once (so the fragment is cached), changes one thing the
fragment shows, and renders again."""
from __future__ import annotations

import pytest

from participation.comments import services
from participation.common.fragments import FragmentCache, fragment_cache
from participation.moderation import services as moderation


@pytest.fixture(autouse=True)
def empty_cache():
    fragment_cache.clear()
    yield
    fragment_cache.clear()


def _page(client, page_with_thread, process) -> str:
    response = client.get(page_with_thread(process))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_second_render_is_served_from_the_cache(client, make_user, open_process, post, page_with_thread):
    post(make_user(), open_process, "一度だけ描く意見")
    first = _page(client, page_with_thread, open_process)
    misses = fragment_cache.misses
    second = _page(client, page_with_thread, open_process)
    assert fragment_cache.misses == misses and fragment_cache.hits >= 1
    assert _comments(first) == _comments(second) and "一度だけ描く意見" in _comments(second)


def _comments(html: str) -> str:
    """The thread's section (the rest of the page carries a CSRF token signed with the time of the request)."""
    start = html.index('<section id="comments"')
    return html[start:html.index("</section>", start)]


def test_an_edit_shows_at_once(client, db, make_user, open_process, post, page_with_thread):
    author = make_user()
    comment = post(author, open_process, "最初の文面です")
    assert "最初の文面です" in _page(client, page_with_thread, open_process)
    services.edit_comment(author, comment, "直した文面です", alignment=1)
    db.session.commit()
    client.set_cookie("lang", "en")
    html = _page(client, page_with_thread, open_process)
    assert "直した文面です" in html and "最初の文面です" not in html
    assert "(edited)" in html and "In favour" in html


def test_a_renamed_author_shows_the_new_name(client, db, make_user, open_process, post, page_with_thread):
    author = make_user(display_name="旧い名前")
    post(author, open_process)
    assert "旧い名前" in _page(client, page_with_thread, open_process)
    author.display_name = "新しい名前"
    db.session.commit()
    html = _page(client, page_with_thread, open_process)
    assert "新しい名前" in html and "旧い名前" not in html


def test_hidden_badge_follows_moderation_for_staff(client, db, login, make_user, open_process, post,
                                                   page_with_thread):
    comment = post(make_user(), open_process, "審査される意見")
    staff = make_user("staff", locale="en")
    login(staff)
    assert '<span class="badge">Hidden</span>' not in _page(client, page_with_thread, open_process)
    moderation.hide_content(staff, "comment", comment.id)
    db.session.commit()
    assert '<span class="badge">Hidden</span>' in _page(client, page_with_thread, open_process)


def test_each_language_gets_its_own_fragment(client, make_user, open_process, post, page_with_thread):
    post(make_user(), open_process, "言語の確認", alignment=-1)
    client.set_cookie("lang", "en")
    assert "Against" in _page(client, page_with_thread, open_process)
    client.set_cookie("lang", "ja")
    html = _page(client, page_with_thread, open_process)
    assert "反対" in html and "Against" not in html


def test_viewer_specific_controls_are_not_cached(client, db, login, make_user, open_process, post,
                                                 page_with_thread):
    """The author sees Edit/Delete on their comment, another resident does not, from the same cached head."""
    author, other = make_user(locale="en"), make_user(locale="en")
    comment = post(author, open_process, "誰の画面か")
    login(author)
    assert f"/comments/{comment.id}/edit" in _page(client, page_with_thread, open_process)
    client.post("/account/sign-out")
    client.delete_cookie("session")
    login(other)
    html = _page(client, page_with_thread, open_process)
    assert "誰の画面か" in html and f"/comments/{comment.id}/edit" not in html


def test_the_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = FragmentCache(size=2)
    renders = []

    def render(name):
        return lambda: renders.append(name) or f"<p>{name}</p>"

    cache.get_or_render(("a",), render("a"))
    cache.get_or_render(("b",), render("b"))
    cache.get_or_render(("a",), render("a"))  # a is now the most recently used
    cache.get_or_render(("c",), render("c"))  # evicts b
    cache.get_or_render(("a",), render("a"))
    cache.get_or_render(("b",), render("b"))
    assert renders == ["a", "b", "c", "b"]
    assert str(cache.get_or_render(("b",), render("x"))) == "<p>b</p>"
