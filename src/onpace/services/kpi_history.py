"""A KPI's past: its evaluations over time, the periods that are over, and the changes of its targets."""

from __future__ import annotations

import datetime as dt

from onpace.services.views.evaluations import Evaluation, TargetChange
from onpace.store import evaluations as ev
from onpace.store.db import Store
from onpace.store.targets import list_target_history

DONE = ("achieved", "missed")


def evaluations(store: Store, kpi: str, segment: str = "", limit: int | None = None) -> list[Evaluation]:
    """The KPI's evaluations (of one segment), oldest first; ``limit`` keeps the newest."""
    with store.session(readonly=True) as s:
        return [Evaluation.of(e) for e in ev.evaluation_history(s, kpi, segment, limit=limit)]


def past_periods(store: Store, kpi: str, segment: str = "", as_of: dt.date | None = None) -> list[Evaluation]:
    """The KPI's periods that are over (by ``as_of``), achieved or missed, newest first: the history each
    refresh keeps (``onpace.services.evaluate.evaluate_and_store``), each named by its ``period``."""
    with store.session(readonly=True) as s:
        stored = ev.read_periods(s, kpi, segment, until=as_of)
        return [Evaluation.of_period(p, (p.details or {}).get("period") or p.period_start.isoformat()) for p in stored]


def target_history(store: Store, kpi: str) -> list[TargetChange]:
    """Every change of the KPI's targets, oldest first."""
    with store.session(readonly=True) as s:
        return [TargetChange.model_validate(t) for t in list_target_history(s, kpi)]


def current_period(store: Store, kpi: str, segment: str = "") -> tuple[dt.date | None, dt.date | None]:
    """The start and as-of day of the KPI's latest evaluation (of one segment); none when never evaluated."""
    with store.session(readonly=True) as s:
        latest = [e for e in ev.latest_evaluations(s, kpi) if e.segment == segment]
    return (latest[0].period_start, latest[0].as_of) if latest else (None, None)
