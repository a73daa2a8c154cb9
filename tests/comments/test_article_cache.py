"""A comment's article is cached (comments.views.comment_article_html) per everything it shows to a kind of
viewer: the same comment, shown in turn to a guest, its author, another resident before and after their
vote, and staff once it is hidden, must each time read as it should for that viewer."""
from __future__ import annotations

from participation.comments import services
from participation.common.fragments import fragment_cache
from participation.moderation.services import hide_content
from tests.conftest import signed_in


def _article(html: str, comment_id: int) -> str:
    start = html.index(f'id="comment-{comment_id}"')
    return html[start:html.index("</article>", start)]


def test_one_comment_reads_right_for_each_viewer_in_turn(app, db, make_user, open_process, post, page_with_thread):
    author, other, staff = make_user(locale="en"), make_user(locale="en"), make_user("staff", locale="en")
    comment = post(author, open_process, "図書館の自習室を増やしてほしい")
    page = page_with_thread(open_process)
    guest = app.test_client()
    guest.set_cookie("lang", "en")
    views = {name: signed_in(app, user) for name, user in (("author", author), ("other", other), ("staff", staff))}

    for _round in range(2):  # the second round is served from the cache
        seen = _article(guest.get(page).get_data(as_text=True), comment.id)
        assert "図書館の自習室" in seen and "Vote up" not in seen and "Report" not in seen
        mine = _article(views["author"].get(page).get_data(as_text=True), comment.id)
        assert "Delete" in mine and "Vote up" not in mine and "Report" not in mine
        theirs = _article(views["other"].get(page).get_data(as_text=True), comment.id)
        assert "Vote up" in theirs and "Report" in theirs and "Delete" not in theirs
        assert 'aria-pressed="true"' not in theirs
    assert fragment_cache.hits > 0

    services.vote_comment(other, comment, 1)
    db.session.commit()
    theirs = _article(views["other"].get(page).get_data(as_text=True), comment.id)
    assert "Remove my up vote" in theirs and 'aria-pressed="true"' in theirs and "1 up, 0 down" in theirs
    mine = _article(views["author"].get(page).get_data(as_text=True), comment.id)
    assert "1 up, 0 down" in mine and "Remove my up vote" not in mine

    hide_content(staff, "comment", comment.id)
    db.session.commit()
    assert "hidden pending review" in _article(views["other"].get(page).get_data(as_text=True), comment.id)
    moderated = _article(views["staff"].get(page).get_data(as_text=True), comment.id)
    assert "図書館の自習室" in moderated and "Hidden" in moderated
