"""Whether the server is healthy: its store answers and its definitions load (``GET /api/health``)."""

from __future__ import annotations

from onpace import __version__
from onpace.errors import DefinitionError, OnpaceError
from onpace.services.views.session import DefinitionsHealth, HealthView
from onpace.services.workspace import Workspace


def health(workspace: Workspace) -> HealthView:
    """``ok``, or ``degraded`` when the definitions are broken (and how many problems, never which).

    Raises a StoreError (503) when the store is unreachable. Cheap: the definitions are read
    again only when one of their files changed.
    """
    revision = workspace.store.current_revision()
    definitions = DefinitionsHealth(status="ok", problems=0)
    if workspace.fresh_project() is None:
        try:
            workspace.project()
        except DefinitionError as exc:
            definitions = DefinitionsHealth(status="error", problems=max(len(exc.issues), 1))
        except OnpaceError:
            definitions = DefinitionsHealth(status="error", problems=1)
    return HealthView(
        status="ok" if definitions.status == "ok" else "degraded",
        version=__version__,
        store_revision=revision or "",
        definitions=definitions,
    )
