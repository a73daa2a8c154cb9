"""Domain errors raised by services, and friendly error pages for every HTTP error."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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


def render_error(status: int, detail=None):
    if _wants_json():
        return jsonify({"error": str(ERROR_TITLES.get(status, "Error")), "status": status}), status
    title = ERROR_TITLES.get(status, ERROR_TITLES[500] if status >= 500 else ERROR_TITLES[400])
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and getattr(error, "valid_methods", None):
            body, status = response
            return body, status, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        from participation.extensions import db

        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
