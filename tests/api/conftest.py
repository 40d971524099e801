"""The API and page tests' site: its fixtures (``tpch_site_template``, ``site``) live in
tests/site_fixtures.py, registered once for the whole run; the helpers are re-exported here."""

from __future__ import annotations

from tests.site_fixtures import MANUAL, PASSWORD, ROLES, SCALE, Site, settings_for

__all__ = ["MANUAL", "PASSWORD", "ROLES", "SCALE", "Site", "settings_for"]
