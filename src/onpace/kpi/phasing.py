"""Phasing: the share (0..1) of a flow target that should be reached by a date.

Three ways to spread a target over its period:

- linear: the same amount every day;
- seasonal: the way the same period went in earlier years;
- milestones: the owner's own checkpoints, straight lines between them.

Days are counted as in ``onpace.calendar``: inclusively, so as of the first
day one day has elapsed; before the start the share is 0 and from the last day
on it is 1.

:func:`phasing_of` builds a KPI's :class:`Phasing` from its definition and its
values; :func:`share` is the share due by a day under a phasing. The
evaluation and the KPI chart both call them, so they phase a target alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from onpace import calendar as cal
from onpace.calendar import elapsed_days, total_days
from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.errors import UserError
from onpace.kpi.series import KpiSeries

PhasingKind = Literal["linear", "seasonal", "milestones"]
#: Seasonal phasing follows the same period in up to this many earlier years.
SEASONAL_YEARS = 3


@dataclass(frozen=True)
class Phasing:
    """How a flow target spreads over its period.

    ``past``: for seasonal phasing, the daily values of the same period in
    earlier years. ``milestones``: (date, share of the target due by the end
    of that date), in date order.
    """

    kind: PhasingKind = "linear"
    past: tuple[tuple[float, ...], ...] = ()
    milestones: tuple[tuple[dt.date, float], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("linear", "seasonal", "milestones"):
            raise UserError(f"phasing must be linear, seasonal or milestones, got {self.kind!r}")


LINEAR = Phasing("linear")


def linear_share(start: dt.date, end: dt.date, as_of: dt.date) -> float:
    """``elapsed_days / total_days``."""
    return elapsed_days(start, end, as_of) / total_days(start, end)


def _curve_at(values: Sequence[float], elapsed: int, total: int) -> float | None:
    """One past period's cumulative share at ``x = elapsed / total * n``, linearly interpolated.

    None when the period cannot be used: no days, or a total that is not positive.
    """
    n = len(values)
    running = [0.0]  # running[k] = sum of the first k days, summed in order so the curve is monotone
    for v in values:
        running.append(running[-1] + float(v))
    whole = running[-1]
    if n == 0 or not math.isfinite(whole) or whole <= 0:
        return None
    # x = elapsed * n / total, split into its whole and fractional parts with integers (exact)
    k, rest = divmod(elapsed * n, total)
    if rest == 0:
        return running[k] / whole
    return (running[k] + (rest / total) * float(values[k])) / whole


def seasonal_share(past: Sequence[Sequence[float]], start: dt.date, end: dt.date, as_of: dt.date) -> float | None:
    """The mean share reached by this point in the same period of earlier years.

    ``past`` holds, for each earlier period, its daily values in order; their
    lengths may differ from this period's (leap years, months of 28 to 31
    days). The current position ``f = elapsed_days / total_days`` maps to
    ``x = f * n`` in a past period of ``n`` days, where its cumulative share
    curve ``c(k) = (sum of the first k days) / total`` is interpolated
    linearly between ``floor(x)`` and ``ceil(x)``. Past periods whose total is
    not positive are skipped; the result is the mean over the rest, kept
    within 0..1 (days with negative values can push a curve outside it). None
    when no past period is usable: the caller falls back to linear.
    """
    total = total_days(start, end)
    elapsed = elapsed_days(start, end, as_of)
    shares = [s for s in (_curve_at(values, elapsed, total) for values in past) if s is not None]
    if not shares:
        return None
    acc = 0.0
    for s in shares:
        acc += s
    return min(max(acc / len(shares), 0.0), 1.0)


def milestone_problems(start: dt.date, end: dt.date, milestones: Sequence[tuple[dt.date, float]]) -> list[str]:
    """Every problem with a list of (date, share) milestones; empty when they are usable."""
    problems: list[str] = []
    previous: tuple[dt.date, float] | None = None
    for when, share in milestones:
        if not start <= when <= end:
            problems.append(f"milestone {when} is outside the period {start}..{end}")
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            problems.append(f"milestone {when} has share {share}; expected a fraction between 0 and 1")
        if when == end and share != 1.0:
            problems.append(f"milestone {when} is the last day of the period, so its share must be 1, not {share}")
        if previous is not None:
            if when <= previous[0]:
                problems.append(f"milestone {when} does not come after {previous[0]}; list milestones by date")
            if share < previous[1]:
                problems.append(f"milestone {when} has share {share}, below the {previous[1]} of {previous[0]}")
        previous = (when, share)
    return problems


def milestone_share(start: dt.date, end: dt.date, as_of: dt.date, milestones: Sequence[tuple[dt.date, float]]) -> float:
    """Piecewise-linear share in elapsed days through (0, 0), each milestone, and (total_days, 1).

    A milestone on date ``d`` with share ``s`` means "``s`` of the target by
    the end of ``d``": the point (elapsed days as of ``d``, ``s``). Raises a
    UserError listing every problem when milestones fall outside the period,
    are not in strictly increasing date order, or have shares outside 0..1 or
    decreasing.
    """
    problems = milestone_problems(start, end, milestones)
    if problems:
        raise UserError("invalid milestones: " + "; ".join(problems))
    total = total_days(start, end)
    points = [(0, 0.0)] + [(elapsed_days(start, end, when), float(share)) for when, share in milestones]
    if points[-1][0] != total:
        points.append((total, 1.0))
    elapsed = elapsed_days(start, end, as_of)
    for (x0, y0), (x1, y1) in pairwise(points):
        if elapsed <= x1:
            if elapsed == x1:
                return y1
            y = y0 + (y1 - y0) * ((elapsed - x0) / (x1 - x0))
            return min(max(y, y0), y1)
    return 1.0


def share(phasing: Phasing, start: dt.date, end: dt.date, day: dt.date) -> tuple[float, PhasingKind]:
    """The share of a flow target due by the end of ``day``, and the phasing that gave it.

    Seasonal phasing without a usable earlier period falls back to linear (the
    phasing returned is then ``linear``); invalid milestones raise a UserError.
    """
    if phasing.kind == "seasonal":
        found = seasonal_share(phasing.past, start, end, day)
        if found is not None:
            return found, "seasonal"
    elif phasing.kind == "milestones":
        return milestone_share(start, end, day, phasing.milestones), "milestones"
    return linear_share(start, end, day), "linear"


def phasing_of(
    kpi: g.Kpi, series: KpiSeries, start: dt.date, end: dt.date, grain: m.Grain, calendar: m.Calendar
) -> Phasing:
    """The phasing of the KPI's period ``start``..``end`` (of ``grain``), from its definition and its values.

    Seasonal: the daily values of the same period in up to :data:`SEASONAL_YEARS`
    earlier years, those ``series`` covers whole (a missing day counts 0).
    Milestones: each on its date, or for ``elapsed`` on the day that fraction of
    the period reaches, never its last day; two on one day count once, with the
    larger share.
    """
    if kpi.phasing == "seasonal":
        past = []
        for years in range(1, SEASONAL_YEARS + 1):
            p_start = cal.period_start(cal.shift_date(start, -years, "year"), grain, calendar)
            p_end = cal.period_end(p_start, grain)
            if not series.covers(p_start, p_end):
                continue  # a period the data covers only in part would distort the shape
            days = [p_start + dt.timedelta(days=i) for i in range((p_end - p_start).days + 1)]
            past.append(tuple(float(series.daily.get(d) or 0.0) for d in days))
        return Phasing("seasonal", past=tuple(past))
    if isinstance(kpi.phasing, g.MilestonePhasing):
        total = (end - start).days + 1
        points: dict[dt.date, float] = {}
        for milestone in kpi.phasing.milestones:
            if milestone.date is not None:
                when = milestone.date
            else:
                assert milestone.elapsed is not None
                # a fraction of the period, never its last day (whose share is 1 by definition)
                offset = min(max(1, round(milestone.elapsed * total)) - 1, total - 2)
                when = start + dt.timedelta(days=max(offset, 0))
            points[when] = max(points.get(when, 0.0), milestone.share)  # two that land on one day: one point
        return Phasing("milestones", milestones=tuple(sorted(points.items())))
    return LINEAR
