"""One KPI, one period, one as-of date: expected to date, attainment, status and forecast.

This puts the other modules together and is what the services layer calls.
Everything it decides is written down in ``docs/kpi-evaluation.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from onpace.calendar import elapsed_days, is_over, total_days
from onpace.errors import UserError
from onpace.kpi.kind import KINDS, NO_BOUNDS, Bounds, Kind
from onpace.kpi.phasing import LINEAR, Phasing
from onpace.kpi.phasing import share as phased_share
from onpace.kpi.status import status, target_attainment, target_direction
from onpace.kpi.targets import phase_target
from onpace.kpi.types import DEFAULT_BANDS, DIRECTIONS, Accumulation, Bands, Direction, Status, Target, TargetKind
from onpace.kpi.verdict import verdict

if TYPE_CHECKING:
    from onpace.kpi.forecast import Forecast

SEASONAL_FALLBACK = "seasonal phasing fell back to linear: no earlier periods with data"
NO_TARGET = "no target (no baseline)"
NOT_STARTED = "the period has not started"


@dataclass(frozen=True)
class KpiInput:
    """Everything needed to evaluate one KPI for one period as of one date.

    ``actual`` is the period-to-date value: the sum from the period start to
    ``as_of`` for a flow, the metric's value over the period so far for a
    level; None when there is no data. ``history`` is consecutive daily
    values of the metric ending on ``as_of`` (may be empty; at most the last
    730 days are used). ``interval`` is the central share of the forecast
    distribution the interval holds.
    """

    accumulation: Accumulation
    direction: Direction
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    actual: float | None
    history: tuple[float, ...]
    target: Target | None
    phasing: Phasing = LINEAR
    bands: Bands = DEFAULT_BANDS
    interval: float = 0.8
    # how the forecast reads the metric (onpace.kpi.kind): None means flow for a flow, ratio for a level;
    # ``bounds`` hold for every value of it; ``step_days``: days between two values of ``history``
    kind: Kind | None = None
    bounds: Bounds = NO_BOUNDS
    step_days: float = 1.0

    @property
    def forecast_kind(self) -> Kind:
        """``kind``, or when it is None: flow for a flow, ratio for a level."""
        if self.kind is not None:
            return self.kind
        return "flow" if self.accumulation == "flow" else "ratio"

    def __post_init__(self) -> None:
        problems = []
        if self.kind is not None and self.kind not in KINDS:
            problems.append(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.step_days < 1:
            problems.append(f"step_days must be at least 1, got {self.step_days!r}")
        if self.accumulation not in ("flow", "level"):
            problems.append(f"accumulation must be flow or level, got {self.accumulation!r}")
        if self.direction not in DIRECTIONS:
            problems.append(f"direction must be higher or lower, got {self.direction!r}")
        if self.actual is not None and not math.isfinite(self.actual):
            problems.append(f"the actual must be a finite number, got {self.actual!r}")
        if problems:
            raise UserError("invalid KPI input: " + "; ".join(problems))


@dataclass(frozen=True)
class Evaluation:
    """The outcome, ready to store and show.

    ``target``/``target_low``/``target_high`` are the full-period target;
    ``expected_to_date``/``expected_low``/``expected_high`` the same phased to
    ``as_of`` (a flow) or unchanged (a level); ``share`` is the phased share
    (None for a level). Forecast fields are None without data or history.
    """

    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    elapsed_days: int
    total_days: int
    target_kind: TargetKind | None
    target: float | None
    target_low: float | None
    target_high: float | None
    actual: float | None
    expected_to_date: float | None
    expected_low: float | None
    expected_high: float | None
    share: float | None
    attainment: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    probability: float | None
    forecast_method: str | None
    status: Status
    phasing_used: str
    notes: tuple[str, ...]
    # the status by pace to date alone (attainment against the bands); ``status`` is the verdict
    # that also weighs the forecast's probability (onpace.kpi.verdict)
    pace_status: Status | None = None
    reason: str = ""  # the verdict in one sentence (onpace.kpi.reason), set by kpi.judge


def _share(inp: KpiInput, notes: list[str]) -> tuple[float | None, str]:
    """The phased share of a flow target and the phasing actually used; (None, "none") for a level."""
    phasing = inp.phasing
    if inp.accumulation == "level":
        if phasing.kind != "linear":
            notes.append(f"{phasing.kind} phasing does not apply to a level KPI: its target holds all period")
        return None, "none"
    value, used = phased_share(phasing, inp.period_start, inp.period_end, inp.as_of)
    if used != phasing.kind:
        notes.append(SEASONAL_FALLBACK)
    return value, used


def _forecast(inp: KpiInput, actual: float, elapsed: int, remaining: int) -> Forecast:
    from onpace.kpi.forecast import forecast_by_kind  # numpy: imported when a forecast is made

    gap = max((inp.period_start - inp.as_of).days - 1, 0)
    return forecast_by_kind(
        inp.forecast_kind,
        inp.history,
        actual,
        elapsed,
        remaining,
        inp.target,
        level=inp.interval,
        gap_days=gap,
        step_days=inp.step_days,
        bounds=inp.bounds,
    )


def evaluate(inp: KpiInput) -> Evaluation:
    """Evaluate one KPI: are we on pace as of ``inp.as_of``, or was the target met once the period is over?"""
    start, end, as_of = inp.period_start, inp.period_end, inp.as_of
    total = total_days(start, end)
    elapsed = elapsed_days(start, end, as_of)
    over = is_over(end, as_of)
    notes: list[str] = []
    if as_of < start:
        notes.append(f"{NOT_STARTED}: it starts on {start}")

    share, phasing_used = _share(inp, notes)
    target, actual = inp.target, inp.actual
    expected: Target | None = None
    if target is None:
        notes.append(NO_TARGET)
    else:
        expected = phase_target(target, share) if share is not None else target
        implied = target_direction(target)
        if implied is not None and implied != inp.direction:
            notes.append(
                f"the target is {target.kind} but {inp.direction} is better: status follows the target; check the definition"
            )
    if actual is None:
        notes.append("no data for the period so far")

    attainment = None if actual is None or expected is None else target_attainment(actual, expected)
    if target is None or expected is None:
        pace = Status.no_data
    else:
        pace = status(actual, target, expected, period_over=over, bands=inp.bands)

    forecast = None if actual is None else _forecast(inp, actual, elapsed, total - elapsed)
    if forecast is not None and forecast.note:
        notes.append(f"forecast: {forecast.note}")
    kpi_status = verdict(pace, None if forecast is None else forecast.probability)

    return Evaluation(
        period_start=start,
        period_end=end,
        as_of=as_of,
        elapsed_days=elapsed,
        total_days=total,
        target_kind=None if target is None else target.kind,
        target=None if target is None else target.value,
        target_low=None if target is None else target.low,
        target_high=None if target is None else target.high,
        actual=actual,
        expected_to_date=None if expected is None else expected.value,
        expected_low=None if expected is None else expected.low,
        expected_high=None if expected is None else expected.high,
        share=share,
        attainment=attainment,
        forecast=None if forecast is None else forecast.value,
        forecast_low=None if forecast is None else forecast.low,
        forecast_high=None if forecast is None else forecast.high,
        probability=None if forecast is None else forecast.probability,
        forecast_method=None if forecast is None else forecast.method,
        status=kpi_status,
        phasing_used=phasing_used,
        notes=tuple(notes),
        pace_status=pace,
    )
