"""Which device a request comes from (for the KPI share of participation from phones)."""
from __future__ import annotations

from flask import has_request_context, request

MOBILE_MARKERS = ("Mobi", "Android", "iPhone")


def is_mobile_request() -> bool:
    """True for phone user agents; False outside a request."""
    if not has_request_context():
        return False
    agent = request.headers.get("User-Agent", "")
    return any(marker in agent for marker in MOBILE_MARKERS)
