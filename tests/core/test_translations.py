"""The Japanese catalogue is complete: every string in the code has a Japanese translation with the same
placeholders, and pages really come out in the chosen language."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import flask_babel
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "participation" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}
# %(name)s, %(count)d, %s, %d ... but not a literal "%%"
PLACEHOLDER_RE = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def read_catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER_RE.findall(text.replace("%%", "")))


def ids_of(message_id) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def extracted_messages() -> dict[str, str]:
    """msgid -> first location, extracted from the code and templates exactly as pybabel extract would."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        singular = ids_of(message)[0]
        if singular:
            found.setdefault(singular, f"{filename}:{lineno}")
    return found


def test_extraction_sees_the_code():
    """Guards the guard: if extraction silently found nothing, the coverage test below would prove nothing."""
    found = extracted_messages()
    assert "Sign in" in found  # templates (jinja2)
    assert "Please enter a valid email address." in found  # Python, _l()
    assert "Hello %(name)s," in found  # mail templates (.txt)
    assert len(found) > 200


def test_every_japanese_entry_is_translated_with_the_same_placeholders():
    catalogue = read_catalogue("ja")
    assert catalogue.locale.language == "ja"
    assert catalogue.num_plurals == 1
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = ids_of(message.string) if message.string else ("",)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        for string in strings:
            if not string.strip():
                problems.append(f"untranslated: {message.id!r}")
            elif placeholders(string) != placeholders(ids_of(message.id)[0]):
                problems.append(f"placeholders differ: {message.id!r} -> {string!r}")
    assert not problems, "\n".join(problems)


def test_japanese_catalogue_covers_every_string_in_the_code():
    """Fails when someone adds a user-visible string without translating it."""
    translated = {ids_of(m.id)[0] for m in read_catalogue("ja") if m.id and m.string and not m.fuzzy}
    missing = {msgid: where for msgid, where in extracted_messages().items() if msgid not in translated}
    assert not missing, "untranslated strings (add them to the ja catalogue):\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda item: item[1]))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_catalogues_are_valid(language):
    catalogue = read_catalogue(language)
    assert catalogue.locale.language == language
    assert [error for error in catalogue.check()] == []


def fresh_locale() -> None:
    """The `app` fixture keeps one app context (and so one `g`) open across the client's requests, and
    Flask-Babel caches the chosen locale in `g`; forget it so the next request chooses again, as a real
    request (with its own app context) would."""
    flask_babel.refresh()


def _nav(html: str) -> str:
    match = re.search(r'<nav class="wrap site-nav".*?</nav>', html, re.S)
    assert match, "no main navigation"
    return match.group(0)


def test_home_page_nav_is_japanese_by_default(client):
    html = client.get("/").get_data(as_text=True)
    nav = _nav(html)
    for label in ("ホーム", "参加プロセス", "ログイン", "新規登録"):
        assert label in nav
    assert "Sign in" not in nav
    assert "本文へ移動" in html


def test_home_page_nav_is_english_when_chosen(client):
    # A guest's header form carries no CSRF token (core.views.set_language needs none from a guest).
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    fresh_locale()
    html = client.get("/").get_data(as_text=True)
    nav = _nav(html)
    for label in ("Home", "Processes", "Sign in", "Sign up"):
        assert label in nav
    assert "ログイン" not in nav
    assert 'lang="en"' in html
    assert "Skip to main content" in html


def test_signed_in_nav_follows_the_account_language(client, make_user, login):
    login(make_user(locale="en"))
    fresh_locale()
    nav = _nav(client.get("/").get_data(as_text=True))
    assert "My account" in nav and "Sign out" in nav
    assert "ログアウト" not in nav


@pytest.mark.parametrize(("language", "subject", "greeting"), [
    ("ja", "メールアドレスの確認のお願い", "花子 様"),
    ("en", "Please confirm your email address", "Hello 花子,"),
], ids=["ja", "en"])
def test_confirmation_mail_is_in_the_language_chosen_at_sign_up(client, csrf, outbox, language, subject, greeting):
    response = client.post("/account/sign-up", data={
        "email": f"hanako-{language}@example.jp", "display_name": "花子", "password": "correct-horse-battery-42",
        "password_confirm": "correct-horse-battery-42", "locale": language, "agree_terms": "y", "agree_privacy": "y",
        "csrf_token": csrf("/account/sign-up")})
    assert response.status_code == 302
    (mail,) = outbox()
    assert mail["Subject"] == subject
    assert greeting in mail.get_body(preferencelist=("plain",)).get_content()


def test_pager_is_translated_on_every_page(client, make_process):
    """The pager once shadowed `_` (the gettext function) with `{% set _ = ... %}`: page 2 was a 500."""
    for _ in range(21):
        make_process()
    first = client.get("/processes?state=active").get_data(as_text=True)
    assert "1 / 2ページ" in first and "次へ" in first and "前へ" not in first
    assert 'href="/processes?state=active&amp;page=2"' in first
    response = client.get("/processes?state=active&page=2")
    assert response.status_code == 200
    second = response.get_data(as_text=True)
    assert "2 / 2ページ" in second and "前へ" in second and "次へ" not in second
    assert 'href="/processes?state=active&amp;page=1"' in second
