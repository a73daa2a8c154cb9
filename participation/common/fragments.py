"""A bounded per-worker cache of rendered template fragments, keyed by everything they show.

A busy proposal page renders the same comments and the same list cards for every visitor. A fragment
is cached under a key made of every value it displays (and the locale and time zone it is rendered
in), so a cached fragment is never stale: when a value changes, so does the key, and the old entry
simply ages out. What differs by viewer may be inside one only when it is in the key too (a comment's
article keys "the viewer wrote it") or as a viewer part (common/pagecache.py: the comment's votes, a form's
submission key), which is filled in per viewer after the request; forms and CSRF tokens never are.

Used from a template global, e.g. comments.views.comment_head:

    cached_html("comment-head", comment.id, author_name, comment.body, ..., render=lambda: macro(comment))

Each worker keeps its own entries (no other worker needs them), at most FRAGMENT_CACHE_SIZE of them."""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, get_template_attribute, request
from markupsafe import Markup

from participation.common.i18n import current_locale

FRAGMENT_CACHE_SIZE = 8192


class FragmentCache:
    """A thread-safe LRU of rendered HTML (gunicorn gthread workers render in several threads)."""

    def __init__(self, size: int = FRAGMENT_CACHE_SIZE):
        self.size = size
        self._entries: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: tuple, render) -> Markup:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return html
            self.misses += 1
        html = Markup(render())  # outside the lock: two threads may render the same fragment once each
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


fragment_cache = FragmentCache()


def cached_html(*key, render) -> Markup:
    """The HTML `render()` returns, rendered once per key (then served from this worker's cache).

    The locale and the display time zone are added to every key: the same values render differently
    in English or in another zone."""
    full_key = (current_locale(), current_app.config.get("TIMEZONE"), *key)
    return fragment_cache.get_or_render(full_key, render)


def cached_macro(template: str, name: str, *args, **kwargs) -> Markup:
    """A macro's HTML rendered once per arguments (and language): only for macros whose output depends on
    nothing else, so never one that writes a CSRF token or reads the request. Arguments must be hashable."""
    return cached_html(template, name, request.script_root, args, tuple(sorted(kwargs.items())),
                       render=lambda: get_template_attribute(template, name)(*args, **kwargs))
