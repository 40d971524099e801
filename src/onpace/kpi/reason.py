"""The one sentence that says why a KPI has its verdict, with its numbers written for people.

- during the period: the pace ("83% of the seasonal pace", or for a level KPI "1.97% vs
  target 2.30%"), then the forecast ("forecast 7.4M EUR vs 9.3M EUR target, 1% chance");
- once it is over: the final actual against the target ("ended at 99.924% vs target 99.950%");
- without data or target: why.

Numbers use the metric's format, compact (7.4M EUR, 83%). Two numbers that differ are never
written alike: a rate that missed its target by a hair gets the decimals that show it
(99.92% vs 99.95%, not 99.9% vs 100.0%), and a share just under 1 is never "100%".
"""

from __future__ import annotations

import math

from onpace.catalog import models as m
from onpace.catalog.display import compact_value, format_value
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.types import Status

PACE_WORDS = {"linear": "linear", "seasonal": "seasonal", "milestones": "milestone"}
MORE_DECIMALS = 6


def percent(share: float, decimals: int = 0) -> str:
    """A share as a percent with ``decimals`` (0.83 -> "83%"), and the more it takes not to read 100%
    below 1 (0.9997 -> "99.97%"): every interface writes attainments with it."""
    for more in range(decimals, max(decimals, MORE_DECIMALS) + 1):
        text = f"{share * 100:.{more}f}%"
        if share >= 1 or float(text[:-1]) < 100:
            return text
    return f"{share * 100:.{max(decimals, MORE_DECIMALS)}f}%"


def likelihood(probability: float) -> str:
    """A probability as a percent: "37%", "<1%" (above 0, below 0.5%), ">99%" (from 99.5%, below 1):
    never 0% or 100% unless it is."""
    if 0 < probability < 0.005:
        return "<1%"
    if 0.995 <= probability < 1:
        return ">99%"
    return f"{probability * 100:.0f}%"


def chance(probability: float) -> str:
    """A probability in words: "1% chance", "<1% chance" (above 0, below 0.5%), ">99% chance"."""
    return f"{likelihood(probability)} chance"


def number(value: float, fmt: m.Format | None) -> str:
    """A value in the metric's format, compact: 7.4M EUR, 1.97%, 129 min."""
    return compact_value(value, fmt)


def apart(first: float, second: float, fmt: m.Format | None) -> tuple[str, str]:
    """An actual and a target in the metric's format, with as many more decimals as it takes for the
    two to read differently when they differ, and for a target in percent to read exactly (99.924%
    and 99.950%, not 99.9% and 100.0%)."""
    a, b = number(first, fmt), number(second, fmt)
    if first == second or not (math.isfinite(first) and math.isfinite(second)):
        return a, b
    base = fmt or m.Format()
    start = base.decimals if base.decimals is not None else (1 if base.kind == "percent" else 2)

    def clear(a: str, b: str, decimals: int) -> bool:
        scaled = second * 100
        exact = base.kind != "percent" or abs(round(scaled, decimals) - scaled) <= 1e-9 * max(1.0, abs(scaled))
        return a != b and exact

    if clear(a, b, start):
        return a, b
    for decimals in range(start + 1, start + MORE_DECIMALS + 1):
        finer = base.model_copy(update={"decimals": decimals})
        a, b = format_value(first, finer), format_value(second, finer)
        if clear(a, b, decimals):
            break
    return a, b


def target_text(e: Evaluation, fmt: m.Format | None, actual: float | None = None) -> str:
    """The full-period target in words: "9.3M EUR", "at most 2.00%", "45.0%–55.0%"."""
    if e.target_kind == "between":
        assert e.target_low is not None and e.target_high is not None
        return f"{number(e.target_low, fmt)}–{number(e.target_high, fmt)}"
    assert e.target is not None
    value = apart(actual, e.target, fmt)[1] if actual is not None else number(e.target, fmt)
    return f"at most {value}" if e.target_kind == "at_most" else value


def _ended(e: Evaluation, fmt: m.Format | None) -> str:
    assert e.actual is not None
    if e.target_kind == "between":
        return f"ended at {number(e.actual, fmt)} vs target {target_text(e, fmt)}"
    assert e.target is not None
    actual, target = apart(e.actual, e.target, fmt)
    return f"ended at {actual} vs target {'at most ' if e.target_kind == 'at_most' else ''}{target}"


def _pace(e: Evaluation, fmt: m.Format | None) -> str:
    assert e.actual is not None
    if e.share is None:  # a level: the value so far against the target itself
        return f"{number(e.actual, fmt)} vs target {target_text(e, fmt, e.actual)}"
    if e.attainment is not None:
        return f"{percent(e.attainment)} of the {PACE_WORDS.get(e.phasing_used, e.phasing_used)} pace"
    if e.expected_low is not None and e.expected_high is not None:
        expected = f"{number(e.expected_low, fmt)}–{number(e.expected_high, fmt)}"
    else:
        expected = number(e.expected_to_date or 0.0, fmt)
    if e.target_kind == "at_most":
        return f"{number(e.actual, fmt)} so far vs at most {expected} by now"
    return f"{number(e.actual, fmt)} so far vs {expected} expected by now"


def _outlook(e: Evaluation, fmt: m.Format | None) -> str:
    if e.forecast is None:
        return ""
    text = f"; forecast {number(e.forecast, fmt)}"
    if e.share is not None and e.target_kind is not None:
        text += f" vs {target_text(e, fmt)} target"
    if e.probability is not None:
        text += f", {chance(e.probability)}"
    return text


def reason(
    e: Evaluation, fmt: m.Format | None = None, unavailable: str | None = None, *, started: bool | None = None
) -> str:
    """Why ``e`` has its status, in one sentence (see the module's docstring).

    ``unavailable``: why a change target has no number (``KpiTarget.unavailable``). ``started``: whether
    the period has begun by the day the KPI is judged on (default: by its as-of date); a period under way
    whose data stops before it has no data yet, it has not "not started".
    """
    if e.actual is None:
        if e.as_of < e.period_start:
            if started:
                return f"no data for the period yet: the data ends on {e.as_of.isoformat()}"
            return f"the period starts on {e.period_start.isoformat()}"
        return "no data for the period yet"
    if e.target_kind is None:
        return f"no target ({unavailable})" if unavailable else "no target"
    if e.status in (Status.achieved, Status.missed):
        return _ended(e, fmt)
    return _pace(e, fmt) + _outlook(e, fmt)
