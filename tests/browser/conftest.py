"""Browser fixtures: the test app served on 127.0.0.1 by a real HTTP server in a thread, and the system
Chromium driven by Playwright at a phone viewport. Never downloads a browser."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler

# The same Chromium that scripts/ensure-chromium found on the PATH (Debian puts it in /usr/bin).
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # the test output would drown in request lines
        pass


@pytest.fixture
def live_server(app):
    """Base URL of the test `app` served by werkzeug in a background thread (one per test)."""
    from werkzeug.serving import make_server

    from participation.extensions import limiter

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    limiter.reset()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make chromium` (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized tab (no cookies) whose relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server, locale="ja-JP", timezone_id="Asia/Tokyo", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def confirmation_link(outbox):
    """confirmation_link(address) -> path of the confirmation link in the newest mail sent to address."""
    from tests.conftest import link_in

    def find(address: str) -> str:
        mails = [mail for mail in outbox() if mail["To"] == address]
        assert mails, f"no mail to {address} in the outbox"
        return link_in(mails[-1], "/account/confirm/")

    return find
