"""A KPI's past: every period that is over, judged as of its last day with the data up to it.

A recurring KPI (``timeframe: quarter``) has one past period per quarter its data covers
whole, from the first to the one before the current period (the current one too once it is
over); a KPI with one period (``timeframe: 2025-Q3``) has that period once it is over.
A period the data covers only in part (it starts before the first day with data) is left
out: its actual would be too small. Each is judged by :func:`onpace.kpi.judge.evaluate_period`
as of its own last day, so its status is achieved or missed, from its final actual against
the target in effect then (a change target against its own baseline period).

Refresh judges every past period after every refresh; most are as they were. A
:class:`PastMemo` keeps each instance's past periods as judged, with the values and
the :class:`onpace.kpi.judge.Rules` they were judged from: a period is judged again
unless the rules are equal and no value up to its last day changed (it reads none
after: it is judged as of that day), the one thing that decides its result.
"""

from __future__ import annotations

import datetime as dt
import marshal
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from onpace import calendar as cal
from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.instances import KpiInstance
from onpace.kpi.judge import JudgedPeriod, Rules, judge_period, judged_period, period_of, rules_of
from onpace.kpi.resolve import KpiTarget
from onpace.kpi.series import KpiSeries
from onpace.kpi.types import Status

ENDED = (Status.achieved, Status.missed)


def ended_periods(project: Project, kpi: g.Kpi, series: KpiSeries, today: dt.date) -> list[JudgedPeriod]:
    """The KPI's periods that are over as of ``today`` (the as-of date of its current evaluation) and
    that its data covers whole, oldest first, each judged as of its last day."""
    first, until = series.first_day, series.data_until
    if first is None or until is None:
        return []
    current = judged_period(project, kpi, series, today)
    assert kpi.timeframe is not None
    if kpi.timeframe.period is not None:
        start, end, grain = period_of(project, kpi, current.wall)
        spans = [(start, end)]
    else:
        grain = current.grain
        spans = [(start, cal.period_end(start, grain)) for start in cal.periods(first, until, grain, project.calendar)]
    return [
        JudgedPeriod(start, end, grain, end, end)
        for start, end in spans
        if end <= current.as_of and series.covers(start, end)
    ]


def past_results(
    project: Project, instance: KpiInstance, series: KpiSeries, today: dt.date, memo: PastMemo | None = None
) -> list[tuple[Evaluation, KpiTarget]]:
    """Every ended period of the KPI instance (:func:`ended_periods`) judged, oldest first; a period with
    no target (a change target without a baseline) is left out: it was neither achieved nor missed.

    ``memo``: the periods it judged before and that nothing they depend on changed since are
    taken from it, the same results (:class:`PastMemo`); it is given the new ones.
    """
    rules = rules_of(project, instance)
    values = Values.of(series)
    kept = memo.kept(rules, values) if memo is not None else _Kept()
    judged: dict[JudgedPeriod, tuple[Evaluation, KpiTarget]] = {}
    for period in ended_periods(project, instance.kpi, series, today):
        found = kept.periods.get(period) if kept.changed is None or period.end < kept.changed else None
        judged[period] = found or judge_period(project, rules, series, period)
    if memo is not None:
        memo.keep(_Kept(rules, values, judged))
    return [(evaluation, target) for evaluation, target in judged.values() if evaluation.status in ENDED]


@dataclass(frozen=True)
class Values:
    """The values of a series (by day, and by period) as it gives them, to compare with the next ones
    exactly; ``ordered``: both in date order (a store's are), which the comparison needs."""

    days: tuple[dt.date, ...]
    daily: tuple[float | None, ...]
    periods: tuple[dt.date, ...]
    periodic: tuple[float | None, ...]
    ordered: bool

    @classmethod
    def of(cls, series: KpiSeries) -> Values:
        days, periods = tuple(series.daily), tuple(series.periodic)
        ordered = list(days) == sorted(days) and list(periods) == sorted(periods)  # distinct keys: ascending
        return cls(days, tuple(series.daily.values()), periods, tuple(series.periodic.values()), ordered)

    def first_change(self, newer: Values) -> dt.date | None:
        """The first day on which ``newer`` differs from these values, by day or by period (None when
        equal): every value before that day is the same in both, to the bit and the type. Values
        out of date order count as changed from the first day."""
        if not (self.ordered and newer.ordered):
            return dt.date.min
        changes = [
            _first_change(self.days, self.daily, newer.days, newer.daily),
            _first_change(self.periods, self.periodic, newer.periods, newer.periodic),
        ]
        found = [day for day in changes if day is not None]
        return min(found) if found else None


def _first_change(
    days: tuple[dt.date, ...],
    values: tuple[float | None, ...],
    new_days: tuple[dt.date, ...],
    new_values: tuple[float | None, ...],
) -> dt.date | None:
    """The first day at which two series, their days in date order, differ (a day added or dropped, a
    value changed); None when equal.

    The longest equal beginning is found by halving, with ``==``; then checked as ``marshal``
    writes the values (version 2: each on its own, the bits of a float and its type), so that
    0.0 and -0.0, or 1 and 1.0, differ. A beginning that differs only in such bits, or values
    ``marshal`` cannot write, count as changed from the first day.
    """
    everything = dt.date.min
    shorter = min(len(days), len(new_days))
    if days[:shorter] == new_days[:shorter] and values[:shorter] == new_values[:shorter]:
        equal = shorter
    else:  # the longest equal beginning, by halving: equal up to ``low``, not up to ``high``
        low, high = 0, shorter
        while high - low > 1:
            middle = (low + high) // 2
            if days[:middle] == new_days[:middle] and values[:middle] == new_values[:middle]:
                low = middle
            else:
                high = middle
        equal = low
    try:
        if _bits(values[:equal]) != _bits(new_values[:equal]):
            return everything
    except ValueError:
        return everything
    if equal == len(days) == len(new_days):
        return None
    return min(d[equal] for d in (days, new_days) if equal < len(d))


def _bits(values: tuple[float | None, ...]) -> bytes:
    return marshal.dumps(values, 2)


@dataclass(frozen=True)
class _Kept:
    """One instance's past periods as judged (``periods``), from ``values`` under ``rules``; ``changed``,
    set by :meth:`PastMemo.kept`, is the first day the values changed on since (None: none did)."""

    rules: Rules | None = None
    values: Values | None = None
    periods: Mapping[JudgedPeriod, tuple[Evaluation, KpiTarget]] = field(default_factory=dict)
    changed: dt.date | None = dt.date.min


class PastMemo:
    """The past periods of each KPI instance as last judged (:func:`past_results`), kept in memory.

    A period is taken from it only when the instance's :class:`onpace.kpi.judge.Rules` are equal
    and its values are the same up to the period's last day: all that a past period's result
    depends on. Safe from several threads; holds at most ``size`` instances (the oldest go).
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], _Kept] = {}

    def kept(self, rules: Rules, values: Values) -> _Kept:
        """What it holds for the instance of ``rules``, with the first day ``values`` differ on; nothing
        when its rules changed."""
        with self._lock:
            kept = self._kept.get(_key(rules))
        if kept is None or kept.rules != rules or kept.values is None:
            return _Kept()
        return _Kept(kept.rules, kept.values, kept.periods, kept.values.first_change(values))

    def keep(self, kept: _Kept) -> None:
        assert kept.rules is not None
        key = _key(kept.rules)
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = kept
            while len(self._kept) > self.size:
                del self._kept[next(iter(self._kept))]


def _key(rules: Rules) -> tuple[str, str]:
    return rules.instance.kpi.name, rules.instance.key
