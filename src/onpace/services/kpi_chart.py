"""What a KPI's chart shows, day by day over its current period: actual, phased target path, forecast cone.

- **actual**: the headline's value as it stood on each day, with the same
  accumulation as the headline (:func:`_to_date`): a flow's running total, a
  ratio's value for the period so far (a rate's quarter to date, not each
  day's noisy rate), a level's value on the day.
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
import math
from collections.abc import Mapping
from typing import Any

from onpace.catalog.project import Project
from onpace.errors import NotFoundError, did_you_mean_suffix
from onpace.kpi.forecast import population
from onpace.kpi.instances import accumulation, additive, kpi_instances, timeframe_grain
from onpace.kpi.kind import Kind, kind_of
from onpace.kpi.phasing import phasing_of, share
from onpace.services.evaluate import evaluated_as_of, read_kpi_series
from onpace.services.scorecard import segment_key
from onpace.store import evaluations as ev
from onpace.store.db import Store


def chart(project: Project, store: Store, kpi: str, segment: str = "", as_of: dt.date | None = None) -> dict[str, Any]:
    """The chart's series for one KPI (and segment), from its latest evaluation; empty when never evaluated."""
    if kpi not in project.kpis:
        raise NotFoundError(f"no KPI '{kpi}'" + did_you_mean_suffix(kpi, project.kpis))
    segment = segment_key(project, kpi, segment)  # a segment it lacks: 404 naming those it has
    instance = next(i for i in kpi_instances(project) if i.kpi.name == kpi and i.key == segment)
    if as_of is not None:  # as it was on that date (services.evaluate)
        latest, data = evaluated_as_of(project, store, instance, as_of)
    else:
        with store.session(readonly=True) as s:
            latest = [e for e in ev.latest_evaluations(s, kpi) if e.segment == segment]
            data = read_kpi_series(s, project, instance)
    if not latest:
        return {"days": [], "actual": [], "target": [], "target_low": [], "target_high": [], "cone": None}
    e = latest[0]
    start, end, as_of = e.period_start, e.period_end, e.as_of
    flow = accumulation(project, instance.kpi) == "flow"
    kind = kind_of(project, instance.kpi)
    cumulative = kind in ("flow", "count_distinct")
    sums = additive(project, instance.kpi.metric or "")
    to_date = _to_date(kind, sums, data.daily, start, min(as_of, end), e.actual)
    grain = timeframe_grain(project, instance.kpi)
    phasing = phasing_of(instance.kpi, data, start, end, grain, project.calendar)
    days: list[str] = []
    actual: list[float | None] = []
    target: list[float | None] = []
    low: list[float | None] = []
    high: list[float | None] = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        days.append(day.isoformat())
        actual.append(to_date.get(day))
        due = share(phasing, start, end, day)[0] if flow else 1.0
        target.append(None if e.target is None else e.target * due)
        low.append(None if e.target_low is None else e.target_low * due)
        high.append(None if e.target_high is None else e.target_high * due)
    cone = None
    if e.forecast is not None and as_of < end:
        base = e.actual if e.actual is not None else (0.0 if cumulative else e.forecast)
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
        "kind": kind,
    }


def _to_date(
    kind: Kind, sums: bool, daily: Mapping[dt.date, float | None], start: dt.date, until: dt.date, actual: float | None
) -> dict[dt.date, float | None]:
    """The headline's value as it stood on each day of the period up to ``until`` (:mod:`onpace.kpi.kind`).

    - a flow: the running total of its days; one that does not add up by day is scaled to end at
      the actual, and a count distinct follows the curve of new values getting rarer that its
      forecast assumes (:func:`onpace.kpi.forecast.population`);
    - a ratio: the running mean of its daily values (the period so far), scaled to end at the
      actual (the ratio of the period's sums, which the days alone do not give);
    - a level: its last value on each day.
    """
    out: dict[dt.date, float | None] = {}
    running = 0.0
    count = 0
    last: float | None = None
    for i in range((until - start).days + 1):
        day = start + dt.timedelta(days=i)
        value = daily.get(day)
        if value is not None:
            running += value
            count += 1
            last = value
        if count == 0:
            out[day] = None
        elif kind == "level":
            out[day] = last
        elif kind == "ratio":
            out[day] = running / count
        else:
            out[day] = running
    if (sums and kind == "flow") or actual is None or not out or out[until] is None:
        return out
    end_value = out[until]
    assert end_value is not None
    if kind == "count_distinct":
        size = population(actual, end_value)
        if size is not None:
            return {d: None if v is None else size * -math.expm1(-v / size) for d, v in out.items()}
    if kind == "level" or end_value == 0:
        return out
    return {d: None if v is None else v * actual / end_value for d, v in out.items()}
