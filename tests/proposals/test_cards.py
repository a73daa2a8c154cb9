"""The list's cards built in Python (participation/proposals/cards.py): every typed value escaped, the right
badges, the deleted author's placeholder, each category, area and answer state in the page's language."""
from datetime import datetime, timezone

from flask_babel import force_locale

from participation.proposals.cards import cards_html, list_excerpt
from participation.proposals.queries import ProposalCard

HOSTILE = '<script>alert("x")</script>&'
PUBLISHED = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _card(id_, *, title="駐輪場を増やしてほしい", status="published", author="山田花子", category=("防災", "Safety"),
          area=("北地区", "North"), answer=("accepted", "採用", "Accepted", "#1a7f37"), body="本文です。"):
    row = (id_, title, f"P-2026-{id_:06d}", body, status, None, 3, 2, 1, author, None,
           *(category or (None, None)), *(area or (None, None)), PUBLISHED if answer else None,
           *(answer or (None, None, None, None)))
    return ProposalCard(row)


def test_typed_values_are_escaped_and_the_card_links_to_its_proposal(app):
    with app.test_request_context("/"):
        html = str(cards_html([_card(7, title=HOSTILE, author=HOSTILE, category=(HOSTILE, HOSTILE),
                                     area=(HOSTILE, HOSTILE), body="**太字** " + HOSTILE)],
                              locale="ja", answers_visible=True))
    assert "<script" not in html and html.count("&lt;script&gt;") == 4  # title, author, category, area
    assert "<p>太字 &lt;scriptalert(&#34;x&#34;)&lt;/script&amp;</p>" in html  # the excerpt drops marks (> too)
    assert '<a href="/proposals/7">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;</a>' in html
    assert "P-2026-000007" in html and "太字" in html and "**" not in html  # the excerpt drops Markdown marks


def test_badges_names_and_placeholders_follow_the_card_and_the_language(app):
    cards = [_card(1), _card(2, status="withdrawn", author=None, category=None, area=None, answer=None)]
    with app.test_request_context("/"):
        japanese = str(cards_html(cards, locale="ja", answers_visible=True))
        hidden_answers = str(cards_html(cards, locale="ja", answers_visible=False))
    with app.test_request_context("/"), force_locale("en"):
        english = str(cards_html(cards, locale="en", answers_visible=True))
    first, second = japanese.split("</li>")[:2]
    assert "山田花子 · 防災 · 北地区" in first and "state-badge state-accepted" in first and "採用" in first
    assert "badge-withdrawn" not in first and '<span class="badge badge-withdrawn">取り下げ</span>' in second
    assert "P-2026-000002 · 退会した参加者</p>" in second and "state-badge" not in second
    assert "Safety · North" in english and "Accepted" in english and "deleted participant" in english
    assert "state-badge" not in hidden_answers  # answers not yet visible in this phase
    assert japanese.count("proposal_card_live") == 2  # each card's live counts are a viewer part


def test_the_excerpt_is_short_plain_text():
    assert list_excerpt("# 見出し\n\n- 一つ目 [リンク](https://example.jp) `code`") == "見出し 一つ目 リンク code"
    long = list_excerpt("あ" * 500)
    assert len(long) == 120 and long.endswith("…")


def test_a_status_badge_next_to_an_answer_badge_stays_html(app):
    # A withdrawn proposal that was answered: both badges, neither shown as escaped markup.
    with app.test_request_context("/"):
        html = str(cards_html([_card(3, status="withdrawn")], locale="ja", answers_visible=True))
    assert '<span class="badge badge-withdrawn">取り下げ</span><span class="badge state-badge state-accepted"' in html
    assert "&lt;span" not in html
