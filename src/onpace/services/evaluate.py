"""Evaluate every KPI from the values refresh stored, and record the evaluations and the past periods.

The numbers come from the store (the KPI's metric by day, and at the
timeframe's grain), never from a live query, so ``onpace status`` and the web
app agree with what the last refresh saw. Every rule (as-of date, period,
actual, target and baseline, phasing, forecast, verdict, history) is in
:mod:`onpace.kpi` (:func:`onpace.kpi.judge.evaluate_instance`,
:func:`onpace.kpi.history.past_results`), which lint and the KPI chart call too.

**As of a date** (``as_of``): every KPI is judged as it would have been on that
date with the data up to it: its series is cut there (:func:`onpace.kpi.series.cut`)
and the date is "today". The store holds the value of a period over all its
days; the value to date of the period holding the date, for a KPI whose actual
is not a sum of days (a rate, a distinct count), is computed by the engine over
the days up to the date, the only live query here.

**Values entered by hand** for a whole period count up to the evaluation date only
(the series is cut there): a KPI is achieved or missed once its period is over,
not as soon as the value for the whole period is entered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.errors import OnpaceError, StoreError, UserError
from onpace.kpi.evaluate import Evaluation
from onpace.kpi.history import PastMemo, past_results
from onpace.kpi.instances import KpiInstance, accumulation, additive, kpi_instances, timeframe_grain
from onpace.kpi.judge import evaluate_instance, period_of
from onpace.kpi.resolve import KpiTarget
from onpace.kpi.series import KpiSeries, Rows, cut, from_stored, stored_grains, sum_days
from onpace.kpi.types import Status
from onpace.services.failures import Failure
from onpace.store import evaluations as ev
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import KpiEvaluation
from onpace.store.plain import plain_object

if TYPE_CHECKING:
    from onpace.engine import Engine

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The past periods judged by this process, reused while their values and definitions stay the same:
#: each refresh judges every past period of every KPI again, and few of them changed.
PAST = PastMemo()


@dataclass(frozen=True)
class KpiResult:
    instance: KpiInstance
    evaluation: Evaluation
    target: KpiTarget | None = None
    data_until: dt.date | None = None  # the last day with data of the series it was judged on
    past: tuple[tuple[Evaluation, KpiTarget], ...] = ()  # its ended periods, oldest first (with history)
    series: KpiSeries | None = None  # the values it was judged on (cut at the as-of date)


def parse_as_of(text: str | None, name: str = "as_of") -> dt.date | None:
    """An as-of date given as text (``YYYY-MM-DD``), checked: None for none; a UserError (HTTP 400) that
    names ``name`` for a text that is not a date or a date outside the supported range."""
    if text is None or text == "":
        return None
    try:
        day = dt.date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        day = None
    if day is None:
        raise UserError(f"{name}: expected a date written YYYY-MM-DD, such as 2026-11-18")
    problem = cal.out_of_range(day)
    if problem is not None:
        raise UserError(f"{name}: {problem}")
    return day


def evaluate_all(
    project: Project,
    store: Store,
    today: dt.date | None = None,
    errors: dict[Failure, str] | None = None,
    *,
    as_of: dt.date | None = None,
    engine: Engine | None = None,
    history: bool = False,
    kpis: Collection[str] | None = None,
) -> list[KpiResult]:
    """Evaluate every KPI instance of the project from the store's values.

    ``as_of``: judge every KPI exactly as it would have been on that date, with the data up to
    it (its series cut there, today = ``as_of``); the engine (``engine``, else one opened here)
    computes the value to date of the periods it cuts, for KPIs whose actual is not a sum of
    days. ``history``: also judge every ended period of each KPI (:class:`KpiResult` ``past``).
    ``kpis``: only the KPIs of these names.

    A KPI that cannot be evaluated (a definition the math refuses, a stored value it cannot
    use) is left out and its error put in ``errors`` (KPI name -> message) when given, else
    raised; the others are evaluated. With ``errors``, even an unexpected error of one KPI
    (such as a stored date the calendar cannot place) only leaves that KPI out; a store that
    fails still stops them all.
    """
    day = as_of or today or dt.date.today()
    instances = [i for i in kpi_instances(project) if kpis is None or i.kpi.name in kpis]
    wanted: dict[int, dict[m.Grain, ev.SeriesKey]] = {}
    for index, instance in enumerate(instances):
        try:
            wanted[index] = kpi_series_keys(project, instance)
        except Exception as exc:  # noqa: BLE001 - one KPI left out (raised again without errors)
            _failed(errors, instance, exc)
    with store.session(readonly=True) as s:  # all at once: a series two KPIs read is read once
        read = ev.read_series_many(s, [key for keys in wanted.values() for key in keys.values()])
    stored: dict[int, dict[m.Grain, Rows]] = {
        index: {g: read[key] for g, key in keys.items()} for index, keys in wanted.items()
    }
    if as_of is None and project.config.evaluation.as_of != "latest_data" and _runs_past(stored.values(), day):
        # rows dated after today (orders booked ahead, a plan loaded as data) have not happened yet: judged
        # as of today, as `--as-of today` judges (a rate or a distinct count read its whole period)
        as_of = day
    to_date: dict[int, float | None] = {}
    if as_of is not None:
        to_date = _values_to_date(project, instances, stored, as_of, engine, errors)
    results = []
    for index, instance in enumerate(instances):
        if index not in stored or (as_of is not None and index not in to_date):
            continue  # failed above
        try:
            series = series_on(project, instance, stored[index], day, cut_at=as_of, to_date=to_date.get(index))
            evaluation, target = evaluate_instance(project, instance, series, day)
            past = tuple(past_results(project, instance, series, day, PAST)) if history else ()
            results.append(KpiResult(instance, evaluation, target, series.data_until, past, series))
        except Exception as exc:  # noqa: BLE001 - one KPI left out (raised again without errors)
            _failed(errors, instance, exc)
    return results


def _runs_past(stored: Iterable[Mapping[m.Grain, Rows]], day: dt.date) -> bool:
    """Whether a stored day series holds a value after ``day``: its last value (the rows are in date order)."""
    return any(_last_valued(rows.get(m.Grain.day, ())) > day for rows in stored)


def _last_valued(rows: Rows) -> dt.date:
    """The date of the last row of ``rows`` (in date order) that holds a value; ``date.min`` when none does."""
    return next((d for d, v in reversed(rows) if v is not None), dt.date.min)


def evaluated_as_of(
    project: Project, store: Store, instance: KpiInstance, as_of: dt.date
) -> tuple[list[KpiEvaluation], KpiSeries]:
    """One KPI instance as of ``as_of`` (:func:`evaluate_all`): its evaluation as an unsaved row of
    ``kpi_evaluations`` (none when it cannot be evaluated) and the values it was judged on."""
    for result in evaluate_all(project, store, as_of=as_of, errors={}, kpis=[instance.kpi.name]):
        if result.instance.key == instance.key and result.series is not None:
            return [record(result)], result.series
    return [], KpiSeries({}, {})


def _failed(errors: dict[Failure, str] | None, instance: KpiInstance, exc: Exception) -> None:
    if errors is None or isinstance(exc, (StoreError, SQLAlchemyError)):
        raise exc
    reason = str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
    errors[Failure.kpi(instance.kpi.name, instance.segment_value)] = reason


def series_on(
    project: Project,
    instance: KpiInstance,
    rows: Mapping[m.Grain, Rows],
    day: dt.date,
    *,
    cut_at: dt.date | None = None,
    to_date: float | None = None,
) -> KpiSeries:
    """The series one KPI instance is judged on, as of ``day``.

    ``cut_at`` (an as-of date): the series cut there (:func:`onpace.kpi.series.cut`), the
    period holding it taking ``to_date``, its value over its days up to it. A metric entered
    by hand is cut at ``day`` in any case: a value for a whole period is known, but the days
    after ``day`` have not happened (the period it covers is not over).
    """
    metric = project.metrics[instance.kpi.metric or ""]
    grain = timeframe_grain(project, instance.kpi)
    series = from_stored(metric, grain, project.calendar, rows)
    if isinstance(metric, m.ManualMetric):
        known = {g: [(p, v) for p, v in values if p <= day] for g, values in rows.items()}
        holding = cal.period_start(day, grain, project.calendar)
        so_far = from_stored(metric, grain, project.calendar, known).periodic.get(holding)
        return cut(series, day, grain, project.calendar, so_far)
    if cut_at is None:
        return series
    return cut(series, cut_at, grain, project.calendar, to_date)


def _needs_engine(
    project: Project, instance: KpiInstance, rows: Mapping[m.Grain, Rows], day: dt.date
) -> dt.date | None:
    """The start of the period holding ``day`` whose value to date a KPI instance needs from the engine
    as of ``day``: one it judges (its timeframe's period holding ``day``), that ``day`` cuts, and that
    the store only holds over all its days; None when it needs none."""
    kpi = instance.kpi
    metric = project.metrics[kpi.metric or ""]
    if isinstance(metric, m.ManualMetric):
        return None
    start, end, _ = period_of(project, kpi, day)
    if not start <= day < end:
        return None
    days = [d for d, v in rows.get(m.Grain.day, ()) if v is not None]
    if not days or max(days) <= day:
        return None  # the data ends by the date: the stored value is to date already
    if accumulation(project, kpi) == "flow" and additive(project, kpi.metric or ""):
        return None  # the actual is the sum of its days, which the cut keeps
    return start


def _values_to_date(
    project: Project,
    instances: list[KpiInstance],
    stored: Mapping[int, Mapping[m.Grain, Rows]],
    day: dt.date,
    engine: Engine | None,
    errors: dict[Failure, str] | None,
) -> dict[int, float | None]:
    """The value to date (as of ``day``) of the period holding ``day``, by instance index: the sum of its
    stored days up to ``day`` when the metric adds up by day; else the engine's value of the period over
    its days up to ``day`` when the instance judges that period (:func:`_needs_engine`), or None. An
    instance whose query fails is left out (its error in ``errors``)."""
    from onpace.engine import Query

    out: dict[int, float | None] = {}
    own = None
    queried: dict[tuple[str, m.Grain, str, dt.date], float | None] = {}
    try:
        for index, rows in stored.items():
            instance = instances[index]
            try:
                start = _needs_engine(project, instance, rows, day)
                grain = timeframe_grain(project, instance.kpi)
                if start is None:  # the sum of its days to date when its actual adds up by day, else none
                    holding = cal.period_start(day, grain, project.calendar)
                    sums = additive(project, instance.kpi.metric or "")
                    out[index] = sum_days(dict(rows.get(m.Grain.day, ())), holding, day) if sums else None
                    continue
                key = (instance.kpi.metric or "", grain, instance.filter, start)
                if key not in queried:
                    if engine is None:
                        from onpace.engine import Engine

                        engine = own = Engine(project)
                    query = Query(metrics=[key[0]], grain=grain, start=start, end=day, where=instance.filter or None)
                    table = engine.query(query)
                    periods = table.column("period").to_pylist()
                    values = table.column(key[0]).to_pylist()
                    found = [v for p, v in zip(periods, values, strict=True) if p == start]
                    queried[key] = None if not found or found[0] is None else float(found[0])
                out[index] = queried[key]
            except Exception as exc:  # noqa: BLE001 - one KPI left out (raised again without errors)
                _failed(errors, instance, exc)
    finally:
        if own is not None:
            own.close()
    return out


def evaluate_and_store(
    project: Project,
    store: Store,
    *,
    run_id: int | None = None,
    today: dt.date | None = None,
    errors: dict[Failure, str] | None = None,
    as_of: dt.date | None = None,
    kpis: Collection[str] | None = None,
) -> int:
    """Evaluate every KPI and record the evaluations and the KPIs' past periods (one transaction);
    return how many evaluations.

    Every ended period of every KPI is judged again from the stored values, and only the
    periods whose verdict changed are written (:func:`onpace.store.evaluations.write_periods`):
    a late row, a full refresh, or a change of definitions or targets shows in the history.
    ``as_of``: evaluate as of that date (:func:`evaluate_all`); the past periods stored are then
    those over by it. With ``errors``, a KPI that cannot be evaluated is reported there and the
    others are stored. ``kpis``: only the KPIs of these names (the others keep their evaluations).
    """
    results = evaluate_all(project, store, today, errors, as_of=as_of, history=True, kpis=kpis)
    periods = {
        (r.instance.kpi.name, r.instance.key): [
            period_row(e, t, timeframe_grain(project, r.instance.kpi), project) for e, t in r.past
        ]
        for r in results
    }
    with store.session() as s:
        ev.add_evaluations(s, [columns(result, run_id) for result in results])
        ev.write_periods_many(s, periods, run_id)
    return len(results)


def record(result: KpiResult) -> KpiEvaluation:
    """The row of ``kpi_evaluations`` for ``result``, not stored: the scorecard as of a date renders
    such rows as it renders stored ones."""
    values = columns(result)
    values["details"] = plain_object(values["details"], f"the details of the evaluation of {values['kpi']!r}")
    return KpiEvaluation(**values, evaluated_at=utcnow())


def columns(result: KpiResult, run_id: int | None = None) -> dict[str, Any]:
    """The columns of the row of ``kpi_evaluations`` for ``result``."""
    e = result.evaluation
    return dict(
        kpi=result.instance.kpi.name,
        segment=result.instance.key,
        run_id=run_id,
        as_of=e.as_of,
        period_start=e.period_start,
        period_end=e.period_end,
        target=e.target,
        target_low=e.target_low,
        target_high=e.target_high,
        actual=e.actual,
        expected_to_date=e.expected_to_date,
        attainment=e.attainment,
        forecast=e.forecast,
        forecast_low=e.forecast_low,
        forecast_high=e.forecast_high,
        probability=e.probability,
        status=e.status.value,
        details=details(e, result.target, result.data_until),
    )


def period_row(e: Evaluation, target: KpiTarget, grain: m.Grain, project: Project) -> dict[str, Any]:
    """A past period as :func:`onpace.store.evaluations.write_periods` takes it."""
    return {
        "period_start": e.period_start,
        "period_end": e.period_end,
        "as_of": e.as_of,
        "status": e.status.value,
        "target": e.target,
        "target_low": e.target_low,
        "target_high": e.target_high,
        "actual": e.actual,
        "attainment": e.attainment,
        "details": {
            "reason": e.reason,
            "target_basis": target.basis,
            "target_kind": e.target_kind,
            "period": cal.period_label(e.period_start, grain, project.calendar),
        },
    }


def details(e: Evaluation, target: KpiTarget | None = None, data_until: dt.date | None = None) -> dict[str, Any]:
    return {
        # a change target in words, and why it has no number (shown by the scorecard, the API and the web app)
        "target_basis": target.basis if target is not None else None,
        "target_unavailable": target.unavailable if target is not None else None,
        "target_kind": e.target_kind,
        "expected_low": e.expected_low,
        "expected_high": e.expected_high,
        "share": e.share,
        "elapsed_days": e.elapsed_days,
        "total_days": e.total_days,
        "forecast_method": e.forecast_method,
        "phasing": e.phasing_used,
        "notes": list(e.notes),
        # the verdict in one sentence, the status by pace alone, and the last day with data
        "reason": e.reason,
        "pace_status": e.pace_status.value if e.pace_status is not None else None,
        "data_until": data_until.isoformat() if data_until is not None else None,
    }


def kpi_series_keys(project: Project, instance: KpiInstance) -> dict[m.Grain, ev.SeriesKey]:
    """The stored series one KPI instance reads, by grain (:func:`onpace.kpi.series.stored_grains`):
    (metric, grain, segment)."""
    metric = project.metrics[instance.kpi.metric or ""]
    grain = timeframe_grain(project, instance.kpi)
    return {g: (metric.name, g.value, instance.filter) for g in stored_grains(metric, grain)}


def unrefreshed_metric(project: Project, store: Store, kpi: str) -> str | None:
    """The metric of KPI ``kpi`` when the store lacks a series its evaluation reads (a KPI made on a
    metric, grain or segment no refresh has computed yet), else None; None for a metric entered by hand
    (its series are its entries)."""
    from onpace.kpi.instances import is_computed
    from onpace.store import observations as obs

    found = project.kpis.get(kpi)
    if found is None or not found.metric or not is_computed(project, found.metric):
        return None
    with store.session(readonly=True) as s:
        for instance in kpi_instances(project):
            if instance.kpi.name != kpi:
                continue
            if any(obs.get_series(s, *key) is None for key in kpi_series_keys(project, instance).values()):
                return found.metric
    return None


def read_kpi_rows(s: Session, project: Project, instance: KpiInstance) -> dict[m.Grain, Rows]:
    """The stored rows one KPI instance reads, by grain (:func:`kpi_series_keys`)."""
    wanted = kpi_series_keys(project, instance)
    read = ev.read_series_many(s, wanted.values())
    return {g: read[key] for g, key in wanted.items()}


def read_kpi_series(s: Session, project: Project, instance: KpiInstance) -> KpiSeries:
    """The stored values one KPI instance reads (:func:`onpace.kpi.series.from_stored`)."""
    metric = project.metrics[instance.kpi.metric or ""]
    grain = timeframe_grain(project, instance.kpi)
    return from_stored(metric, grain, project.calendar, read_kpi_rows(s, project, instance))


STATUS_ORDER = [s.value for s in Status]
