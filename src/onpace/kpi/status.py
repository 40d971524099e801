"""Attainment and status: how far along a KPI is, and what that means.

Attainment is a ratio where 1.0 means "exactly where it should be" and more is
better, whichever way the KPI points. Where a ratio would mislead (a zero or
negative expected value, nothing spent on a lower-is-better KPI) attainment
is None and the status compares the actual with the expected value directly.
"""

from __future__ import annotations

import math

from onpace.kpi.types import DEFAULT_BANDS, Bands, Direction, Status, Target


def attainment(actual: float, expected: float, direction: Direction) -> float | None:
    """How much of the expected value the actual reaches; more is better.

    - higher is better: ``actual / expected``, defined when ``expected > 0``
      (a negative actual gives a negative attainment: off track);
    - lower is better: ``expected / actual``, defined when ``actual > 0`` and
      ``expected >= 0``.

    None otherwise, notably for an expected value of 0 when higher is better,
    and for an actual of 0 when lower is better (nothing spent against a
    non-negative budget is perfect, not infinitely good): the status then
    compares directly with ``meets``.
    """
    if direction == "higher":
        return actual / expected if expected > 0 else None
    return expected / actual if actual > 0 and expected >= 0 else None


def range_attainment(actual: float, low: float, high: float) -> float | None:
    """Attainment against a range to stay within: 1.0 inside ``[low, high]``.

    Below the range it is ``actual / low`` (defined when ``low > 0``); above
    it ``high / actual`` (defined when ``high > 0``). None when the ratio is
    not defined: the status then says off track because the actual is outside.
    """
    if low <= actual <= high:
        return 1.0
    if actual < low:
        return actual / low if low > 0 else None
    return high / actual if high > 0 else None


#: Two numbers this close (relative) are equal: a rate computed by a database as 0.99949999999999
#: meets a target of 0.9995 (floating-point noise must not turn "achieved" into "missed").
TOLERANCE = 1e-9


def _at_least(actual: float, value: float) -> bool:
    return actual >= value or math.isclose(actual, value, rel_tol=TOLERANCE, abs_tol=0.0)


def meets(actual: float, target: Target) -> bool:
    """``at_least``: actual >= value; ``at_most``: actual <= value; ``between``: low <= actual <= high.

    Each comparison forgives floating-point noise (:data:`TOLERANCE`, relative).
    """
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return _at_least(actual, target.low) and _at_least(target.high, actual)
    assert target.value is not None
    return _at_least(actual, target.value) if target.kind == "at_least" else _at_least(target.value, actual)


def target_direction(target: Target) -> Direction | None:
    """The direction a target's kind implies: higher for at_least, lower for at_most, None for a range."""
    if target.kind == "at_least":
        return "higher"
    if target.kind == "at_most":
        return "lower"
    return None


def target_attainment(actual: float, expected: Target) -> float | None:
    """Attainment against an expected target: ``range_attainment`` for a range, ``attainment`` otherwise.

    The target's kind decides the direction (at_least: higher, at_most: lower).
    """
    direction = target_direction(expected)
    if direction is None:
        assert expected.low is not None and expected.high is not None
        return range_attainment(actual, expected.low, expected.high)
    assert expected.value is not None
    return attainment(actual, expected.value, direction)


def status(
    actual: float | None,
    target: Target,
    expected: Target,
    *,
    period_over: bool,
    bands: Bands = DEFAULT_BANDS,
) -> Status:
    """The status of a KPI.

    - no actual: ``no_data``;
    - the period is over: ``achieved`` when the actual meets ``target`` (the
      full target), ``missed`` otherwise;
    - during the period, by attainment against ``expected`` (the target
      phased to date): ``>= bands.on_track`` on track, ``>= bands.at_risk`` at
      risk, below off track; when attainment is not defined, on track if the
      actual meets ``expected``, off track if not.
    """
    if actual is None:
        return Status.no_data
    if period_over:
        return Status.achieved if meets(actual, target) else Status.missed
    ratio = target_attainment(actual, expected)
    if ratio is None:
        return Status.on_track if meets(actual, expected) else Status.off_track
    if _at_least(ratio, bands.on_track):
        return Status.on_track
    if _at_least(ratio, bands.at_risk):
        return Status.at_risk
    return Status.off_track
