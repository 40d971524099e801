"""GET /api/health: open without a login, for load balancers and monitors."""

from __future__ import annotations

from fastapi import APIRouter

from onpace import __version__
from onpace.api.deps import StoreDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(store: StoreDep) -> dict[str, str]:
    """Whether the server runs and its store answers."""
    revision = store.current_revision()  # raises StoreError (503) when the store is unreachable
    return {"status": "ok", "version": __version__, "store_revision": revision or ""}
