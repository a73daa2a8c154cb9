"""User text -> safe HTML. The only module that produces HTML from user input.

Text is stored as typed; it is rendered from a Markdown subset and then cleaned with one
bleach allow-list, so whatever the renderer lets through, only these tags survive."""
from __future__ import annotations

import html
import threading
import unicodedata
from functools import lru_cache, partial

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = ["p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "a"]
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]
LINK_REL = "nofollow noopener ugc"

_markdown = (
    MarkdownIt("zero", {"html": False, "breaks": True})
    .enable(["emphasis", "list", "blockquote", "backticks", "link", "newline", "escape"])
)


def _set_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


_local = threading.local()


def _cleaners() -> dict[str, Cleaner]:
    """This thread's cleaners, made once: building a bleach Cleaner is costly (a proposal page with
    its comments renders dozens of texts), and its html5lib parser keeps state, so it is not
    thread-safe (under gunicorn gthread a shared one raised IndexError). Each cleans and links URLs in
    one parse; links get rel="nofollow noopener ugc"."""
    cleaners = getattr(_local, "cleaners", None)
    if cleaners is None:
        linkify = partial(LinkifyFilter, callbacks=[_set_rel], parse_email=False)
        cleaners = _local.cleaners = {
            "markdown": Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
                                strip=True, filters=[linkify]),
            "plain": Cleaner(tags=["br"], attributes={}, strip=True, filters=[linkify]),
            "text": Cleaner(tags=[], attributes={}, strip=True),
        }
    return cleaners


# Rendering is a pure function of the text, and the same texts (a busy proposal's comments) are shown
# again and again: remember the HTML of recent short texts (a bounded cache per worker; at most
# RENDER_CACHE_SIZE texts of up to RENDER_CACHE_MAX_CHARS characters each).
RENDER_CACHE_SIZE = 4096
RENDER_CACHE_MAX_CHARS = 2000


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _markdown_html(source: str) -> str:
    return _cleaners()["markdown"].clean(_markdown.render(source))


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _plain_html(source: str) -> str:
    escaped = str(escape(source)).replace("\r\n", "\n").replace("\n", "<br>\n")
    return _cleaners()["plain"].clean(escaped)


def render_markdown(source: str | None) -> Markup:
    """Markdown subset -> sanitized HTML with safe, rel-marked links."""
    if not source:
        return Markup("")
    render = _markdown_html if len(source) <= RENDER_CACHE_MAX_CHARS else _markdown_html.__wrapped__
    return Markup(render(source))


def render_plain(source: str | None) -> Markup:
    """Plain text with line breaks kept and URLs linked."""
    if not source:
        return Markup("")
    render = _plain_html if len(source) <= RENDER_CACHE_MAX_CHARS else _plain_html.__wrapped__
    return Markup(render(source))


def excerpt(source: str | None, length: int = 140) -> str:
    """Plain-text excerpt (characters, not bytes) with Markdown markers removed."""
    if not source:
        return ""
    # bleach returns HTML text (&amp;); an excerpt is plain text that templates escape themselves.
    text = html.unescape(_cleaners()["text"].clean(_markdown.render(source)))
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def normalise_token(value: str | None) -> str:
    """NFKC for values whose meaning does not change (emails, codes, digits); not for free text."""
    return unicodedata.normalize("NFKC", value or "").strip()
