"""Real-browser fixtures: a `streamlit run serve.py` server and Debian's Chromium driven by Playwright.

Never `playwright install` (it downloads a browser): we use /usr/bin/chromium. In CI (CI=true) a missing
Chromium is a failure, elsewhere the browser tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ON_CI, ROOT, TIMEOUT_MS  # noqa: E402


def _free_port() -> int:
    """A free local port: any, or the first free one of ``$STREAMLIT_TEST_PORTS`` ("8610-8619") when set."""
    span = os.environ.get("STREAMLIT_TEST_PORTS", "")
    candidates = [0]
    if span:
        lo, _, hi = span.partition("-")
        candidates = list(range(int(lo), int(hi or lo) + 1))
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in STREAMLIT_TEST_PORTS={span}")


def _require_browser() -> None:
    missing = []
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        msg = f"browser tests need {' and '.join(missing)} (apt-get install chromium; pip install playwright)"
        if ON_CI:
            pytest.fail(msg + " -- in CI the browser tests must run", pytrace=False)
        pytest.skip(msg)


@contextlib.contextmanager
def _server(log_name: str = "streamlit-server.log"):
    """Start `streamlit run serve.py` (the README's command) on a free port; yield its URL; stop it (and
    its children) at the end."""
    _require_browser()
    port = _free_port()
    log = (ARTIFACTS / log_name)
    ARTIFACTS.mkdir(exist_ok=True)
    logf = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {log}", pytrace=False)
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"streamlit did not answer on {url} within 90 s; see {log}", pytrace=False)
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        logf.close()


@pytest.fixture(scope="session")
def app_url():
    """A `streamlit run serve.py` server shared by the session's browser tests."""
    with _server() as url:
        yield url


@pytest.fixture()
def fresh_app_url():
    """A server of its own that no request has reached yet (for cold first requests and deep links)."""
    with _server("streamlit-fresh-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def chromium_browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def browser_page(chromium_browser):
    ctx = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        yield pg
    finally:
        ctx.close()
