"""What a KPI's chart shows, day by day over its current period: actual, phased target path, forecast cone.

- **actual**: for a flow KPI whose metric adds up by day (sums, counts) the
  running total from the period start to each day with data; for the others
  (levels such as rates, count distinct) each day's value.
- **target path**: for a flow, the target times the phased share due by the
  end of each day (linear, seasonal from the same period of earlier years, or
  milestones: the same shares the evaluation uses); for a level, the target
  (or the range) on every day.
- **forecast cone**: from the actual on the as-of date to the forecast at the
  period end, and from there to the interval's ends. The end points are the
  evaluation's own numbers; the days in between are drawn on straight lines.

The numbers come from the store, like the evaluation's, and the phasing is
the evaluation's own (:func:`onpace.kpi.phasing.phasing_of` and
:func:`onpace.kpi.phasing.share`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from onpace.catalog.project import Project
from onpace.errors import NotFoundError
from onpace.kpi.instances import accumulation, additive, kpi_instances, timeframe_grain
from onpace.kpi.phasing import phasing_of, share
from onpace.services.evaluate import read_kpi_series
from onpace.store import evaluations as ev
from onpace.store.db import Store


def chart(project: Project, store: Store, kpi: str, segment: str = "") -> dict[str, Any]:
    """The chart's series for one KPI (and segment), from its latest evaluation; empty when never evaluated."""
    instance = next((i for i in kpi_instances(project) if i.kpi.name == kpi and i.key == segment), None)
    if instance is None:
        raise NotFoundError(f"no KPI '{kpi}'" + (f" with segment '{segment}'" if segment else ""))
    with store.session(readonly=True) as s:
        latest = [e for e in ev.latest_evaluations(s, kpi) if e.segment == segment]
        data = read_kpi_series(s, project, instance)
    if not latest:
        return {"days": [], "actual": [], "target": [], "target_low": [], "target_high": [], "cone": None}
    e = latest[0]
    start, end, as_of = e.period_start, e.period_end, e.as_of
    flow = accumulation(project, instance.kpi) == "flow"
    cumulative = flow and additive(project, instance.kpi.metric or "")
    grain = timeframe_grain(project, instance.kpi)
    phasing = phasing_of(instance.kpi, data, start, end, grain, project.calendar)
    days: list[str] = []
    actual: list[float | None] = []
    target: list[float | None] = []
    low: list[float | None] = []
    high: list[float | None] = []
    running = 0.0
    seen = False
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        days.append(day.isoformat())
        value = data.daily.get(day)
        if day <= as_of:
            if cumulative:
                if value is not None:
                    running += value
                    seen = True
                actual.append(running if seen else None)
            else:
                actual.append(value)
        else:
            actual.append(None)
        due = share(phasing, start, end, day)[0] if flow else 1.0
        target.append(None if e.target is None else e.target * due)
        low.append(None if e.target_low is None else e.target_low * due)
        high.append(None if e.target_high is None else e.target_high * due)
    cone = None
    if e.forecast is not None and as_of < end:
        base = e.actual if e.actual is not None else 0.0
        if not cumulative:
            base = e.actual if e.actual is not None else e.forecast
        cone = {
            "from": as_of.isoformat(),
            "to": end.isoformat(),
            "start": base,
            "value": e.forecast,
            "low": e.forecast_low,
            "high": e.forecast_high,
        }
    return {
        "days": days,
        "actual": actual,
        "target": target,
        "target_low": low,
        "target_high": high,
        "cone": cone,
        "as_of": as_of.isoformat(),
        "cumulative": cumulative,
    }
