"""The demo (`make run` / `flask seed demo`): a year of history, so that the dashboards show the proposal
indicators with trends on the first run."""
import time

from sqlalchemy import func, select

from participation.kpi.models import KpiSnapshot


def test_demo_backfills_history_and_the_dashboards_show_proposal_indicators(app, db, make_user, signed_in):
    from participation.demo import load_demo

    started = time.perf_counter()
    assert load_demo() is True
    assert time.perf_counter() - started < 50           # `flask seed demo` must stay under a minute (even on a busy CI box)
    months = db.session.execute(select(KpiSnapshot.period_start, KpiSnapshot.value).where(
        KpiSnapshot.code == "supports_given", KpiSnapshot.period_type == "month",
        KpiSnapshot.scope_type == "platform")).all()
    assert len(months) == 12
    assert sum(1 for _, value in months if value) >= 3    # supports in several months: a trend, not one bar
    days = db.session.scalar(select(func.count(func.distinct(KpiSnapshot.period_start)))
                             .where(KpiSnapshot.period_type == "day"))
    assert days == 7

    public = signed_in(None).get("/participation")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    for name in ("提案数", "賛成数", "コメント数", "参加者数"):
        assert name in html
    assert 'id="chart-supports_given-title"' in html

    staff = signed_in(make_user("staff")).get("/staff/kpis", query_string={"period_type": "fiscal_year",
                                                                             "scope_type": "platform"})
    assert staff.status_code == 200
    page = staff.get_data(as_text=True)
    for name in ("提案への回答率", "回答までの日数（中央値）", "提案の採用率", "スマートフォンからの参加の割合", "継続参加率"):
        assert name in page
