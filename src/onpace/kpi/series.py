"""The values one KPI instance is judged on: its metric by day, and by period of its timeframe's grain.

Built from the rows refresh stored, (period start, value) in period order: a
metric computed from data has a series by day and one at the timeframe's
grain; a metric entered by hand has one series at its own grain, spread over
days and rolled up to the timeframe's periods here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    """

    daily: Mapping[dt.date, float | None]
    periodic: Mapping[dt.date, float | None]
    until: dt.date | None = None
    first_day: dt.date | None = field(init=False)
    last_day: dt.date | None = field(init=False)

    def __post_init__(self) -> None:
        days = sorted(d for d, v in self.daily.items() if v is not None)
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
    """Manual values by the timeframe's period: summed, last, or averaged (their ``over_time``)."""
    buckets: dict[dt.date, list[tuple[dt.date, float]]] = {}
    for day, value in sorted(values.items()):
        if value is not None:
            buckets.setdefault(cal.period_start(day, grain, calendar), []).append((day, value))
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
