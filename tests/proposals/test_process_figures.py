"""The live figures on a process page (issue 3, build 5): participants, proposals, supports, comments,
each with its exact value, found on the rendered page by its label."""
from __future__ import annotations

import re

from flask_babel import gettext

from participation.comments import services as comment_services
from participation.proposals import services


def _figures(client, process) -> dict[str, str]:
    html = client.get(f"/processes/{process.slug}").get_data(as_text=True)
    section = html.split('id="figures-heading"', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", section))


def test_process_page_shows_each_figure_with_its_value(client, db, make_process, make_proposal, make_user):
    process = make_process()
    other = make_process()  # what happens in another process is not counted here
    alice, bob, carol, dan, erin, frank, grace = (make_user() for _ in range(7))
    first = make_proposal(process, alice)
    second = make_proposal(process, alice)
    third = make_proposal(process, bob)
    make_proposal(process, make_user(), status="draft")  # a draft is neither a proposal nor participation yet
    # 4 supports by 3 people (alice supports too: she is counted once)
    services.support(carol, first)
    services.support(carol, second)
    services.support(dan, first)
    services.support(alice, third)
    services.endorse(grace, third)
    # 2 visible comments (one by carol, already counted); 1 hidden comment, by frank
    comment_services.post_comment(erin, "proposal", first.id, "賛成です", 1)
    comment_services.post_comment(carol, "proposal", second.id, "気になります", 0)
    hidden = comment_services.post_comment(frank, "proposal", third.id, "宣伝です", 0)
    comment_services.set_comment_hidden(hidden, True)
    elsewhere = make_proposal(other, make_user())
    services.support(make_user(), elsewhere)
    comment_services.post_comment(make_user(), "proposal", elsewhere.id, "別のプロセス", 0)
    db.session.commit()

    figures = _figures(client, process)
    assert "参加者" in figures  # the labels are translated (Japanese by default)
    assert figures == {
        # alice, bob (authors), carol, dan (supporters), grace (endorser), erin (commenter) and frank, whose
        # comment was hidden but who took part all the same (as the KPI "participants" counts people)
        gettext("Participants"): "7",
        gettext("Proposals"): "3",
        gettext("Supports"): "4",
        gettext("Comments"): "2",  # the hidden comment is not shown, so not counted
    }
    assert _figures(client, other) == {gettext("Participants"): "3", gettext("Proposals"): "1",
                                       gettext("Supports"): "1", gettext("Comments"): "1"}
