"""The CSRF token a page carries, signed at most once a minute per session.

Flask-WTF signs the session's secret token (HMAC with a timestamp) once per request. A resident paging
through a list gets pages that each need it (the language switch, sign out): the signature made for
their session in the last minute is reused instead (a twentieth of a cheap page). It is the token the
request would sign itself, some seconds older (tokens do not expire: WTF_CSRF_TIME_LIMIT is None, they
live as long as the session). Keyed by the session's secret, so never another visitor's."""
from __future__ import annotations

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

from participation.common.pagecache import PageCache

REUSE_SECONDS = 60
_FIELD = "csrf_token"  # Flask-WTF's default WTF_CSRF_FIELD_NAME (the session key and the g attribute)


def page_csrf_token() -> str:
    """This request's CSRF token, as generate_csrf() gives it (and gives it to the forms of this request)."""
    if _FIELD in g:
        return g.get(_FIELD)
    secret = session.get(_FIELD)
    signed = _recent().get((secret,)) if secret else None
    if signed is None:
        signed = generate_csrf()
        _recent().put((session[_FIELD],), signed, len(signed))
    setattr(g, _FIELD, signed)
    return signed


def _recent() -> PageCache:
    app = current_app._get_current_object()
    recent = app.extensions.get("recent_csrf_signatures")
    if recent is None:
        recent = app.extensions.setdefault("recent_csrf_signatures", PageCache(REUSE_SECONDS, 4 << 20))
    return recent
