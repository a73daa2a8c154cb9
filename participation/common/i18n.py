"""Locale and time zone selection, and locale-aware date formatting."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale, gettext
from flask_login import current_user

LANG_COOKIE = "lang"


def _supported(code: str | None) -> str | None:
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Signed-in user's choice, then the guest's cookie, then the default (Japanese)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    forced = getattr(g, "force_locale", None)
    if forced:
        return forced
    if current_user and current_user.is_authenticated and _supported(current_user.locale):
        return current_user.locale
    return _supported(request.cookies.get(LANG_COOKIE)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def set_language_cookie(response, lang: str) -> None:
    """The guest's language choice: a year, HttpOnly, SameSite=Lax, Secure like the session cookie."""
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def current_locale() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


_LABELS: dict[tuple, dict[str, str]] = {}


def N_(message: str) -> str:
    """Marks a message for the catalogue (pybabel extracts N_) that is translated later, by translated_labels."""
    return message


def translated_labels(*messages: str) -> dict[str, str]:
    """Each message translated into the current language, as a dict by message: translated once per
    language and set of messages (the catalogues do not change while the app runs), for code that builds
    HTML for many items at every request (list cards). Messages with %(name)s placeholders come back
    unformatted: `labels[message] % {"name": value}`."""
    key = (current_locale(), messages)
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {message: gettext(message) for message in messages}
    return labels


def municipality_name() -> str:
    """The municipality's name in the current language (the header, the title, the home page)."""
    config = current_app.config
    return config["MUNICIPALITY_NAME_EN"] if current_locale() == "en" else config["MUNICIPALITY_NAME"]


def format_datetime_local(value, fmt: str | None = None) -> str:
    """Date and time to the minute in both languages (seconds only clutter a comment or a notice)."""
    if value is None:
        return ""
    if current_locale() == "ja":
        return format_datetime(value, "y年M月d日 H:mm")
    return format_datetime(value, fmt or "MMM d, y, h:mm a")


def format_date_local(value, fmt: str = "long") -> str:
    if value is None:
        return ""
    if current_locale() == "ja":
        return format_date(value, "y年M月d日")
    return format_date(value, fmt)
