"""Dashboards, the API token admin page, and the open-data ZIP."""
import io
import zipfile
from sqlalchemy import select

from participation.common.time import utcnow
from participation.kpi import opendata
from participation.moderation.models import AuditLog
from tests.conftest import csrf_from


def test_public_dashboard_renders_svg_charts_with_text_alternatives(signed_in, add_user, app):
    client = signed_in(None)
    for _ in range(6):
        add_user(utcnow())
    response = client.get("/participation")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html and "<title id=\"chart-new_registrations-title\">" in html
    assert "<table>" in html and "<script" not in html.split("</head>")[1]
    assert "新規登録者数" in html
    # A guest's language switch, as the header's form sends it: no CSRF token (a guest's page has none).
    client.post("/language", data={"lang": "en", "next": "/participation"})
    english = client.get("/participation").get_data(as_text=True)
    assert "New registrations" in english and "Participation in figures" in english


def test_staff_page_needs_staff_and_offers_csv(make_user, signed_in, add_user):
    assert signed_in(None).get("/staff/kpis").status_code == 302   # guest -> sign in
    assert signed_in(make_user()).get("/staff/kpis").status_code == 403
    client = signed_in(make_user("staff"))
    response = client.get("/staff/kpis", query_string={"period_type": "month", "scope_type": "platform"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "新規登録者数" in html and "/staff/kpis.csv?" in html
    csv = client.get("/staff/kpis.csv", query_string={"period_type": "month", "scope_type": "platform"})
    assert csv.status_code == 200 and csv.get_data().startswith(b"\xef\xbb\xbfindicator_code,")
    bad = client.get("/staff/kpis", query_string={"from": "2026-07-01", "to": "2026-01-01"})
    assert bad.status_code == 400 and "from must not be after to" in bad.get_data(as_text=True)
    assert client.get("/staff/kpis.csv", query_string={"scope_type": "x"}).status_code == 400


def test_admin_creates_and_revokes_tokens_audited(db, make_user, signed_in):
    from participation.kpi.models import ApiToken

    assert signed_in(make_user("staff")).get("/admin/api-tokens").status_code == 403
    admin = make_user("admin")
    client = signed_in(admin)
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200
    assert client.post("/admin/api-tokens", data={"name": "x"}).status_code == 400  # no CSRF token
    empty = client.post("/admin/api-tokens", data={"name": "", "csrf_token": csrf_from(page)})
    assert empty.status_code == 422
    created = client.post("/admin/api-tokens", data={"name": "統計システム", "csrf_token": csrf_from(page)})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(select(ApiToken))
    html = created.get_data(as_text=True)
    plain = html.split('<code class="token">')[1].split("</code>")[0]
    assert plain.startswith(token.prefix) and plain not in client.get("/admin/api-tokens").get_data(as_text=True)
    assert client.get("/api/v1/kpis.json", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    revoke = client.post(f"/admin/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert revoke.status_code == 302
    assert client.get("/api/v1/kpis.json", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.target_type == "api_tokens"))]
    assert actions == ["api_token.create", "api_token.revoke"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "api_token.create")).actor_id == admin.id


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_open_data_zip_has_published_processes_and_phases_only(client, db, make_process, app):
    shown = make_process(title="公開中のプロセス", slug="shown")
    hidden = make_process(published=False, title="非公開のプロセス", slug="hidden")
    response = client.get("/open-data.zip")
    assert response.is_streamed
    archive = _zip(response)
    assert set(archive.namelist()) >= {"processes.csv", "phases.csv"}
    if "proposals" not in db.metadata.tables:
        assert "proposals.csv" not in archive.namelist()   # no proposals table in this installation
    processes = archive.read("processes.csv").decode("utf-8-sig")
    assert processes.startswith("process_id,slug,title") and "\r\n" in processes
    assert "公開中のプロセス" in processes and "非公開のプロセス" not in processes and "hidden" not in processes
    phases = archive.read("phases.csv").decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in phases[1:]] == [str(shown.id)]
    assert str(hidden.id) not in [line.split(",")[0] for line in phases[1:]]


def test_open_data_job_writes_the_file_that_is_then_served(client, make_process, app, tmp_path):
    from participation.kpi.jobs import regenerate_open_data

    make_process(title="ジョブで出力", slug="job")
    path = opendata.cached_path()
    try:
        assert regenerate_open_data()["bytes"] > 0 and path.is_file()
        response = client.get("/open-data.zip")
        assert response.headers["Content-Length"] == str(path.stat().st_size)
        assert "ジョブで出力" in _zip(response).read("processes.csv").decode("utf-8-sig")
    finally:
        path.unlink(missing_ok=True)


def test_stream_zip_yields_many_small_chunks(app, make_process):
    for i in range(3):
        make_process(slug=f"bulk-{i}")
    chunks = list(opendata.stream_zip())
    assert len(chunks) >= 3 and max(len(c) for c in chunks) < 64_000
    assert zipfile.ZipFile(io.BytesIO(b"".join(chunks))).testzip() is None


def test_chart_text_is_readable_on_a_phone_and_values_never_overlap():
    import re

    from participation.kpi.charts import bar_chart

    months = [f"{n}月" for n in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    small = str(bar_chart([(m, float(n)) for n, m in enumerate(months, start=10)], "参加者数", "c1"))
    sizes = [int(size) for size in re.findall(r'font-size="(\d+)"', small)]
    assert sizes and min(sizes) >= 12  # the viewBox is drawn about 1:1 on a 360 px phone
    assert ">21<" in small and ">12月<" in small  # two-digit values fit over their bars
    large = str(bar_chart([(m, 123456.0) for m in months], "賛成数", "c2"))
    assert "123,456" not in large and ">12月<" in large  # too wide for a bar: left to the table beside it
