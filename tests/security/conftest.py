"""Shared fixtures of the attack suite: the TPC-H test site, its users per role, a live server, Chromium.

The site (``tpch_site_template``, ``site``, one user per role with ``PASSWORD``) and the browser
(``browser``) are the fixtures of tests/site_fixtures.py, registered once for the whole run. ``module_site`` is ``live_site`` for a whole module: one server on one fresh
copy of the site, for tests that read what an earlier fixture wrote.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.site_fixtures import PASSWORD, ROLES, serving

__all__ = ["PASSWORD", "ROLES", "serving"]


@dataclass
class LiveSite:
    root: Path
    base: str

    @contextmanager
    def client(self, name: str | None = None) -> Iterator[httpx.Client]:
        """An HTTP client of the live server, logged in as ``name`` (its writes carry the CSRF token)."""
        with httpx.Client(base_url=self.base, timeout=60, follow_redirects=False) as client:
            if name is not None:
                answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
                assert answer.status_code == 200, answer.text
                client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            yield client


@pytest.fixture(scope="module")
def module_site(tpch_site_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """A live server on a fresh copy of the test site, shared by the tests of one module."""
    root = tmp_path_factory.mktemp("security") / "tpch"
    shutil.copytree(tpch_site_template, root)
    with serving(root) as base:
        yield LiveSite(root, base)


def browser_login(browser: Any, base: str, name: str) -> Any:
    """A new Chromium context logged in as ``name`` (through /api/login, so the cookie is the context's)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    answer = context.request.post(f"{base}/api/login", data={"name": name, "password": PASSWORD})
    assert answer.status == 200, answer.text()
    return context
