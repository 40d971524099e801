"""GET /api/health: open without a login, for load balancers and monitors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from onpace import __version__
from onpace.api.deps import WorkspaceDep
from onpace.errors import DefinitionError, OnpaceError

router = APIRouter(tags=["health"])


@router.get("/health")
def health(ws: WorkspaceDep) -> dict[str, Any]:
    """Whether the server runs, its store answers and its definitions load.

    ``status`` is ``ok``, or ``degraded`` when the definitions are broken (pages and queries answer
    422 until they are fixed): ``definitions`` then says ``error`` and how many problems there are,
    never what they are (the caller is anonymous; ``onpace validate`` lists them). Cheap: the
    definitions are read again only when one of their files changed.
    """
    revision = ws.store.current_revision()  # raises StoreError (503) when the store is unreachable
    definitions: dict[str, Any] = {"status": "ok", "problems": 0}
    if ws.fresh_project() is None:
        try:
            ws.project()
        except DefinitionError as exc:
            definitions = {"status": "error", "problems": max(len(exc.issues), 1)}
        except OnpaceError:
            definitions = {"status": "error", "problems": 1}
    return {
        "status": "ok" if definitions["status"] == "ok" else "degraded",
        "version": __version__,
        "store_revision": revision or "",
        "definitions": definitions,
    }
