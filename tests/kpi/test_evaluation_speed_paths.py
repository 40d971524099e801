"""The fast paths of the evaluation give the numbers the plain computations give, to the bit.

A series answers range questions from its sorted days (:class:`onpace.kpi.series.DayIndex`),
refresh keeps the past periods it judged (:class:`onpace.kpi.history.PastMemo`), and the store
reads and writes all KPIs at once (:mod:`onpace.store.evaluations`). Each is checked here
against the rule written out plainly in this file (a scan of every day, a fresh judgement of
every period, one KPI at a time), on gappy series: days missing, days without a value, values
of both signs, days given out of order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import statistics
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from onpace.catalog import goals as g
from onpace.catalog.project import Project
from onpace.kpi.forecast import STEP_SAMPLE, step_of
from onpace.kpi.history import PastMemo, Values, past_results
from onpace.kpi.instances import KpiInstance, kpi_instances
from onpace.kpi.judge import HISTORY_DAYS, daily_history
from onpace.kpi.series import KpiSeries
from onpace.services import evaluate as ev_service
from onpace.store import Store
from onpace.store import evaluations as ev
from onpace.store import observations as obs
from onpace.store.evaluations import PERIOD_FIELDS

D = dt.date
TODAY = D(2025, 11, 20)
FIRST = D(2023, 1, 1)
LAST = D(2025, 11, 15)


# -- the rules written out plainly -------------------------------------------------------------------
def plain_sum(daily: Mapping[dt.date, float | None], start: dt.date, end: dt.date) -> float | None:
    """Every day scanned, added in the mapping's order."""
    values = [v for d, v in daily.items() if start <= d <= end and v is not None]
    return sum(values) if values else None


def plain_history(daily: Mapping[dt.date, float | None], until: dt.date, flow: bool, most: int) -> tuple[float, ...]:
    """Day by day from the first day with a value (at most ``most`` days back): 0 for a flow's day
    without a value, a level's such days skipped."""
    known = [d for d, v in daily.items() if v is not None and d <= until]
    if not known:
        return ()
    day = max(min(known), until - dt.timedelta(days=most - 1))
    out: list[float] = []
    while day <= until:
        value = daily.get(day)
        if value is not None:
            out.append(float(value))
        elif flow:
            out.append(0.0)
        day += dt.timedelta(days=1)
    return tuple(out)


def plain_step(daily: Mapping[dt.date, float | None], until: dt.date) -> float:
    days = sorted(d for d, v in daily.items() if v is not None and d <= until)[-STEP_SAMPLE:]
    if len(days) < 2:
        return 1.0 if not days else math.inf
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    return 1.0 if statistics.median(gaps) <= 1 else statistics.fmean(gaps)


def same(a: Any, b: Any) -> bool:
    """Equal to the bit and of the same type (``repr`` tells 0.0 from -0.0 and 1 from 1.0)."""
    return type(a) is type(b) and repr(a) == repr(b)


# -- gappy series ----------------------------------------------------------------------------------
def gappy(
    seed: int, first: dt.date = FIRST, last: dt.date = LAST, shuffled: bool = False
) -> dict[dt.date, float | None]:
    """Values of both signs and sizes; about a fifth of the days missing, a tenth without a value."""
    rng = random.Random(seed)
    out: dict[dt.date, float | None] = {}
    for i in range((last - first).days + 1):
        draw = rng.random()
        if draw < 0.2:
            continue
        out[first + dt.timedelta(days=i)] = (
            None if draw < 0.3 else rng.choice([1.0, -1.0]) * rng.random() * 10 ** rng.randint(-3, 9)
        )
    if shuffled:
        items = list(out.items())
        rng.shuffle(items)
        out = dict(items)
    return out


def some_days(rng: random.Random, count: int) -> list[dt.date]:
    span = (LAST - FIRST).days + 80
    return [FIRST - dt.timedelta(days=40) + dt.timedelta(days=rng.randrange(span)) for _ in range(count)]


@pytest.mark.parametrize("shuffled", [False, True])
def test_sum_days_is_the_sum_of_every_day_in_the_range(shuffled: bool) -> None:
    daily = gappy(1, shuffled=shuffled)
    series = KpiSeries(daily, {})
    rng = random.Random(2)
    days = some_days(rng, 600)
    ranges = [(a, b) for a, b in zip(days[::2], days[1::2], strict=True)]  # some end before they start
    ranges += [
        (FIRST, LAST),
        (FIRST - dt.timedelta(days=9), FIRST - dt.timedelta(days=1)),
        (LAST, LAST + dt.timedelta(days=5)),
    ]
    for start, end in ranges:
        assert same(series.sum_days(start, end), plain_sum(daily, start, end)), (start, end)


def test_sum_days_adds_integers_and_floats_as_given() -> None:
    # an int stays an int and 0.0 + -0.0 keeps its sign as the plain sum has it
    daily: dict[dt.date, float | None] = {D(2025, 1, 1): 2, D(2025, 1, 2): None, D(2025, 1, 4): 3, D(2025, 1, 5): -0.0}
    series = KpiSeries(daily, {})
    for start, end in [(D(2025, 1, 1), D(2025, 1, 4)), (D(2025, 1, 5), D(2025, 1, 5)), (D(2025, 1, 2), D(2025, 1, 3))]:
        assert same(series.sum_days(start, end), plain_sum(daily, start, end))


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("flow", [True, False])
def test_the_history_of_a_gappy_series(shuffled: bool, flow: bool) -> None:
    daily = gappy(3, shuffled=shuffled)
    series = KpiSeries(daily, {})
    rng = random.Random(4)
    untils = [*some_days(rng, 60), FIRST - dt.timedelta(days=1), FIRST, LAST, LAST + dt.timedelta(days=30)]
    for until in untils:
        for most in (HISTORY_DAYS, 1, 45):
            want = plain_history(daily, until, flow, most)
            got = series.index.history(until, flow, most)
            assert len(got) == len(want) and all(same(a, b) for a, b in zip(got, want, strict=True)), (until, most)
        assert series.index.history(until, flow, HISTORY_DAYS) == daily_history(daily, until, flow)


def test_the_history_of_a_series_without_a_day_missing() -> None:
    daily: dict[dt.date, float | None] = {FIRST + dt.timedelta(days=i): float(i % 7) for i in range(1000)}
    series = KpiSeries(daily, {})
    for until in (
        FIRST,
        FIRST + dt.timedelta(days=500),
        FIRST + dt.timedelta(days=999),
        FIRST + dt.timedelta(days=1200),
    ):
        assert series.index.history(until, True, HISTORY_DAYS) == plain_history(daily, until, True, HISTORY_DAYS)


def test_how_far_apart_the_values_are() -> None:
    monthly: dict[dt.date, float | None] = {D(2023 + i // 12, i % 12 + 1, 1): float(i) for i in range(30)}
    rng = random.Random(5)
    for daily in (gappy(6), gappy(7, shuffled=True), monthly, {}):
        series = KpiSeries(daily, {})
        for until in [*some_days(rng, 40), LAST]:
            assert same(step_of(series.index.last_days(until, STEP_SAMPLE)), plain_step(daily, until)), until


# -- where two series part ---------------------------------------------------------------------------
def values(daily: Mapping[dt.date, float | None], periodic: Mapping[dt.date, float | None] | None = None) -> Values:
    return Values.of(KpiSeries(dict(daily), dict(periodic or {})))


def test_the_first_day_two_series_differ_on() -> None:
    base = {D(2025, 1, i): float(i) for i in range(1, 29)}
    assert values(base).first_change(values(base)) is None
    longer = {**base, D(2025, 1, 29): 1.0}
    assert values(base).first_change(values(longer)) == D(2025, 1, 29)
    assert values(longer).first_change(values(base)) == D(2025, 1, 29)
    assert values(base).first_change(values({**base, D(2025, 1, 9): 9.5})) == D(2025, 1, 9)
    assert values(base).first_change(values({**base, D(2025, 1, 9): None})) == D(2025, 1, 9)
    assert values(base).first_change(values({d: v for d, v in base.items() if d != D(2025, 1, 3)})) == D(2025, 1, 3)
    # a period's value changed: from the start of that period
    assert values(base, {D(2025, 1, 1): 1.0}).first_change(values(base, {D(2025, 1, 1): 2.0})) == D(2025, 1, 1)


def test_values_that_are_equal_but_not_the_same_count_as_changed() -> None:
    base: dict[dt.date, float | None] = {D(2025, 1, i): float(i) for i in range(1, 11)}
    base[D(2025, 1, 5)] = 0.0
    signed = {**base, D(2025, 1, 5): -0.0}
    whole = {**base, D(2025, 1, 7): 7}
    nan = {**base, D(2025, 1, 2): float("nan")}
    for other in (signed, whole):
        found = values(base).first_change(values(other))
        assert found is not None and found <= min(d for d in base if not same(base[d], other[d]))
    assert values(nan).first_change(values({**nan, D(2025, 1, 2): float("nan")})) == D(2025, 1, 2)  # another NaN
    assert values(nan).first_change(values(nan)) is None  # the same one
    shuffled = dict(reversed(list(base.items())))
    assert values(base).first_change(values(shuffled)) == dt.date.min  # out of order: all of it


# -- past periods kept --------------------------------------------------------------------------------
def instance(project: Project, name: str) -> KpiInstance:
    return next(i for i in kpi_instances(project) if i.kpi.name == name)


def quarterly(daily: Mapping[dt.date, float | None]) -> dict[dt.date, float | None]:
    """A count distinct's quarters, not the sum of their days."""
    out: dict[dt.date, float | None] = {}
    for day, value in sorted(daily.items()):
        if value is not None:
            start = D(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            out[start] = (out.get(start) or 0.0) + abs(value) * 0.5
    return out


def positive(seed: int) -> dict[dt.date, float | None]:
    return {d: None if v is None else abs(v) % 1000 for d, v in gappy(seed).items()}


NAMES = ["q_revenue", "growth", "q_buyers", "cheap_tickets", "by_region"]


def judged(project: Project, kpi: KpiInstance, series: KpiSeries, memo: PastMemo | None = None) -> list[str]:
    return [repr(pair) for pair in past_results(project, kpi, series, TODAY, memo)]


@pytest.mark.parametrize("name", NAMES)
def test_past_periods_kept_are_those_judged_afresh(load: Callable[[str], Project], name: str) -> None:
    project = load("today")
    kpi = instance(project, name)
    memo = PastMemo()
    daily = positive(11)
    first = KpiSeries(daily, quarterly(daily))
    assert judged(project, kpi, first, memo) == judged(project, kpi, first)

    changed = dict(sorted({**daily, D(2024, 5, 10): 123.25, LAST + dt.timedelta(days=1): 5.0}.items()))
    second = KpiSeries(changed, quarterly(changed))
    before = past_results(project, kpi, first, TODAY, memo)
    after = past_results(project, kpi, second, TODAY, memo)
    assert [repr(p) for p in after] == judged(project, kpi, second)
    # the periods over before the change (its quarter's value changed from 2024-04-01) are the very
    # results kept; the others are judged again
    kept = {id(e) for e, _ in before}
    assert [id(e) in kept for e, _ in after] == [e.period_end < D(2024, 4, 1) for e, _ in after]
    assert any(id(e) in kept for e, _ in after)

    signed = dict(sorted({**changed, D(2023, 6, 1): -0.0, D(2023, 6, 2): 0}.items()))  # other bits and types
    third = KpiSeries(signed, quarterly(signed))
    assert judged(project, kpi, third, memo) == judged(project, kpi, third)


def test_past_periods_are_judged_again_when_the_rules_change(load: Callable[[str], Project]) -> None:
    project = load("today")
    kpi = instance(project, "q_revenue")
    memo = PastMemo()
    daily = positive(12)
    series = KpiSeries(daily, {})
    before = past_results(project, kpi, series, TODAY, memo)
    higher = replace(kpi, targets=(g.Target.model_validate({"at_least": 1.0}),))
    after = past_results(project, higher, series, TODAY, memo)
    assert [repr(p) for p in after] == judged(project, higher, series)
    assert not {id(e) for e, _ in before} & {id(e) for e, _ in after}
    assert [e.target for e, _ in after] == [1.0] * len(after)


# -- the store: all KPIs at once -------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{(tmp_path / 'store.db').as_posix()}")


def write(store: Store, metric: str, grain: str, rows: Mapping[dt.date, float | None], segment: str = "") -> None:
    with store.session() as s:
        series_id = obs.get_or_create_series(s, metric, grain, segment)
        obs.write_observations(s, series_id, list(rows.items()), replace_from=D(1990, 1, 1))


def test_reading_many_series_reads_each_as_read_series_does(store: Store) -> None:
    write(store, "revenue", "day", positive(21))
    write(store, "revenue", "day", positive(22), "region = 'SOUTH'")
    write(store, "revenue", "quarter", quarterly(positive(21)))
    keys = [
        ("revenue", "day", ""),
        ("revenue", "quarter", ""),
        ("revenue", "day", "region = 'SOUTH'"),
        ("nothing", "day", ""),
    ]
    with store.session(readonly=True) as s:
        many = ev.read_series_many(s, [*keys, keys[0]])
        for key in keys:
            one = obs.read_series(s, *key)
            assert len(many[key]) == len(one) and all(same(a, b) for a, b in zip(many[key], one, strict=True))
    assert many[("nothing", "day", "")] == []


def stored_periods(store: Store) -> list[tuple[Any, ...]]:
    with store.session(readonly=True) as s:
        return [
            (p.kpi, p.segment, p.period_start, p.run_id, *(getattr(p, name) for name in PERIOD_FIELDS))
            for p in reversed(ev.read_periods(s))
        ]


def period(start: dt.date, status: str = "achieved", actual: float = 1.0, reason: str = "done") -> dict[str, Any]:
    end = start + dt.timedelta(days=27)
    return {
        "period_start": start,
        "period_end": end,
        "as_of": end,
        "status": status,
        "target": 1.0,
        "target_low": None,
        "target_high": None,
        "actual": actual,
        "attainment": actual,
        "details": {"reason": reason, "period": start.isoformat()},
    }


def test_writing_the_periods_of_many_kpis_is_writing_each(tmp_path: Path) -> None:
    one, many = (Store.open(f"sqlite:///{(tmp_path / f'{n}.db').as_posix()}") for n in ("one", "many"))
    months = [D(2025, m, 1) for m in range(1, 7)]
    first = {
        ("a", ""): [period(m) for m in months],
        ("a", "NORTH"): [period(m, "missed", 0.5) for m in months[:3]],
        ("b", ""): [period(m) for m in months[:2]],
    }
    then = {
        ("a", ""): [period(m) for m in months[:5]] + [period(months[5], "missed", 0.25)],  # one changed
        ("a", "NORTH"): [period(m, "missed", 0.5) for m in months[1:3]],  # one gone
        ("b", ""): [period(m, reason="other words") for m in months[:2]] + [period(months[2])],  # changed, new
    }
    for run, periods in ((None, first), (None, then)):
        with one.session() as s:
            counts = [ev.write_periods(s, kpi, segment, rows, run) for (kpi, segment), rows in periods.items()]
        with many.session() as s:
            assert ev.write_periods_many(s, periods, run) == sum(counts)
        assert stored_periods(many) == stored_periods(one)
    assert sum(counts) == 4


def test_an_evaluation_after_new_values_stores_what_a_fresh_one_does(
    load: Callable[[str], Project], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load("today")
    warm, fresh = (Store.open(f"sqlite:///{(tmp_path / f'{n}.db').as_posix()}") for n in ("warm", "fresh"))
    daily = positive(31)
    monkeypatch.setattr(ev_service, "PAST", PastMemo())
    write(warm, "revenue", "day", daily)
    write(warm, "revenue", "quarter", quarterly(daily))
    ev_service.evaluate_and_store(project, warm, today=TODAY)

    later = {**daily, D(2024, 8, 3): 0.5, D(2025, 2, 14): None, LAST + dt.timedelta(days=1): 7.0}
    for store in (warm, fresh):
        write(store, "revenue", "day", later)
        write(store, "revenue", "quarter", quarterly(later))
    ev_service.evaluate_and_store(project, warm, today=TODAY)  # the memo holds the first evaluation's periods
    monkeypatch.setattr(ev_service, "PAST", PastMemo())
    ev_service.evaluate_and_store(project, fresh, today=TODAY)

    def fields(store: Store) -> list[tuple[Any, ...]]:
        return [row[:3] + row[4:] for row in stored_periods(store)]  # not run_id

    assert fields(warm) == fields(fresh)
    assert len(fields(fresh)) > 10
    with warm.session(readonly=True) as s:
        warm_now = [(e.kpi, e.segment, e.status, e.actual, e.forecast, e.details) for e in ev.latest_evaluations(s)]
    with fresh.session(readonly=True) as s:
        fresh_now = [(e.kpi, e.segment, e.status, e.actual, e.forecast, e.details) for e in ev.latest_evaluations(s)]
    assert warm_now == fresh_now
