"""Pagination for every list: a page number from the query string, bounded."""
from __future__ import annotations

from flask import request

from participation.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PAGE = 10_000


def page_arg() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def paginate(select_stmt, per_page: int = DEFAULT_PER_PAGE):
    """Paginate a SQLAlchemy select; out-of-range pages give an empty page, not a 404."""
    return db.paginate(select_stmt, page=page_arg(), per_page=per_page, error_out=False, count=True)


def page_url(endpoint: str, page_number: int) -> str:
    """The current list's URL on another page, keeping its filters. Query arguments starting with `_`
    are dropped: url_for reads `_external`, `_scheme`, `_anchor` as options, not as arguments."""
    from flask import url_for

    args = {key: value for key, value in request.args.items() if not key.startswith("_")}
    return url_for(endpoint, **{**(request.view_args or {}), **args, "page": page_number})
