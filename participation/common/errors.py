"""Domain errors raised by services, and friendly error pages for every HTTP error."""
from __future__ import annotations

from flask import Response, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A broken business rule. `message` is shown to the user (already translatable)."""

    status_code = 422

    def __init__(self, message, status_code: int | None = None):
        super().__init__(str(message))
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class NotAllowed(DomainError):
    status_code = 403


ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You are not allowed to do this"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    409: _l("This conflicts with a change made meanwhile"),
    413: _l("The file is too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many attempts. Please wait a moment and try again"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is temporarily unavailable"),
}


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/open311/")) or request.path == "/healthz"


# Shown only when the error page itself cannot be rendered (e.g. the database is down while the
# signed-in user is loaded for the layout): static, both languages, no user context needed.
FALLBACK_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status}</title></head>
<body><main><h1>{status}</h1>
<p>ただいまご利用いただけません。しばらくしてからもう一度お試しください。</p>
<p lang="en">The service is not available at the moment. Please try again later.</p>
<p><a href="/">トップページへ / Home</a></p></main></body></html>
"""


def render_error(status: int, detail=None):
    try:
        if _wants_json():
            return jsonify({"error": str(ERROR_TITLES.get(status, "Error")), "status": status}), status
        title = ERROR_TITLES.get(status, ERROR_TITLES[500] if status >= 500 else ERROR_TITLES[400])
        return render_template("errors/error.html", status=status, title=title, detail=detail), status
    except Exception:
        current_app.logger.exception("Could not render the error page for status %s", status)
        _rollback_quietly()
        if _wants_json():
            return Response(f'{{"status": {status}}}', status, mimetype="application/json")
        return Response(FALLBACK_PAGE.format(status=int(status)), status, mimetype="text/html")


def _rollback_quietly() -> None:
    from participation.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the session is discarded at the end of the request
        pass


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = make_response(render_error(error.code))  # a (body, status) pair or the fallback Response
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        _rollback_quietly()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        # The database being unreachable is temporary: 503 tells clients and load balancers to retry.
        return render_error(503 if isinstance(error, OperationalError) else 500)
