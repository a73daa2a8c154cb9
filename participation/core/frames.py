"""The site header's per-request holes, and page frames.

The site header is the same for everyone in a language with the same kind of account, but for three
per-request values: the visitor's CSRF token, the page's own path (the language switch returns to it)
and the sign-in link (which comes back to it). It is rendered with holes in their place and the holes are
filled for each request (`fill_request_holes`).

A page *frame* is a page's whole layout (document head, title, site header and footer) rendered once with
a hole for its content, shared by the worker's requests (common.pagecache.shared_value: keyed by the
content generation and by everything the layout shows), and filled with each request's values and
content. For a page built at every request (a list page nobody asked for before), Jinja's layout is a
fifth of its cost. Pages with a message to show once (flash) are rendered whole, as any other page."""
from __future__ import annotations

from flask import g, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from participation.common.csrf import page_csrf_token
from participation.common.i18n import current_locale, municipality_name
from participation.common.pagecache import shared_value
from participation.permissions import can

CSRF_HOLE, PATH_HOLE, SIGN_IN_HOLE = "\x00header-csrf\x00", "\x00header-path\x00", "\x00header-sign-in\x00"
CONTENT_HOLE = "\x00frame-content\x00"


def header_viewer() -> tuple[bool, bool, bool]:
    """What the site header shows differently by account: signed in, the staff link, the admin link."""
    signed_in = current_user.is_authenticated
    return signed_in, signed_in and can(current_user, "staff.access"), signed_in and can(current_user, "admin.access")


def keeping_holes() -> bool:
    """True while a frame is rendered: the header keeps its holes (filled when the frame is used)."""
    return g.get("_rendering_frame", False)


def fill_request_holes(html: str) -> str:
    """The header's holes filled with this request's CSRF token, path and sign-in link."""
    path = request.full_path.rstrip("?")
    if CSRF_HOLE in html:  # only a signed-in header has a form that needs one (a guest's page sets no cookie)
        html = html.replace(CSRF_HOLE, escape(page_csrf_token()))
    html = html.replace(PATH_HOLE, escape(path))
    if SIGN_IN_HOLE in html:
        back = path if request.endpoint not in ("accounts.sign_in", "accounts.sign_up") else None
        html = html.replace(SIGN_IN_HOLE, escape(url_for("accounts.sign_in", next=back)))
    return html


def framed(template: str, key: tuple, content: str, **context) -> str:
    """`template` (which shows `content` once, as its main content) for this request: its frame rendered once
    per `key` (everything the template shows besides the content and the site header, e.g. the process
    whose title it carries) and filled with this request's values and `content`."""
    if session.get("_flashes"):  # the layout shows them, once: this page is rendered whole
        return render_template(template, content=Markup(content), **context)

    def render() -> tuple[str, str]:
        g._rendering_frame = True
        try:
            before, after = render_template(template, content=Markup(CONTENT_HOLE), **context).split(CONTENT_HOLE)
        finally:
            g._rendering_frame = False
        return before, after

    before, after = shared_value(("page-frame", template, current_locale(), municipality_name(),
                                  request.script_root, *header_viewer(), *key),
                                 render, lambda parts: len(parts[0]) + len(parts[1]))
    # Around the content, never in it: what a page shows is never taken for a hole.
    return "".join((fill_request_holes(before), str(content), fill_request_holes(after)))
