"""Backtest of the forecasts: replay past periods as of earlier dates and score what was foretold.

A **replay** judges a KPI as of a day inside a past period (a quarter 25%, 50% and 75% through),
with the data known on that day only, and keeps the final actual of the period to compare.
The scores, over many replays:

- **coverage**: the share of replays whose final actual fell inside the forecast's interval
  ``[forecast_low, forecast_high]`` (an 80% interval should hold about 80% of them);
- **Brier score** of the probability of meeting the target: the mean of
  ``(probability - met)^2``, where ``met`` is 1 when the final actual met the target, else 0
  (0 is perfect; always saying 50% scores 0.25);
- the **baseline**'s Brier score: the pace-only rule, which says 1 when the KPI is on track
  to date, 0.5 at risk and 0 off track (the status by attainment alone);
- **point error**: the mean absolute percentage error of the forecast,
  ``|forecast - final| / |final|``, over the replays whose final actual is not 0.

A replay whose final value was already known (nothing more was due before the period
ended, such as a monthly rate whose one value comes on the first day) is not a forecast:
it is counted apart and scored in nothing.

Everything here is pure: :mod:`onpace.services.backtest` reads the values and calls it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.status import meets, status
from onpace.kpi.types import DEFAULT_BANDS, Bands, Status, Target

#: What the pace-only baseline says for each status during the period.
PACE_PROBABILITY = {Status.on_track: 1.0, Status.at_risk: 0.5, Status.off_track: 0.0}


def points(count: int) -> tuple[float, ...]:
    """``count`` points spread evenly through a period: 3 gives 25%, 50% and 75% elapsed."""
    if count < 1:
        raise ValueError(f"expected at least one point, got {count}")
    return tuple(k / (count + 1) for k in range(1, count + 1))


def replay_day(start: dt.date, end: dt.date, point: float) -> dt.date:
    """The day ``point`` (0..1) of the way through [start, end]: ``round(point * days)`` days elapsed,
    at least 1 and at most all but the last (a replay always has days behind and ahead)."""
    total = cal.total_days(start, end)
    elapsed = min(max(round(point * total), 1), max(total - 1, 1))
    return start + dt.timedelta(days=elapsed - 1)


def past_periods(
    first_day: dt.date | None, last_day: dt.date | None, grain: m.Grain, calendar: m.Calendar
) -> list[tuple[dt.date, dt.date]]:
    """The periods of ``grain`` the data covers whole, from its first to its last day, oldest first."""
    if first_day is None or last_day is None:
        return []
    out = []
    for start in cal.periods(first_day, last_day, grain, calendar):
        end = cal.period_end(start, grain)
        if first_day <= start and end <= last_day:
            out.append((start, end))
    return out


def _target(e: Evaluation) -> Target | None:
    if e.target_kind is None:
        return None
    return Target(e.target_kind, value=e.target, low=e.target_low, high=e.target_high)


def _expected(e: Evaluation) -> Target | None:
    if e.target_kind is None:
        return None
    if e.target_kind == "between":
        if e.expected_low is None or e.expected_high is None:
            return None
        return Target.between(e.expected_low, e.expected_high)
    return None if e.expected_to_date is None else Target(e.target_kind, value=e.expected_to_date)


def pace_probability(e: Evaluation, bands: Bands = DEFAULT_BANDS) -> float | None:
    """The pace-only baseline: 1 on track to date, 0.5 at risk, 0 off track (attainment alone)."""
    target, expected = _target(e), _expected(e)
    if e.actual is None or target is None or expected is None:
        return None
    pace = status(e.actual, target, expected, period_over=False, bands=bands)
    return PACE_PROBABILITY.get(pace)


@dataclass(frozen=True)
class Replay:
    """One KPI judged as of a day inside a past period, and how that period ended."""

    kpi: str
    segment: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    final: float
    forecast: float | None
    low: float | None
    high: float | None
    probability: float | None
    pace: float | None
    met: bool | None
    known: bool = False  # nothing more was due: the final value was known, not forecast

    @property
    def covered(self) -> bool | None:
        """Whether the final actual fell inside the interval; None without one, or when it was known."""
        if self.low is None or self.high is None or self.known:
            return None
        return self.low <= self.final <= self.high


def replay(kpi: str, segment: str, e: Evaluation, final: float, bands: Bands = DEFAULT_BANDS) -> Replay:
    """A replay from the evaluation made as of a past day and the period's final actual."""
    target = _target(e)
    return Replay(
        kpi=kpi,
        segment=segment,
        period_start=e.period_start,
        period_end=e.period_end,
        as_of=e.as_of,
        final=final,
        forecast=e.forecast,
        low=e.forecast_low,
        high=e.forecast_high,
        probability=e.probability,
        pace=pace_probability(e, bands),
        met=None if target is None else meets(final, target),
        known=e.forecast_method == "actual",
    )


@dataclass(frozen=True)
class Score:
    """How a set of replays scored (see the module's doc); None where no replay counts."""

    replays: int
    known: int
    intervals: int
    covered: int
    coverage: float | None
    judged: int
    brier: float | None
    baseline_brier: float | None
    point_error: float | None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def score(replays: Iterable[Replay]) -> Score:
    """Coverage of the intervals, Brier scores of the probability and of the pace baseline, point error.

    A replay whose final value was already known (nothing more was due before the period
    ended: the forecast is the actual) is counted in ``known`` and scored in nothing else. The
    Brier scores count the replays that have both a probability and a pace (a target and an
    actual to date), so that the two are compared on the same replays.
    """
    every = list(replays)
    items = [r for r in every if not r.known]
    held = [r.covered for r in items if r.covered is not None]
    judged = [
        (r.probability, r.pace, float(r.met))
        for r in items
        if r.met is not None and r.probability is not None and r.pace is not None
    ]
    errors = [abs(r.forecast - r.final) / abs(r.final) for r in items if r.forecast is not None and r.final != 0]
    return Score(
        replays=len(every),
        known=len(every) - len(items),
        intervals=len(held),
        covered=sum(held),
        coverage=_mean([float(h) for h in held]),
        judged=len(judged),
        brier=_mean([(p - met) ** 2 for p, _, met in judged]),
        baseline_brier=_mean([(pace - met) ** 2 for _, pace, met in judged]),
        point_error=_mean(errors),
    )
