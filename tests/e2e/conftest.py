"""The browser tests' fixtures (``browser``, ``live_site``) live in tests/site_fixtures.py,
registered once for the whole run; the helpers are re-exported here."""

from __future__ import annotations

from tests.site_fixtures import ARTIFACTS, CHROMIUM_ARGS, free_port

_free_port = free_port
__all__ = ["ARTIFACTS", "CHROMIUM_ARGS", "_free_port", "free_port"]
