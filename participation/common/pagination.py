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
