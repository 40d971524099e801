"""From what a definition says to the number a period is judged against.

Relative targets ("+20% vs the same quarter last year") need the baseline's
value, which the caller computes; target schedules ("1M from 1998, 1.2M from
1999") pick the entry in effect when the period starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

from onpace.errors import UserError
from onpace.kpi.types import Direction, Target, TargetSpec

T = TypeVar("T")


def resolve_target(spec: TargetSpec, direction: Direction, baseline: float | None) -> Target | None:
    """The target for one period, or None when a relative target has no baseline.

    Absolute kinds (``at_least``, ``at_most``, ``between``) are returned as they
    are and ``baseline`` is ignored. A ``change`` target moves the baseline by
    ``change`` times the baseline's size::

        value = baseline + |baseline| * change

    which is ``baseline * (1 + change)`` for a positive baseline, and keeps
    "+20%" meaning "up by a fifth of the baseline's size" when the baseline is
    negative (a loss of -100 and +20% gives -80, not -120). The kind follows
    the direction: ``at_least`` when higher is better, ``at_most`` when lower
    is. A zero baseline gives a target of 0 whatever the change: no relative
    change of nothing is something, so the target is "at least/at most 0".
    """
    if spec.kind != "change":
        return Target(spec.kind, value=spec.value, low=spec.low, high=spec.high)
    if baseline is None:
        return None
    assert spec.change is not None  # TargetSpec validates it
    value = baseline + abs(baseline) * spec.change
    return Target.at_least(value) if direction == "higher" else Target.at_most(value)


def phase_target(target: Target, share: float) -> Target:
    """The part of a flow target due by now: every bound times ``share`` (0..1)."""
    if target.kind == "between":
        assert target.low is not None and target.high is not None
        return Target.between(target.low * share, target.high * share)
    assert target.value is not None
    return Target(target.kind, value=target.value * share)


def effective_entry(entries: Sequence[tuple[dt.date | None, T]], period_start: dt.date) -> T | None:
    """The entry of a dated schedule in effect for the period starting on ``period_start``.

    That is the entry with the latest effective date on or before
    ``period_start``; an entry dated None applies from the beginning of time.
    None when every entry starts later. Two entries with the same date are
    ambiguous and raise a UserError.
    """
    seen: set[dt.date | None] = set()
    for when, _ in entries:
        if when in seen:
            label = "no effective date" if when is None else f"the effective date {when}"
            raise UserError(f"two target schedule entries have {label}; give each entry its own date")
        seen.add(when)
    chosen: tuple[dt.date | None, T] | None = None
    for when, entry in entries:
        if when is not None and when > period_start:
            continue
        if chosen is None or (when is not None and (chosen[0] is None or when > chosen[0])):
            chosen = (when, entry)
    return None if chosen is None else chosen[1]
