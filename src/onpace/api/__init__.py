"""The REST API under /api (OpenAPI at /api/docs). One module of routes per resource.

Every answer is a typed view of ``onpace.services.views`` (the operation's ``response_model``),
and every error answer an :class:`~onpace.services.views.errors.ErrorBody`, so the OpenAPI
document types each body the API sends.
"""

from __future__ import annotations

from fastapi import APIRouter

from onpace.api.deps import ERRORS


def build_router() -> APIRouter:
    from onpace.api.routes import admin, alerts, health, kpis, metrics, my, objectives, people, reports, runs, session

    router = APIRouter(prefix="/api", responses=ERRORS)
    for module in (health, session, metrics, kpis, objectives, runs, alerts, reports, my, admin, people):
        router.include_router(module.router)
    router.include_router(metrics.router_values)
    from onpace.api.routes import outbox

    router.include_router(outbox.router)
    return router
