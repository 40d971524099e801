"""Finding a definition by name, with a 404 that suggests the closest name.

A module of its own, below the services that look KPIs up (the KPI page, what changed), so that
any of them may use it without importing another.
"""

from __future__ import annotations

from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.errors import NotFoundError, did_you_mean_suffix


def get_kpi(project: Project, name: str) -> g.Kpi:
    """The KPI named ``name``; a 404 with a "did you mean" when there is none."""
    kpi = project.kpis.get(name)
    if kpi is None:
        raise NotFoundError(f"no KPI named '{name}'" + did_you_mean_suffix(name, project.kpis))
    return kpi
