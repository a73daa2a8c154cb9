"""Contract review of the KPI export, dashboards and open data (issue 5), as outside clients meet them.

One test per defect found; each failed before its fix."""
import io
import re
import zipfile

import pytest

from participation.kpi import opendata
from tests.conftest import csrf_from
from tests.kpi.conftest import jst


def test_staff_kpi_page_title_is_plain_text(make_user, signed_in):
    """The definitions table was inside {% block title %}: the browser tab showed raw HTML and the
    table appeared twice on the page."""
    html = signed_in(make_user("staff")).get("/staff/kpis").get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "processes_open" not in title
    assert html.count('id="definitions"') == 1


@pytest.fixture
def cached_open_data(app):
    path = opendata.cached_path()
    yield path
    path.unlink(missing_ok=True)


def test_cached_open_data_zip_does_not_serve_a_proposal_hidden_after_it_was_written(
        db, client, make_process, make_user, cached_open_data):
    """The nightly ZIP was served for up to 26 hours unless a *process* changed: a proposal hidden by
    moderation in the meantime stayed downloadable as open data."""
    proposals = pytest.importorskip("participation.proposals.models")
    from participation.moderation.services import hide_content

    process = make_process(title="公開プロセス", slug="open-data-review")
    author = make_user()
    rows = []
    for n, title in enumerate(("残る提案", "非表示にされる提案")):
        row = proposals.Proposal(process_id=process.id, author_id=author.id, reference=f"OD-{n}", title=title,
                                 body="本文", status="published", published_at=jst(2026, 6, 1 + n))
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    opendata.regenerate(cached_open_data)
    assert "非表示にされる提案" in zipfile.ZipFile(cached_open_data).read("proposals.csv").decode("utf-8-sig")

    hide_content(make_user("staff"), "proposal", rows[1].id)
    db.session.commit()
    response = client.get("/open-data.zip")
    assert response.status_code == 200
    served = zipfile.ZipFile(io.BytesIO(response.get_data())).read("proposals.csv").decode("utf-8-sig")
    assert "残る提案" in served and "非表示にされる提案" not in served


def test_revoking_a_token_with_an_oversized_id_is_a_404_not_a_500(make_user, signed_in):
    client = signed_in(make_user("admin"))
    token = csrf_from(client.get("/admin/api-tokens"))
    response = client.post("/admin/api-tokens/99999999999999999999/revoke", data={"csrf_token": token})
    assert response.status_code == 404
