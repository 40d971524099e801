"""Backtest the forecasts: replay every past period of each recurring KPI as of earlier days, and score them.

Each KPI instance's stored values are read once; for every period its data covers whole and
every point (25%, 50%, 75% elapsed by default) the values are cut to what was known on that
day (:func:`onpace.kpi.series.cut`) and the KPI is judged by the same function as a refresh
(:func:`onpace.kpi.judge.evaluate_instance`). The value to date of a metric that does not add
up by day (a rate, a distinct count) is not in the store for a past day: the engine computes
it over the period's days so far, as a refresh on that day would have. KPIs on metrics entered
by hand are not replayed: the store does not say when a value was known. The scores are
:func:`onpace.kpi.backtest.score`; ``docs/kpi-evaluation.md`` ("Backtest") defines them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from onpace.catalog.project import Project
from onpace.engine import Engine, Query
from onpace.errors import OnpaceError
from onpace.kpi import backtest as bt
from onpace.kpi.instances import KpiInstance, additive, is_computed, kpi_instances, timeframe_grain
from onpace.kpi.judge import evaluate_instance
from onpace.kpi.kind import kind_of
from onpace.kpi.series import KpiSeries, cut, sum_days
from onpace.kpi.types import Bands
from onpace.services import scorecard
from onpace.services.evaluate import read_kpi_series
from onpace.services.lookup import get_kpi
from onpace.services.views.backtest import BacktestReport, BacktestScore, KpiBacktest, TrackRecord
from onpace.store.db import Store

ToDate = Callable[[KpiInstance, dt.date, dt.date], float | None]


def recurring(project: Project, kpi: str | None = None) -> list[KpiInstance]:
    """The instances of the recurring KPIs (``every``), or of ``kpi`` only."""
    if kpi is not None:
        get_kpi(project, kpi)  # a 404 with the closest name
    return [
        i
        for i in kpi_instances(project)
        if i.kpi.timeframe is not None and i.kpi.timeframe.every is not None and (kpi is None or i.kpi.name == kpi)
    ]


def _series(store: Store, project: Project, instance: KpiInstance) -> KpiSeries:
    with store.session(readonly=True) as s:
        return read_kpi_series(s, project, instance)


def _engine_to_date(engine: Engine) -> ToDate:
    def to_date(instance: KpiInstance, start: dt.date, as_of: dt.date) -> float | None:
        grain = instance.kpi.timeframe.every if instance.kpi.timeframe else None
        metric = instance.kpi.metric or ""
        table = engine.query(
            Query(metrics=[metric], grain=grain, start=start, end=as_of, where=instance.filter or None)
        )
        for row in table.to_pylist():
            if row["period"] == start:
                value = row[metric]
                return None if value is None else float(value)
        return None

    return to_date


def instance_replays(
    project: Project,
    instance: KpiInstance,
    full: KpiSeries,
    marks: Sequence[float],
    to_date: ToDate | None,
    *,
    until: dt.date | None = None,
    last: int | None = None,
) -> tuple[int, list[bt.Replay]]:
    """The replays of one KPI instance over the past periods its data covers whole: (periods, replays).

    ``until``: only the periods over by then; ``last``: only the latest ones. ``to_date`` gives
    the value to date of a metric that does not add up by day; without it such a KPI is not
    replayed, nor is one on a metric entered by hand.
    """
    kpi = instance.kpi
    metric = project.metrics[kpi.metric or ""]
    grain = timeframe_grain(project, kpi)
    sums = additive(project, metric.name)
    if not is_computed(project, metric.name) or (not sums and to_date is None):
        return 0, []
    chosen = kpi.status_bands or project.config.evaluation.status_bands
    bands = Bands(on_track=chosen.on_track, at_risk=chosen.at_risk)
    periods = bt.past_periods(full.first_day, full.data_until, grain, project.calendar)
    periods = [(start, end) for start, end in periods if until is None or end <= until]
    periods = periods[-last:] if last else periods
    out: list[bt.Replay] = []
    for start, end in periods:
        final = full.periodic.get(start)
        if final is None and sums:
            final = sum_days(full.daily, start, end)
        if final is None:
            continue
        for point in marks:
            as_of = bt.replay_day(start, end, point)
            so_far = sum_days(full.daily, start, as_of) if sums else to_date(instance, start, as_of)  # type: ignore[misc]
            series = cut(full, as_of, grain, project.calendar, so_far)
            evaluation, _ = evaluate_instance(project, instance, series, as_of)
            if evaluation.period_start != start or evaluation.forecast is None:
                continue
            out.append(bt.replay(kpi.name, instance.key, evaluation, final, bands))
    return len(periods), out


def _score(s: bt.Score) -> BacktestScore:
    return BacktestScore.model_validate(s)


@contextmanager
def _to_date(project: Project, instances: Sequence[KpiInstance], engine: Engine | None) -> Iterator[ToDate | None]:
    needs = any(
        is_computed(project, i.kpi.metric or "") and not additive(project, i.kpi.metric or "") for i in instances
    )
    if not needs:
        yield None
    elif engine is not None:
        yield _engine_to_date(engine)
    else:
        with Engine(project) as own:
            yield _engine_to_date(own)


def run(
    project: Project, store: Store, *, kpi: str | None = None, count: int = 3, engine: Engine | None = None
) -> BacktestReport:
    """Replay every past period of each recurring KPI (or of ``kpi``) at ``count`` points, and score it."""
    began = time.perf_counter()
    marks = bt.points(count)
    instances = recurring(project, kpi)
    results: list[KpiBacktest] = []
    every: list[bt.Replay] = []
    with _to_date(project, instances, engine) as to_date:
        for instance in instances:
            periods, replays = instance_replays(project, instance, _series(store, project, instance), marks, to_date)
            every += replays
            results.append(
                KpiBacktest(
                    kpi=instance.kpi.name,
                    segment=instance.segment_value,
                    label=instance.kpi.label or instance.kpi.name,
                    kind=kind_of(project, instance.kpi),
                    periods=periods,
                    score=_score(bt.score(replays)),
                )
            )
    return BacktestReport(
        points=list(marks),
        interval=0.8,
        kpis=results,
        overall=_score(bt.score(every)),
        seconds=round(time.perf_counter() - began, 1),
    )


#: The track record replays each of the latest periods halfway through.
RECORD_POINT = 0.5
RECORD_PERIODS = 20
_records: OrderedDict[tuple[str, str, str, int, dt.date | None, str], TrackRecord] = OrderedDict()
_records_lock = threading.Lock()
RECORDS_KEPT = 512


def record_text(score: bt.Score | BacktestScore, interval: float = 0.8) -> str:
    """The track record in words."""
    if score.intervals == 0:
        return "no past period to check the forecast against yet"
    plural = "s" if score.intervals != 1 else ""
    return (
        f"the forecast's {interval:.0%} interval held {score.covered} of {score.intervals} past period{plural} "
        "(forecast halfway through each)"
    )


def _record(
    project: Project, store: Store, instance: KpiInstance, engine: Engine | None, until: dt.date | None
) -> TrackRecord:
    segment = instance.segment_value
    try:
        with _to_date(project, [instance], engine) as to_date:
            periods, replays = instance_replays(
                project,
                instance,
                _series(store, project, instance),
                (RECORD_POINT,),
                to_date,
                until=until,
                last=RECORD_PERIODS,
            )
    except Exception as exc:  # noqa: BLE001 - the page shows the rest; the record says why it is missing
        empty = bt.score([])
        reason = str(exc) if isinstance(exc, OnpaceError) else type(exc).__name__
        return TrackRecord(
            kpi=instance.kpi.name, segment=segment, periods=0, score=_score(empty), text=f"no track record: {reason}"
        )
    result = bt.score(replays)
    return TrackRecord(
        kpi=instance.kpi.name,
        segment=segment,
        periods=periods,
        score=_score(result),
        computed_at=dt.datetime.now(dt.UTC),
        text=record_text(result),
    )


def _definition(project: Project, instance: KpiInstance) -> str:
    """What a KPI instance's track record is computed from besides the stored values, as text."""
    targets = [target.model_dump_json() for target in instance.targets]
    return "\n".join([instance.kpi.model_dump_json(), project.calendar.model_dump_json(), *targets])


def track_record(
    project: Project,
    store: Store,
    kpi: str,
    segment: str = "",
    *,
    engine: Engine | None = None,
    as_of: dt.date | None = None,
) -> TrackRecord:
    """The KPI's own track record: each of its latest :data:`RECORD_PERIODS` past periods (those over by
    ``as_of``, when given) replayed halfway through, as :func:`run` does.

    Kept until the next evaluation is stored or the KPI's definition (its targets, timeframe,
    phasing...) or the calendar changes (the KPI page asks for it on every view).
    """
    instance = next((i for i in recurring(project, kpi) if i.key == segment), None)
    if instance is None:
        empty = bt.score([])
        return TrackRecord(kpi=kpi, segment=segment or None, periods=0, score=_score(empty), text=record_text(empty))
    newest, _ = scorecard.newest(store)
    key = (str(project.root), kpi, segment, newest, as_of, _definition(project, instance))
    with _records_lock:
        found = _records.get(key)
    if found is not None:
        return found
    record = _record(project, store, instance, engine, as_of)
    with _records_lock:
        _records[key] = record
        while len(_records) > RECORDS_KEPT:
            _records.popitem(last=False)
    return record
