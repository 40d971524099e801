"""The web pages: server-rendered Jinja2 with HTMX for the interactive parts and ECharts for charts.

HTMX and ECharts are vendored under static/vendor (from the npm registry;
scripts/vendor-js.sh fetches them again), so the app works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_router() -> APIRouter:
    from onpace.web.routes import account, alerts, catalog, kpis, my, overview, reports, settings

    router = APIRouter(include_in_schema=False)
    for module in (account, overview, kpis, catalog, alerts, reports, my, settings):
        router.include_router(module.router)
    return router
