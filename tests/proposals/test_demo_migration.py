"""Demo data and the migration (seeded states, search index)."""
from sqlalchemy import create_engine, func, inspect, select, text

from participation.proposals.models import Proposal, ProposalAnswer


def test_demo_proposals_render(client, db):
    from participation.demo import load_demo

    assert load_demo() is True
    total = db.session.scalar(select(func.count(Proposal.id)))
    assert total >= 24
    answers = list(db.session.scalars(select(ProposalAnswer)))
    codes = {a.state.code for a in answers if a.published_at}
    assert {"accepted", "rejected", "evaluating"} <= codes
    assert sum(1 for a in answers if a.published_at is None and a.publish_at is not None) == 1
    assert db.session.scalar(select(func.sum(Proposal.supports_count))) > 0
    for slug in ("bus-network-2027", "central-park-renewal"):
        response = client.get(f"/processes/{slug}/proposals")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('href="/proposals/') >= 10
    proposal = db.session.scalar(select(Proposal).where(Proposal.status == "published").order_by(Proposal.id))
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert proposal.title in page
    # The process figures are asserted value by value in test_process_figures.py.
    assert "駅前に駐輪場を増やしてほしい" in client.get(
        "/processes/bus-network-2027/proposals", query_string={"q": "駐輪場"}).get_data(as_text=True)


def test_migration_seeds_states_and_builds_the_search_index(tmp_path):
    """On a fresh database: the built-in states exist and (SQLite) the FTS5 trigram table follows writes."""
    import os

    from flask_migrate import upgrade

    from participation import create_app
    from tests.conftest import _config

    url = os.environ.get("TEST_DATABASE_URL")
    if url:  # PostgreSQL: the session schema was built by the same migration; check extension + index
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 1
            names = {i["name"] for i in inspect(conn).get_indexes("proposals")}
            assert {"ix_proposals_title_trgm", "ix_proposals_body_trgm"} <= names
        engine.dispose()
        return
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app(_config(tmp_path, url))
    with app.app_context():
        upgrade()
        from participation.extensions import db

        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT code, label_ja, label_en FROM proposal_answer_states "
                                     "ORDER BY position")).all()
            assert [tuple(r) for r in rows] == [("evaluating", "検討中", "Evaluating"), ("accepted", "採用", "Accepted"),
                                                ("rejected", "不採用", "Not accepted")]
            names = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
            assert {"proposals_fts", "proposals_fts_ai", "proposals_fts_ad", "proposals_fts_au"} <= names
        db.engine.dispose()
