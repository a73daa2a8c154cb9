"""Page frames (core.frames) on the proposal list: its layout rendered once and shared, each request getting its
own header values and content, whole pages when there is a message to show, a new frame when what it shows changes."""
import re
from html.parser import HTMLParser

from participation.core import frames
from participation.extensions import db
from tests.conftest import signed_in

NEXT_RE = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Elements(HTMLParser):
    """Open elements left unclosed, and every <a>'s rel and href."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source"}

    def __init__(self):
        super().__init__()
        self.open, self.links = [], {}

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)
        if tag == "a":
            attrs = dict(attrs)
            self.links[attrs.get("rel") or attrs.get("href")] = attrs.get("href")

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def _frame_renders(monkeypatch) -> list:
    renders = []
    real = frames.render_template

    def spy(template, **context):
        renders.append(template)
        return real(template, **context)

    monkeypatch.setattr(frames, "render_template", spy)
    return renders


def test_list_pages_share_one_frame_each_with_its_own_header_values(app, monkeypatch, make_process, make_proposal):
    process = make_process()
    for number in range(25):
        make_proposal(process, title=f"公園のベンチを増やしてほしい その{number}")
    db.session.commit()
    renders = _frame_renders(monkeypatch)
    client = app.test_client()
    first = client.get(f"/processes/{process.slug}/proposals?sort=recent").get_data(as_text=True)
    second = client.get(f"/processes/{process.slug}/proposals?sort=recent&page=2").get_data(as_text=True)
    assert renders == ["proposals/index.html"]  # the second page's layout came from the first one's rendering
    for html, path in ((first, f"/processes/{process.slug}/proposals?sort=recent"),
                       (second, f"/processes/{process.slug}/proposals?sort=recent&amp;page=2")):
        assert html.startswith("<!doctype html>") and "\x00" not in html
        assert NEXT_RE.search(html).group(1) == path  # the language switch returns to this page
        assert f"<title>提案 – {process.title}" in html
        parsed = _elements(html)
        assert parsed.open == []  # the content sits inside <main>, every element closed
    assert _elements(first).links["next"] == f"/processes/{process.slug}/proposals?sort=recent&page=2"
    assert _elements(second).links["prev"] == f"/processes/{process.slug}/proposals?sort=recent&page=1"
    assert first.count('<li class="card">') == 20 and second.count('<li class="card">') == 5


def test_a_signed_in_frame_is_shared_by_residents_with_their_own_tokens(app, monkeypatch, make_user, make_process):
    process = make_process()
    first, second = signed_in(app, make_user()), signed_in(app, make_user())
    renders = _frame_renders(monkeypatch)
    pages = [client.get(f"/processes/{process.slug}/proposals?sort=recent&page={n}").get_data(as_text=True)
             for n, client in ((1, first), (2, second))]
    assert renders == ["proposals/index.html"]
    tokens = [set(TOKEN_RE.findall(page)) for page in pages]
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]  # each resident's own token
    assert all("/account/sign-out" in page for page in pages)


def test_a_new_frame_follows_what_it_shows(app, monkeypatch, make_process):
    process = make_process(title="旧い題名のプロセス")
    client = app.test_client()
    assert "旧い題名のプロセス" in client.get(f"/processes/{process.slug}/proposals").get_data(as_text=True)
    process.title = "新しい題名のプロセス"
    db.session.commit()
    html = client.get(f"/processes/{process.slug}/proposals?page=2").get_data(as_text=True)
    assert "<title>提案 – 新しい題名のプロセス" in html and "旧い題名" not in html
    client.set_cookie("lang", "en")
    assert "<title>Proposals – 新しい題名のプロセス" in client.get(
        f"/processes/{process.slug}/proposals?page=3").get_data(as_text=True)


def test_a_page_with_a_message_is_rendered_whole_and_shows_it_once(app, monkeypatch, make_process):
    process = make_process()
    path = f"/processes/{process.slug}/proposals"
    client = app.test_client()
    client.get(path)
    renders = _frame_renders(monkeypatch)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "提案を公開しました。")]
    shown = client.get(path + "?page=2").get_data(as_text=True)
    assert renders == ["proposals/index.html"] and _elements(shown).open == []  # the whole page, this once
    assert shown.count("提案を公開しました。") == 1 and "\x00" not in shown
    assert "提案を公開しました。" not in client.get(path + "?page=3").get_data(as_text=True)
    assert renders == ["proposals/index.html"]  # and the shared frame again after it
