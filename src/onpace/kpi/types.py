"""The small values KPI math works on: direction, status, bands and targets.

A ``TargetSpec`` is what a definition says ("at least 1,000,000", "+20% vs the
same period last year"); a ``Target`` is the resolved number(s) one period is
judged against. Both validate themselves, so a bad definition fails where it is
built, with a message a person can act on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from onpace.errors import UserError

Direction = Literal["higher", "lower"]
Accumulation = Literal["flow", "level"]
TargetKind = Literal["at_least", "at_most", "between"]
SpecKind = Literal["at_least", "at_most", "between", "change"]
Baseline = Literal["same_period_last_year", "previous_period"]
BASELINES: tuple[Baseline, ...] = ("same_period_last_year", "previous_period")

DIRECTIONS: tuple[Direction, ...] = ("higher", "lower")


class Status(StrEnum):
    """Where a KPI stands: on pace during its period, achieved or missed after it."""

    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    achieved = "achieved"
    missed = "missed"
    no_data = "no_data"


#: The statuses worst first: the order of counts and filters wherever statuses are listed.
STATUS_ORDER: tuple[str, ...] = ("off_track", "missed", "at_risk", "on_track", "achieved", "no_data")
#: A status as people read it (lower-case it inside a sentence).
STATUS_LABELS: dict[str, str] = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "achieved": "Achieved",
    "missed": "Missed",
    "no_data": "No data",
}


def _finite(name: str, value: float | None) -> list[str]:
    if value is not None and not math.isfinite(value):
        return [f"{name} must be a finite number, got {value!r}"]
    return []


def _raise(what: str, problems: list[str]) -> None:
    if problems:
        raise UserError(f"invalid {what}: " + "; ".join(problems))


@dataclass(frozen=True)
class Bands:
    """Attainment thresholds: ``>= on_track`` is on track, ``>= at_risk`` at risk, below is off track."""

    on_track: float = 1.0
    at_risk: float = 0.9

    def __post_init__(self) -> None:
        problems = _finite("on_track", self.on_track) + _finite("at_risk", self.at_risk)
        if not problems and not 0 < self.at_risk <= self.on_track:
            problems.append(f"expected 0 < at_risk <= on_track, got at_risk={self.at_risk}, on_track={self.on_track}")
        _raise("status bands", problems)


DEFAULT_BANDS = Bands()


def _absolute_problems(kind: str, value: float | None, low: float | None, high: float | None) -> list[str]:
    problems = _finite("value", value) + _finite("low", low) + _finite("high", high)
    if kind == "between":
        if low is None or high is None:
            problems.append("a 'between' target needs both low and high")
        elif low > high:
            problems.append(f"low ({low}) is above high ({high})")
        if value is not None:
            problems.append("a 'between' target takes low and high, not value")
    elif kind in ("at_least", "at_most"):
        if value is None:
            problems.append(f"an '{kind}' target needs a value")
        if low is not None or high is not None:
            problems.append(f"an '{kind}' target takes a value, not low/high")
    else:
        problems.append(f"unknown target kind {kind!r} (expected at_least, at_most or between)")
    return problems


@dataclass(frozen=True)
class Target:
    """The number(s) one period is judged against.

    ``at_least`` and ``at_most`` use ``value``; ``between`` uses ``low`` and
    ``high`` (both inclusive).
    """

    kind: TargetKind
    value: float | None = None
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        _raise("target", _absolute_problems(self.kind, self.value, self.low, self.high))
        for name in ("value", "low", "high"):  # 1000 and 1000.0 are the same target: store floats
            number = getattr(self, name)
            if number is not None:
                object.__setattr__(self, name, float(number))

    @classmethod
    def at_least(cls, value: float) -> Target:
        return cls("at_least", value=value)

    @classmethod
    def at_most(cls, value: float) -> Target:
        return cls("at_most", value=value)

    @classmethod
    def between(cls, low: float, high: float) -> Target:
        return cls("between", low=low, high=high)


@dataclass(frozen=True)
class TargetSpec:
    """A target as a definition states it: absolute, a range, or a change vs a baseline.

    ``change`` is a fraction (0.2 = +20%, -0.05 = -5%) applied to the value of
    the baseline period named by ``vs``: the period before, the same period a
    year earlier, or (a date) the fixed period of the KPI's timeframe that holds
    that date, the same for every period judged.
    """

    kind: SpecKind
    value: float | None = None
    low: float | None = None
    high: float | None = None
    change: float | None = None
    vs: Baseline | dt.date | None = None

    def __post_init__(self) -> None:
        if self.kind == "change":
            problems = _finite("change", self.change)
            if self.change is None:
                problems.append("a 'change' target needs change (a fraction: 0.2 = +20%)")
            fixed = isinstance(self.vs, dt.date) and not isinstance(self.vs, dt.datetime)
            if not fixed and self.vs not in BASELINES:
                problems.append(f"vs must be same_period_last_year, previous_period or a date, got {self.vs!r}")
            if (self.value, self.low, self.high) != (None, None, None):
                problems.append("a 'change' target takes change and vs, not value/low/high")
        else:
            problems = _absolute_problems(self.kind, self.value, self.low, self.high)
            if self.change is not None or self.vs is not None:
                problems.append(f"change and vs belong to a 'change' target, not to '{self.kind}'")
        _raise("target", problems)

    @classmethod
    def absolute(cls, target: Target) -> TargetSpec:
        return cls(target.kind, value=target.value, low=target.low, high=target.high)

    @classmethod
    def relative(cls, change: float, vs: Baseline | dt.date) -> TargetSpec:
        return cls("change", change=change, vs=vs)
