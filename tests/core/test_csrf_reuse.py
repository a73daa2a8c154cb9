"""A page's CSRF token is signed at most once a minute per session (common.csrf.page_csrf_token): the
same valid token on the next pages, never another session's."""
import re
import time

from participation.common import csrf
from tests.conftest import signed_in

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_a_residents_pages_reuse_the_signature_of_their_own_token(app, monkeypatch, make_user):
    signings = []
    real = csrf.generate_csrf
    monkeypatch.setattr(csrf, "generate_csrf", lambda: signings.append(1) or real())
    first, second = signed_in(app, make_user()), signed_in(app, make_user())
    tokens = [TOKEN_RE.search(first.get(path).get_data(as_text=True)).group(1) for path in ("/terms", "/privacy")]
    assert tokens[0] == tokens[1] and len(signings) == 1  # signed for the first page, reused for the second
    other = TOKEN_RE.search(second.get("/terms").get_data(as_text=True)).group(1)
    assert other != tokens[0] and len(signings) == 2  # another session: its own token
    assert first.post("/account/sign-out", data={"csrf_token": other}).status_code == 400
    assert first.post("/account/sign-out", data={"csrf_token": tokens[1]}).status_code == 302


def test_the_signature_is_made_again_after_a_minute(app, monkeypatch, make_user):
    client = signed_in(app, make_user())
    client.get("/terms")
    signings = []
    real = csrf.generate_csrf
    monkeypatch.setattr(csrf, "generate_csrf", lambda: signings.append(1) or real())
    client.get("/terms")
    assert signings == []
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + csrf.REUSE_SECONDS + 1)
    client.get("/terms")
    assert signings == [1]
