"""GET /api/health: open without a login, for load balancers and monitors."""

from __future__ import annotations

from fastapi import APIRouter

from onpace.api.deps import WorkspaceDep
from onpace.services import health as health_service
from onpace.services.views.session import HealthView

router = APIRouter(tags=["health"])


@router.get("/health")
def health(ws: WorkspaceDep) -> HealthView:
    """Whether the server runs, its store answers and its definitions load.

    ``status`` is ``ok``, or ``degraded`` when the definitions are broken (pages and queries answer
    422 until they are fixed): ``definitions`` then says ``error`` and how many problems there are,
    never what they are (the caller is anonymous; ``onpace validate`` lists them). Cheap: the
    definitions are read again only when one of their files changed.
    """
    return health_service.health(ws)
