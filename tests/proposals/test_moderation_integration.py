"""Issue 4, acceptance 4 on proposals: reports by three participants hide a proposal at the process's
threshold (3); it leaves the list and the search, cannot be supported, endorsed or commented; its author
is told and still sees it; the staff queue shows its text; staff unhide it and it is back. Every step
leaves audit rows. All through the pages with CSRF on."""
from __future__ import annotations

from sqlalchemy import func, select

from participation.moderation.models import AuditLog, Flag
from participation.notifications.models import Notification
from participation.proposals.models import Proposal, ProposalEndorsement, ProposalSupport
from tests.conftest import csrf_from, signed_in, mail_body

TITLE = "商店街にベンチを置いてほしいという提案"
BODY = "買い物の途中で休める場所がありません。通報されるための本文です。"



def flag(client, proposal_id, reason="spam"):
    token = csrf_from(client.get(f"/flag/proposal/{proposal_id}"))
    return client.post(f"/flag/proposal/{proposal_id}", data={"reason": reason, "details": "宣伝です",
                                                               "csrf_token": token})


def listed(client, process, query=""):
    page = client.get(f"/processes/{process.slug}/proposals?sort=recent&q={query}")
    assert page.status_code == 200
    return TITLE in page.get_data(as_text=True)


def test_three_reports_hide_a_proposal_and_staff_unhide_restores_it(app, db, make_user, make_process,
                                                                    make_proposal, outbox):
    process = make_process(hide_after_flags=3)
    author = make_user(locale="en")
    proposal = make_proposal(process, author, title=TITLE, body=BODY)
    reader = make_user()
    reader_client = signed_in(app, reader)
    assert listed(reader_client, process) and listed(reader_client, process, "ベンチ")

    reporters = [signed_in(app, make_user()) for _ in range(3)]
    for client in reporters[:2]:
        assert flag(client, proposal.id).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None  # two reports are below the threshold
    assert listed(reader_client, process)
    assert flag(reporters[2], proposal.id).status_code == 302

    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is not None
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.target_type == "proposal")) == 3
    # gone from the list and the search for residents; its page is not found for them
    assert not listed(reader_client, process) and not listed(reader_client, process, "ベンチ")
    assert reader_client.get(f"/proposals/{proposal.id}").status_code == 404
    # nobody can support, endorse, comment or follow it
    for action in ("support", "endorse"):
        reader_client.post(f"/proposals/{proposal.id}/{action}",
                           data={"csrf_token": csrf_from(reader_client.get("/notifications"))})
    token = csrf_from(reader_client.get("/notifications"))
    assert reader_client.post(f"/comments/proposal/{proposal.id}", data={
        "body": "隠れた提案へのコメント", "alignment": "0", "csrf_token": token}).status_code == 403
    assert reader_client.get(f"/flag/proposal/{proposal.id}").status_code == 403
    assert db.session.scalar(select(func.count(ProposalSupport.id))) == 0
    assert db.session.scalar(select(func.count(ProposalEndorsement.id))) == 0

    # the author is told (in the notification centre and, by default, by email) and still sees it
    notes = list(db.session.scalars(select(Notification).where(Notification.user_id == author.id)))
    assert [(n.kind, n.title, n.url) for n in notes] == [("content_hidden", TITLE, f"/proposals/{proposal.id}")]
    mails = [m for m in outbox() if m["To"] == author.email]
    assert len(mails) == 1 and TITLE in mail_body(mails[0]) and "hidden" in mails[0]["Subject"]
    author_client = signed_in(app, author)
    own = author_client.get(f"/proposals/{proposal.id}")
    assert own.status_code == 200
    assert "hidden pending review after reports" in own.get_data(as_text=True)
    assert "Your content was hidden" in author_client.get("/notifications").get_data(as_text=True)

    # staff queue: the proposal with its text and the three reports
    staff = signed_in(app, make_user("staff", locale="en"))
    queue = staff.get("/staff/moderation?state=hidden").get_data(as_text=True)
    assert TITLE in queue and "通報されるための本文です" in queue and queue.count("宣伝です") == 3
    staff_page = staff.get(f"/proposals/{proposal.id}")
    assert staff_page.status_code == 200 and "hidden pending review" in staff_page.get_data(as_text=True)

    token = csrf_from(staff.get("/staff/moderation"))
    assert staff.post(f"/staff/moderation/proposal/{proposal.id}/unhide",
                      data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert listed(reader_client, process) and listed(reader_client, process, "ベンチ")
    assert reader_client.get(f"/proposals/{proposal.id}").status_code == 200
    assert db.session.scalar(select(func.count(Flag.id)).where(Flag.resolution == "unhidden")) == 3
    # it can be supported again
    reader_client.post(f"/proposals/{proposal.id}/support",
                       data={"csrf_token": csrf_from(reader_client.get("/notifications"))})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).supports_count == 1

    # staff hide it by hand: the author is told again; then unhide
    assert staff.post(f"/staff/moderation/proposal/{proposal.id}/hide",
                      data={"csrf_token": token}).status_code == 302
    assert not listed(reader_client, process)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == author.id, Notification.kind == "content_hidden")) == 2
    staff.post(f"/staff/moderation/proposal/{proposal.id}/unhide", data={"csrf_token": token})
    assert listed(reader_client, process)

    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "proposals",
                                                                    AuditLog.target_id == str(proposal.id))
                                      .order_by(AuditLog.id)))
    assert actions == ["moderation.auto_hide", "moderation.unhide", "moderation.hide", "moderation.unhide"]


def test_reports_and_follows_of_proposals_others_cannot_read_are_refused(app, db, make_user, make_process,
                                                                         make_proposal):
    process = make_process()
    draft = make_proposal(process, make_user(), status="draft", title="まだ下書きの提案のタイトルです")
    stranger = signed_in(app, make_user())
    page = stranger.get(f"/flag/proposal/{draft.id}")
    assert page.status_code == 403 and "まだ下書き" not in page.get_data(as_text=True)
    token = csrf_from(stranger.get("/notifications"))
    assert stranger.post(f"/follow/proposal/{draft.id}", data={"action": "follow", "csrf_token": token}
                         ).status_code == 403
    assert stranger.post(f"/comments/proposal/{draft.id}", data={"body": "下書きへのコメント", "alignment": "0",
                                                                  "csrf_token": token}).status_code == 403
    assert db.session.scalar(select(func.count(Flag.id))) == 0
