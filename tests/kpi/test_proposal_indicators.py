"""Indicators over the proposals/comments contract, on stand-in tables with the contract's columns
(the real tables come with the proposals and social features); values worked out by hand."""
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table

from participation.common.models import UTCDateTime
from participation.kpi import periods as P
from participation.kpi import proposal_indicators, services
from participation.kpi.registry import available_indicators
from participation.processes.models import Process
from tests.kpi.conftest import by_key, jst

meta = MetaData()
_id = lambda: Column("id", Integer, primary_key=True)  # noqa: E731
T = SimpleNamespace(
    proposals=Table("kpi_t_proposals", meta, _id(), Column("process_id", Integer), Column("author_id", Integer),
                    Column("area_id", Integer), Column("status", String(20)), Column("published_at", UTCDateTime),
                    Column("withdrawn_at", UTCDateTime), Column("hidden_at", UTCDateTime),
                    Column("from_mobile", Boolean, default=False), Column("reference", String(20)),
                    Column("title", String(150)), Column("supports_count", Integer, default=0),
                    Column("endorsements_count", Integer, default=0), Column("comments_count", Integer, default=0)),
    supports=Table("kpi_t_supports", meta, _id(), Column("proposal_id", Integer), Column("user_id", Integer),
                   Column("created_at", UTCDateTime), Column("from_mobile", Boolean, default=False)),
    endorsements=Table("kpi_t_endorsements", meta, _id(), Column("proposal_id", Integer), Column("user_id", Integer),
                       Column("created_at", UTCDateTime), Column("from_mobile", Boolean, default=False)),
    answers=Table("kpi_t_answers", meta, _id(), Column("proposal_id", Integer), Column("state_id", Integer),
                  Column("published_at", UTCDateTime), Column("body", String(2000))),
    states=Table("kpi_t_states", meta, _id(), Column("code", String(20)), Column("is_accepted", Boolean),
                 Column("label_ja", String(40)), Column("label_en", String(40))),
    comments=Table("kpi_t_comments", meta, _id(), Column("process_id", Integer), Column("author_id", Integer),
                   Column("created_at", UTCDateTime), Column("deleted_at", UTCDateTime), Column("hidden_at", UTCDateTime),
                   Column("from_mobile", Boolean, default=False)),
)

CODES = ["proposals_answered", "proposals_submitted", "supports_given", "comments_posted", "proposal_answer_rate",
         "median_days_to_answer", "proposal_adoption_rate", "participants"]


def test_not_exported_before_the_tables_exist(db):
    if "proposals" in db.metadata.tables:
        pytest.skip("the proposals feature is installed")
    codes = {ind.code for ind in available_indicators()}
    assert not codes & set(CODES)


@pytest.fixture
def june(db, add_area, monkeypatch):
    monkeypatch.setattr(proposal_indicators, "TABLES", T)
    meta.create_all(db.engine)
    north, south = add_area("北地区"), add_area("南地区")
    p1 = Process(slug="p1", title="p1", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                 published_at=jst(2026, 1, 1), area_id=north.id)
    p2 = Process(slug="p2", title="p2", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                 published_at=jst(2026, 1, 1))
    db.session.add_all([p1, p2])
    db.session.commit()
    run = lambda table, **values: db.session.execute(table.insert().values(**values))  # noqa: E731
    # proposals (id: process, author, published ...)
    run(T.proposals, id=1, process_id=p1.id, author_id=1, status="published", published_at=jst(2026, 6, 2, 9),
        reference="P-2026-000001", title="駅前に駐輪場を", supports_count=2, comments_count=1)
    run(T.proposals, id=2, process_id=p1.id, author_id=2, area_id=south.id, status="published",
        published_at=jst(2026, 5, 20, 9))
    run(T.proposals, id=3, process_id=p2.id, author_id=3, status="published", published_at=jst(2026, 6, 10),
        hidden_at=jst(2026, 6, 11))                                             # hidden by moderation
    run(T.proposals, id=4, process_id=p2.id, author_id=4, status="published", published_at=jst(2026, 6, 30, 23, 59))
    run(T.proposals, id=5, process_id=p2.id, author_id=4, status="draft")
    run(T.proposals, id=6, process_id=p1.id, author_id=5, status="published", published_at=jst(2026, 7, 1, 0, 1))
    run(T.proposals, id=7, process_id=p1.id, author_id=5, status="withdrawn", published_at=jst(2026, 4, 1),
        withdrawn_at=jst(2026, 6, 15))
    run(T.proposals, id=8, process_id=p1.id, author_id=5, status="withdrawn", published_at=jst(2026, 4, 1),
        withdrawn_at=jst(2026, 7, 3))
    # supports
    run(T.supports, proposal_id=1, user_id=2, created_at=jst(2026, 6, 5))
    run(T.supports, proposal_id=1, user_id=3, created_at=jst(2026, 6, 6), from_mobile=True)
    run(T.supports, proposal_id=2, user_id=1, created_at=jst(2026, 6, 7))
    run(T.supports, proposal_id=4, user_id=5, created_at=jst(2026, 7, 1, 0, 30))
    # comments: visible, deleted, hidden, visible, visible outside processes
    run(T.comments, process_id=p1.id, author_id=5, created_at=jst(2026, 6, 3))
    run(T.comments, process_id=p1.id, author_id=6, created_at=jst(2026, 6, 4), deleted_at=jst(2026, 6, 4, 1))
    run(T.comments, process_id=p2.id, author_id=7, created_at=jst(2026, 6, 5), hidden_at=jst(2026, 6, 5, 1))
    run(T.comments, process_id=p2.id, author_id=1, created_at=jst(2026, 6, 6))
    run(T.comments, process_id=None, author_id=8, created_at=jst(2026, 6, 7))
    # answers: states, then A1 on 2 (20 days, accepted), A2 on 1 (10 days, rejected), A3 in July, A4 unpublished
    run(T.states, id=1, code="accepted", is_accepted=True, label_ja="採用")
    run(T.states, id=2, code="rejected", is_accepted=False, label_ja="不採用")
    run(T.answers, proposal_id=2, state_id=1, published_at=jst(2026, 6, 9, 9), body="実施します")
    run(T.answers, proposal_id=1, state_id=2, published_at=jst(2026, 6, 12, 9))
    run(T.answers, proposal_id=4, state_id=1, published_at=jst(2026, 7, 5))
    run(T.answers, proposal_id=6, state_id=1, published_at=None, body="まだ公開しない回答")
    db.session.commit()
    yield {"records": services.compute(CODES, P.month(2026, 6)), "p1": str(p1.id), "p2": str(p2.id),
           "north": str(north.id), "south": str(south.id)}
    db.session.remove()
    meta.drop_all(db.engine)


def test_proposals_submitted(june):
    r = june["records"]
    assert by_key(r, "proposals_submitted")["value"] == 2                         # 1 and 4 (3 hidden, 6 in July)
    assert by_key(r, "proposals_submitted", "process", june["p1"])["value"] == 1
    assert by_key(r, "proposals_submitted", "process", june["p2"])["value"] == 1
    assert by_key(r, "proposals_submitted", "area", june["north"])["value"] == 1  # 1, via its process
    assert by_key(r, "proposals_submitted", "area", june["south"])["value"] == 0  # 2 was in May


def test_supports_and_comments(june):
    r = june["records"]
    assert by_key(r, "supports_given")["value"] == 3
    assert by_key(r, "supports_given", "process", june["p1"])["value"] == 3
    assert by_key(r, "supports_given", "process", june["p2"])["value"] == 0
    assert by_key(r, "comments_posted")["value"] == 3                             # visible ones only
    assert by_key(r, "comments_posted", "process", june["p1"])["value"] == 1
    assert by_key(r, "comments_posted", "area", june["north"])["value"] == 1


def test_answers(june):
    r = june["records"]
    assert by_key(r, "proposals_answered")["value"] == 2
    assert by_key(r, "proposals_answered", "area", june["south"])["value"] == 1   # proposal 2's own area
    assert by_key(r, "median_days_to_answer")["value"] == 15.0                  # median(20, 10)
    assert by_key(r, "median_days_to_answer", "process", june["p2"])["value"] is None   # none answered in June
    adoption = by_key(r, "proposal_adoption_rate")
    assert (adoption["numerator"], adoption["denominator"], adoption["value"]) == (1, 2, 0.5)
    rate = by_key(r, "proposal_answer_rate")                                    # 1, 2 answered of 1, 2, 4, 8
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (2, 4, 0.5)


def test_participants_over_every_action_source(june):
    # authors 1, 3, 4 (published in June); supporters 2, 3, 1; commenters 5, 6, 7, 1, 8
    assert by_key(june["records"], "participants")["value"] == 8


def test_open_data_lists_published_proposals_with_published_answers(june, client):
    import io
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(client.get("/open-data.zip").get_data()))
    text = archive.read("proposals.csv").decode("utf-8-sig")
    rows = [line.split(",") for line in text.split("\r\n")[1:-1]]
    assert [row[0] for row in rows] == ["1", "2", "4", "6"]     # 3 hidden, 5 draft, 7 and 8 withdrawn
    first = dict(zip(text.split("\r\n")[0].split(","), rows[0]))
    assert (first["reference"], first["title"], first["supports_count"], first["answer_state"]) == (
        "P-2026-000001", "駅前に駐輪場を", "2", "rejected")
    assert rows[1][8:10] == ["accepted", "採用"] and rows[1][-1] == "実施します"
    assert "まだ公開しない回答" not in text and rows[3][8] == ""
