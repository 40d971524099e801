"""The REST API under /api (OpenAPI at /api/docs). One module of routes per resource."""

from __future__ import annotations

from fastapi import APIRouter


def build_router() -> APIRouter:
    from onpace.api.routes import admin, health, kpis, metrics, objectives, runs, session

    router = APIRouter(prefix="/api")
    for module in (health, session, metrics, kpis, objectives, runs, admin):
        router.include_router(module.router)
    router.include_router(metrics.router_values)
    return router
