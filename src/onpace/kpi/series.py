"""The values one KPI instance is judged on: its metric by day, and by period of its timeframe's grain.

Built from the rows refresh stored, (period start, value) in period order: a
metric computed from data has a series by day and one at the timeframe's
grain; a metric entered by hand has one series at its own grain, spread over
days and rolled up to the timeframe's periods here.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.errors import UserError

Rows = Sequence[tuple[dt.date, float | None]]


@dataclass(frozen=True)
class KpiSeries:
    """A KPI instance's values by day (``daily``) and by period of its timeframe's grain (``periodic``).

    ``first_day`` and ``last_day`` are the first and last days with a value (None without data).
    ``until``, set by :func:`cut`, is the day the data was cut at when it went on after it: the
    data covers that day even when it holds no value (a rate on a day without a denominator).
    The mappings are not changed once the series is built: :attr:`index` is computed from
    ``daily`` once, with the series, and kept.
    """

    daily: Mapping[dt.date, float | None]
    periodic: Mapping[dt.date, float | None]
    until: dt.date | None = None
    first_day: dt.date | None = field(init=False)
    last_day: dt.date | None = field(init=False)

    def __post_init__(self) -> None:
        days = self.index.days
        object.__setattr__(self, "first_day", days[0] if days else None)
        object.__setattr__(self, "last_day", days[-1] if days else None)

    @property
    def data_until(self) -> dt.date | None:
        """The last day the data covers: the day it was cut at (``until``), else the last day with a value."""
        if self.last_day is None:
            return None
        return self.until if self.until is not None and self.until > self.last_day else self.last_day

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """Whether the data spans the whole of [start, end] (a baseline or a past period for the shape)."""
        until = self.data_until
        return self.first_day is not None and until is not None and self.first_day <= start and end <= until

    @cached_property
    def index(self) -> DayIndex:
        """The days with a value in date order (:class:`DayIndex`): every past period of a KPI reads
        ranges of them, which a scan of ``daily`` per period would make quadratic in the days."""
        return DayIndex.of(self.daily)

    def sum_days(self, start: dt.date, end: dt.date) -> float | None:
        """:func:`sum_days` of ``daily`` from ``start`` to ``end``, the same number, found from :attr:`index`."""
        index = self.index
        if not index.in_order:  # a slice of the index would add the values in another order
            return sum_days(self.daily, start, end)
        values = index.values[bisect_left(index.days, start) : bisect_right(index.days, end)]
        return sum(values) if values else None


@dataclass(frozen=True)
class DayIndex:
    """The days of a daily series that have a value, sorted, for range look-ups in O(log days).

    ``values`` are those days' values as stored. ``in_order``: the series gives its days with a
    value in date order, so a slice of ``values`` lists a range's values in the order
    :func:`sum_days` adds them.
    """

    days: list[dt.date]
    values: list[float]
    in_order: bool

    @classmethod
    def of(cls, daily: Mapping[dt.date, float | None]) -> DayIndex:
        given = list(daily.values())
        if None in given:
            days = [d for d, v in daily.items() if v is not None]
            values = [v for v in given if v is not None]
        else:  # every day has a value: both lists without a loop in Python
            days, values = list(daily), cast("list[float]", given)
        ordered = sorted(days)
        in_order = days == ordered  # the days of a mapping are distinct: sorted means ascending
        if not in_order:
            values = [v for d in ordered if (v := daily[d]) is not None]
            days = ordered
        return cls(days, values, in_order)

    @cached_property
    def floats(self) -> list[float]:
        """``values`` as floats (the history a level's forecast reads)."""
        return list(map(float, self.values))

    @cached_property
    def dense(self) -> list[float]:
        """One float per day from the first to the last of ``days``, 0.0 for a day without a value
        (the history a flow's forecast reads)."""
        if not self.days:
            return []
        first = self.days[0]
        span = (self.days[-1] - first).days + 1
        if span == len(self.days):  # no day missing in between (the days are distinct and sorted)
            return self.floats
        dense = [0.0] * span
        for day, number in zip(self.days, self.floats, strict=True):
            dense[(day - first).days] = number
        return dense

    def history(self, until: dt.date, flow: bool, most: int) -> tuple[float, ...]:
        """The values of the consecutive days up to ``until``, at most ``most`` days, from the first day
        with a value: a flow's with 0.0 for a day without one, a level's days with a value only
        (the rule of :func:`onpace.kpi.judge.daily_history`)."""
        if not self.days or self.days[0] > until:
            return ()
        first = max(self.days[0], until - dt.timedelta(days=most - 1))
        if not flow:
            return tuple(self.floats[bisect_left(self.days, first) : bisect_right(self.days, until)])
        lo, hi = (first - self.days[0]).days, (until - self.days[0]).days + 1
        values = self.dense[lo:hi]
        return (*values, *([0.0] * (hi - lo - len(values))))

    def last_days(self, until: dt.date, count: int) -> list[dt.date]:
        """The last ``count`` days with a value up to ``until``, in date order."""
        hi = bisect_right(self.days, until)
        return self.days[max(hi - count, 0) : hi]


def cut(
    series: KpiSeries,
    day: dt.date,
    grain: m.Grain,
    calendar: m.Calendar,
    to_date: float | None = None,
) -> KpiSeries:
    """The series as data that ends on ``day`` gives it: what a KPI is judged on as of ``day``.

    The days after ``day`` are dropped; so are the periods (of ``grain``) that start after it.
    A period that ends by ``day`` keeps its value. The period holding ``day``, when it ends
    after it, has ``to_date``: its value over its days up to ``day``, which the caller
    computes (the stored value is over the whole period; None leaves the period without one).
    Data that ends by ``day`` is returned as it is.
    """
    until = series.data_until
    if until is None or until <= day:
        return series
    holding = cal.period_start(day, grain, calendar)
    periodic = {start: v for start, v in series.periodic.items() if cal.period_end(start, grain) <= day}
    if cal.period_end(holding, grain) > day and to_date is not None:
        periodic[holding] = to_date
    daily = {d: v for d, v in series.daily.items() if d <= day}
    return KpiSeries(daily, periodic, until=day)


def sum_days(daily: Mapping[dt.date, float | None], start: dt.date, end: dt.date) -> float | None:
    """The sum of the daily values from ``start`` to ``end`` (inclusive); None when none has a value."""
    values = [v for d, v in daily.items() if start <= d <= end and v is not None]
    return sum(values) if values else None


def stored_grains(metric: m.Metric, grain: m.Grain) -> tuple[m.Grain, ...]:
    """The grains of the stored series a KPI on ``metric`` with timeframe ``grain`` reads (:func:`from_stored`).

    A metric computed from data: by day and at ``grain``; a manual metric: its own grain.
    """
    if isinstance(metric, m.ManualMetric):
        return (metric.grain,)
    return (m.Grain.day, grain)


def from_stored(metric: m.Metric, grain: m.Grain, calendar: m.Calendar, rows: Mapping[m.Grain, Rows]) -> KpiSeries:
    """The series of a KPI on ``metric`` with timeframe ``grain``, from the stored rows of each of its
    :func:`stored_grains` (a grain missing from ``rows`` has none).

    A manual metric's values are spread over days (:func:`spread`) and rolled up to the
    timeframe's periods (:func:`roll_up`); a stored period onpace cannot place is a UserError.
    """
    if not isinstance(metric, m.ManualMetric):
        return KpiSeries(dict(rows.get(m.Grain.day, ())), dict(rows.get(grain, ())))
    values = dict(rows.get(metric.grain, ()))
    for period in values:
        problem = cal.out_of_range(period)
        if problem is not None:  # written by an older version, which did not check
            raise UserError(f"metric '{metric.name}' has a value stored for a period onpace cannot use: {problem}")
    return KpiSeries(spread(values, metric), roll_up(values, metric, grain, calendar))


def spread(values: Mapping[dt.date, float | None], metric: m.ManualMetric) -> dict[dt.date, float | None]:
    """Manual values by day: a period's sum spread evenly over its days; a last or average value on each."""
    if metric.grain == m.Grain.day:
        return dict(values)
    out: dict[dt.date, float | None] = {}
    for start, value in values.items():
        end = cal.period_end(start, metric.grain)
        days = (end - start).days + 1
        for i in range(days):
            out[start + dt.timedelta(days=i)] = (
                None if value is None else (value / days if metric.over_time == "sum" else value)
            )
    return out


def roll_up(
    values: Mapping[dt.date, float | None], metric: m.ManualMetric, grain: m.Grain, calendar: m.Calendar
) -> dict[dt.date, float | None]:
    """Manual values by the timeframe's period: summed, last, or averaged (their ``over_time``).

    A value whose period spans several of the timeframe's (a quarterly score, a monthly KPI) holds in
    each of them, as it holds on each of its days (:func:`spread`): a last or average value is each
    one's, a sum is shared by their days (it went only to the period holding its first day: a
    monthly KPI on a quarterly average had data in the quarter's first month alone)."""
    buckets: dict[dt.date, list[tuple[dt.date, float]]] = {}
    for day, value in sorted(values.items()):
        if value is None:
            continue
        first = cal.period_start(day, grain, calendar)
        end = cal.period_end(day, metric.grain) if metric.grain != m.Grain.day else day
        if cal.period_start(end, grain, calendar) == first:
            buckets.setdefault(first, []).append((day, value))
            continue
        days = (end - day).days + 1
        period = first
        while period <= end:
            last = min(cal.period_end(period, grain), end)
            share = ((last - max(period, day)).days + 1) / days
            buckets.setdefault(period, []).append((day, value * share if metric.over_time == "sum" else value))
            period = last + dt.timedelta(days=1)
    out: dict[dt.date, float | None] = {}
    for start, items in buckets.items():
        numbers = [v for _, v in items]
        if metric.over_time == "sum":
            out[start] = sum(numbers)
        elif metric.over_time == "last":
            out[start] = numbers[-1]
        else:
            out[start] = sum(numbers) / len(numbers)
    return out
