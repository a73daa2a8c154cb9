"""Pagination: any page number from the query string is bounded, never an error."""
from __future__ import annotations

import pytest

from participation.common.pagination import MAX_PAGE, page_arg


@pytest.mark.parametrize("query, expected", [
    ("", 1), ("page=2", 2), ("page=0", 1), ("page=-5", 1), ("page=abc", 1), ("page=1e3", 1),
    ("page=99999999999999999999", MAX_PAGE), ("page=%00", 1), ("page=３", 3),
])
def test_page_arg_is_bounded(app, query, expected):
    with app.test_request_context(f"/?{query}"):
        assert page_arg() == expected


def test_out_of_range_page_is_an_empty_page(client, login, make_user):
    names = [make_user(display_name=f"ページ送り{i}").display_name for i in range(3)]
    login(make_user("admin"))
    response = client.get("/admin/users?page=500")
    assert response.status_code == 200
    assert not any(name in response.get_data(as_text=True) for name in names)
    first = client.get("/admin/users?page=1").get_data(as_text=True)
    assert all(name in first for name in names)


def test_pager_links_keep_filters_and_drop_url_for_options(app, client, login, make_user):
    for i in range(25):
        make_user(display_name=f"利用者ページ{i}")
    login(make_user("admin"))
    html = client.get("/admin/users?q=%E5%88%A9%E7%94%A8&_external=1&_anchor=x").get_data(as_text=True)
    pager = html.split('class="pager"')[1].split("</nav>")[0]
    assert 'href="/admin/users?q=%E5%88%A9%E7%94%A8&amp;page=2"' in pager  # relative, filter kept
    assert "http://" not in pager and "_anchor" not in pager and "#x" not in pager
