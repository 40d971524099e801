"""A real onpace server on loopback and Debian's Chromium driven by Playwright.

Chromium is found at $ONPACE_CHROMIUM, else /usr/bin/chromium (Debian's package, which
`make test` installs); Playwright never downloads a browser. Under CI a missing browser fails
the tests instead of skipping them. Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests.api import conftest as site_fixtures
from tests.conftest import require_or_skip

from onpace.server import create_app
from onpace.services.workspace import Workspace

tpch_site_template = site_fixtures.tpch_site_template  # the same site as the API tests
settings_for = site_fixtures.settings_for
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_site(tpch_site_template: Path, tmp_path: Path) -> Iterator[str]:
    """The base URL of a server for a fresh copy of the test site."""
    root = tmp_path / "tpch"
    shutil.copytree(tpch_site_template, root)
    app = create_app(Workspace(root, settings_for(root)))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the onpace server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = os.environ.get("ONPACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        require_or_skip(f"no Chromium at {executable} (apt-get install -y chromium, or set ONPACE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
