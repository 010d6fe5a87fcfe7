"""The built site, served over HTTP on localhost, and Debian's chromium driven by Playwright.

VAEBOOK_SITE names the built HTML directory (tools/gate.py passes the quick site it built); VAEBOOK_CHROMIUM the browser
(default /usr/bin/chromium: Playwright's own browser download is not reachable from this project's machines).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = (ROOT / os.environ.get("VAEBOOK_SITE", "_build/quick/_build/html")).resolve()
CHROMIUM = os.environ.get("VAEBOOK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "_build" / "screenshots"
# No network, no first-run work, no GPU: the same flags on a developer's machine and in CI.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"no built site in {SITE}: build it first (python tools/gate.py full --only site), or set VAEBOOK_SITE"
        )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no chromium at {CHROMIUM}: apt-get install chromium (or set VAEBOOK_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
