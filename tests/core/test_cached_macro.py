"""common.fragments.cached_macro: a macro's HTML rendered once per arguments and language."""
from flask_babel import force_locale

from participation.common.fragments import cached_macro, fragment_cache
from participation.proposals.queries import _Named


def _badge(label_ja="採用"):
    # a new object each time, as each list's cards are: equal values must find the same rendering
    return cached_macro("proposals/_macros.html", "state_badge", _Named(label_ja, "Accepted", "accepted", "#1a7f37", 2))


def test_a_macro_renders_once_per_equal_arguments_and_per_language(app):
    fragment_cache.clear()
    with app.test_request_context("/"):
        accepted, again = _badge(), _badge()
        assert again == accepted and "採用" in accepted and fragment_cache.misses == 1 and fragment_cache.hits == 1
        assert "実施" in _badge("実施") and fragment_cache.misses == 2  # another label is another badge
        with force_locale("en"):
            english = _badge()
        assert "Accepted" in english and "採用" not in english and fragment_cache.misses == 3
        unread = cached_macro("notifications/_parts.html", "notifications_link", 3)
        assert ">3<" in unread and ">3<" not in cached_macro("notifications/_parts.html", "notifications_link", 0)
