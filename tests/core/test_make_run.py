"""Issue 2, acceptance 1: `make run` sets up an empty instance, loads the demo municipality and serves
the home page with its data, printing the demo logins."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_the_home_page_with_demo_data(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(port))
    log_path = tmp_path / "make-run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        home = None
        deadline = time.monotonic() + 240
        while home is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(1)
            home = _get(f"http://127.0.0.1:{port}/")
        output = log_path.read_text()
        assert home is not None, output
        assert "みどり市" in home and "地域公共交通計画" in home  # the demo city and its open process
        assert "admin@midori.example.jp" in output and "hanako@midori.example.jp" in output
        assert (tmp_path / "instance" / "participation.sqlite3").exists()
        assert "地域公共交通計画" in (_get(f"http://127.0.0.1:{port}/processes") or "")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
