"""User text -> HTML: only the allow-list survives, scripts are inert, links carry rel."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from participation.text import (ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, excerpt, normalise_token,
                                render_markdown, render_plain)

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">click</a>",
    "<style>body{display:none}</style>",
    "<p style=\"position:fixed\">x</p>",
    "<form action=https://evil.example><input name=password></form>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    "![img](https://evil.example/track.png)",
    "<<script>script>alert(1)<</script>/script>",
    "\"><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "<!-- <script>alert(1)</script> -->",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict]]:
    parser = _Collector()
    parser.feed(str(html))
    parser.close()
    return parser.tags


def _browser_scheme(href: str) -> str | None:
    """The scheme a browser would see: it drops tab and newline and trims leading control/space."""
    cleaned = href.replace("\t", "").replace("\n", "").replace("\r", "").lstrip("".join(map(chr, range(33))))
    scheme, colon, _rest = cleaned.partition(":")
    if not colon or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        return None  # no valid scheme: the URL parser treats it as a relative path
    return scheme.lower()


def _assert_inert(html):
    for tag, attrs in _elements(html):
        assert tag in ALLOWED_TAGS, f"tag {tag} in {html!r}"
        assert set(attrs) <= set(ALLOWED_ATTRIBUTES.get(tag, [])), f"attributes {attrs} in {html!r}"
        if tag == "a":
            assert _browser_scheme(attrs.get("href", "")) in (None, "http", "https", "mailto"), html
            assert attrs.get("rel") == LINK_REL


@pytest.mark.parametrize("source", ATTACKS)
def test_markdown_renders_attacks_inert(source):
    html = render_markdown(source)
    assert isinstance(html, Markup)
    _assert_inert(html)


@pytest.mark.parametrize("source", ATTACKS)
def test_plain_text_renders_attacks_inert(source):
    html = render_plain(source)
    for tag, attrs in _elements(html):
        assert tag in ("br", "a"), html
        if tag == "a":
            assert _browser_scheme(attrs["href"]) in ("http", "https") and attrs["rel"] == LINK_REL


def test_script_text_is_shown_not_run():
    html = str(render_markdown("<script>alert(1)</script>"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_links_get_rel_nofollow_noopener_ugc():
    html = str(render_markdown("[市のサイト](https://www.city.example.jp/) と https://example.jp/page?a=1&b=2"))
    anchors = [attrs for tag, attrs in _elements(html) if tag == "a"]
    assert [a["href"] for a in anchors] == ["https://www.city.example.jp/", "https://example.jp/page?a=1&b=2"]
    assert all(a["rel"] == "nofollow noopener ugc" for a in anchors)
    plain = str(render_plain("詳しくは https://example.jp/ を見てください"))
    assert '<a href="https://example.jp/" rel="nofollow noopener ugc">' in plain


def test_mailto_links_are_allowed():
    html = str(render_markdown("[連絡](mailto:info@city.example.jp)"))
    assert _elements(html)[-1] == ("a", {"href": "mailto:info@city.example.jp", "rel": LINK_REL})


def test_markdown_subset_is_rendered():
    html = str(render_markdown("**太字** と *斜体*\n\n- 一\n- 二\n\n> 引用\n\n1. a\n2. b\n\n改行\n次の行"))
    for tag in ("<strong>太字</strong>", "<em>斜体</em>", "<ul>", "<li>一</li>", "<blockquote>", "<ol>", "<br"):
        assert tag in html, tag
    # headings, images and raw HTML are not part of the subset
    assert "<h1" not in str(render_markdown("# 見出し"))
    assert "<img" not in str(render_markdown("![x](https://example.jp/x.png)"))


def test_plain_text_keeps_line_breaks_and_escapes():
    html = str(render_plain("一行目\r\n二行目 & <三>"))
    assert html == "一行目<br>\n二行目 &amp; &lt;三&gt;"


def test_empty_input():
    assert render_markdown(None) == "" and render_markdown("") == ""
    assert render_plain(None) == "" and excerpt(None) == ""


def test_text_is_escaped_exactly_once():
    assert str(render_markdown("Q&A: 5 < 6")) == "<p>Q&amp;A: 5 &lt; 6</p>\n"


def test_code_spans_are_escaped_exactly_once():
    assert str(render_markdown("`a < b & c`")) == "<p><code>a &lt; b &amp; c</code></p>\n"


def test_excerpt_counts_characters_and_strips_markdown():
    text = "**駅前**に駐輪場を" + "増やしてほしい。" * 40
    short = excerpt(text, 20)
    assert len(short) == 20 and short.endswith("…")
    assert short.startswith("駅前に駐輪場を")
    assert excerpt("短い", 20) == "短い"


def test_excerpt_is_plain_text_without_entities():
    assert excerpt("Q&A <b>") == "Q&A <b>"


def test_normalise_token_folds_full_width_forms():
    assert normalise_token("  ＡＢＣ＠ｅｘａｍｐｌｅ．ｊｐ ") == "ABC@example.jp"
    assert normalise_token("０９０－１２３４") == "090-1234"
    assert normalise_token(None) == ""


def test_remembered_renderings_are_the_same_safe_html():
    from participation import text

    hostile = "<script>alert(1)</script>**太字** https://example.jp"
    first, again = text.render_markdown(hostile), text.render_markdown(hostile)
    assert first == again and "<script" not in again and "<strong>太字</strong>" in again
    assert 'rel="nofollow noopener ugc"' in text.render_plain("https://example.jp")
    assert text._markdown_html.cache_info().hits >= 1
    long_text = "あ" * (text.RENDER_CACHE_MAX_CHARS + 1)
    before = text._plain_html.cache_info().currsize
    assert text.render_plain(long_text) == long_text  # rendered, not remembered
    assert text._plain_html.cache_info().currsize == before
