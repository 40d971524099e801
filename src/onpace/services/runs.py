"""Refresh runs and the freshness of the stored series, as views."""

from __future__ import annotations

import datetime as dt

from onpace.catalog.project import Project
from onpace.services import feedback
from onpace.services.views.runs import DataHealth, RunView, SeriesFreshness
from onpace.store import observations as obs
from onpace.store import runs as store_runs
from onpace.store.db import Store

HEALTH_RUNS = 20


def list_runs(store: Store, limit: int = 50) -> list[RunView]:
    """Refresh runs, newest first."""
    with store.session(readonly=True) as s:
        return [RunView.model_validate(r) for r in store_runs.list_runs(s, limit=limit)]


def get_run(store: Store, run_id: int) -> RunView:
    with store.session(readonly=True) as s:
        return RunView.model_validate(store_runs.get_run(s, run_id))


def freshness(store: Store) -> list[SeriesFreshness]:
    """Every stored series and the last day it has data for, stalest first."""
    with store.session(readonly=True) as s:
        found = [SeriesFreshness.model_validate(x) for x in obs.list_series(s)]
    found.sort(key=lambda r: (r.data_until or dt.date.min, r.metric))
    return found


def data_health(project: Project, store: Store) -> DataHealth:
    """The health page: the linter's findings, the freshness of each series, the recent runs."""
    return DataHealth(
        findings=feedback.lint(project, store), series=freshness(store), runs=list_runs(store, HEALTH_RUNS)
    )
