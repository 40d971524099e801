"""Refresh: compute the series a project needs and write them to the store, then evaluate the KPIs.

- Series of the same grain and segment are computed by one engine query (the
  engine shares scans and joins between metrics of the same datasets); when
  that query fails, each metric is computed alone so that one bad metric does
  not stop the others.
- Incremental by default: a series that has data is recomputed from the start
  of the period holding its last data minus ``refresh.lookback_days`` (late
  rows); the days of a metric and segment from the earliest start of any of
  its grains, so the days and months count what the quarter read (``_prepare``);
  ``full`` recomputes everything.
- The series of one query group are written in one transaction, each series in a
  savepoint: a series that fails is rolled back alone, and a refresh that is killed
  leaves the values of the last good refresh in place.
- A full refresh that did not finish (killed, failed, or partial) is carried on
  by the next refresh: the series it did not write are recomputed in full, even
  when the next one is incremental, so no series keeps a history the last full
  refresh meant to replace. A full refresh limited to some metrics (``--metric``)
  neither starts nor ends that duty for the others.
- Each series keeps a fingerprint of the definitions it was computed from (the
  metric's plan as :func:`onpace.engine.plan.describe` writes it, the datasets,
  the calendar, the sources, the segment): when they changed, the series is
  recomputed in full, never only its recent periods.
- Metrics are queried together only when they share their time dimensions, so
  that a dataset whose data ends earlier is not zero-filled up to another's end.
- Segments that are each one value of one dimension (``region = 'EU'``, as a KPI
  with ``segment_by`` makes them), of the same grain, time dimensions and start,
  are computed by one query grouped by that dimension (``region in ('EU', 'US')``)
  and split by value, and their days with data by one grouped query too. The
  time spine gives every value seen every period, valued as the segment's own
  query values it; a value the grouped query does not show (no row read), a
  semi-additive metric (its snapshot day is chosen over all the rows read, unless
  the dimension is one of its ``per``; by day, with ``per``, when the metric reads
  another dataset too: its levels run to the last snapshot of the rows read), and a
  failed grouped query are left to the segment's own query. Any other segment
  (``a = 'x' and b = 'y'``) has its own.
- A segment's series covers the segment's own days with data (from its first to
  its last day with a row, :meth:`onpace.engine.Engine.data_days`): the periods the
  time spine zero-fills before or after them, because other segments have data
  there, are not stored. A segment without any row keeps the metric's range (it
  sold nothing). So a KPI is judged as of the last day of its own series.
- One series' failure, whatever it is (a query error, a stored value the
  calendar cannot place, a bug), fails that series only: its reason is recorded
  in the run's errors, it keeps its last good values, and the others go on. KPI
  evaluation is isolated the same way, per KPI.
- The run is recorded (start, end, status, errors per metric); a run left
  'running' by a killed process, or by this process when the store could not
  record its end (a full disk), is marked 'interrupted' by the next one.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy.exc import SQLAlchemyError

from onpace import calendar as cal
from onpace.calendar import in_range
from onpace.catalog import models as m
from onpace.catalog.expr import Compare, Literal, Name, parse
from onpace.catalog.lineage import scans, time_dimensions
from onpace.catalog.project import Project
from onpace.engine import Engine, Query
from onpace.engine import days as day_sharing
from onpace.engine.extent import in_filter
from onpace.engine.plan import Conversion, Leaf, Planner, Semi, later_days, walk
from onpace.errors import OnpaceError, QueryError, StoreError
from onpace.services.failures import Failure, as_text
from onpace.services.needs import SeriesSpec, series_needed
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import RunMode, RunStatus

Progress = Callable[[int, int, str], None]
GroupKey = tuple[m.Grain, str, frozenset[str]]  # grain, segment, time dimensions: the series of one query
Days = dict[tuple[str, str], tuple[dt.date | None, dt.date | None]]  # (metric, segment) -> days with data


@dataclass
class RefreshResult:
    run_id: int
    mode: str
    status: str
    series: int = 0
    rows: int = 0
    failures: dict[Failure, str] = field(default_factory=dict)  # what failed -> why
    evaluated: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> dict[str, str]:
        """The failures as people read them and the run records them: ``revenue (month)`` -> why."""
        return as_text(self.failures)


def actor() -> str:
    """Who runs a command from the shell: $ONPACE_USER, else the login name."""
    return os.environ.get("ONPACE_USER") or getpass.getuser()


def refresh(
    project: Project,
    store: Store,
    *,
    full: bool = False,
    metrics: Sequence[str] | None = None,
    requested_by: str | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
    evaluate: bool = True,
    on_start: Callable[[int], None] | None = None,
    as_of: dt.date | None = None,
) -> RefreshResult:
    """Compute and store what the project needs; return what happened (never raises for one metric).

    ``as_of``: the values are computed as usual (all of the data), and the KPIs evaluated as of
    that date with the data up to it (:func:`onpace.services.evaluate.evaluate_all`): the stored
    evaluations, and the past periods kept, are those of that date.
    """
    from onpace.services.evaluate import evaluate_and_store

    started = dt.datetime.now(dt.UTC)
    if metrics:
        unknown = [name for name in metrics if name not in project.metrics]
        if unknown:
            from onpace.errors import did_you_mean

            raise QueryError(f"unknown metric '{unknown[0]}'", suggestion=did_you_mean(unknown[0], project.metrics))
    mode: RunMode = "full" if full else "incremental"
    with store.session() as s:
        runs.mark_interrupted(s)
        resume = _unfinished_full(s)
        run_id = runs.start_run(s, mode, requested_by or actor(), os.getpid(), scope=list(metrics) if metrics else None)
    result = RefreshResult(run_id=run_id, mode=mode, status="running")
    if on_start is not None:
        on_start(run_id)
    specs = series_needed(project, list(metrics) if metrics else None)
    own_engine = engine is None
    engine = engine or Engine(project)
    if not own_engine:
        engine.clear_cache()  # a long-lived engine (the scheduler's, the web app's): the data may have grown
    try:
        groups: dict[GroupKey, list[SeriesSpec]] = defaultdict(list)
        prints: dict[SeriesSpec, str] = {}
        shared = shared_definitions(project)
        for spec in specs:
            try:
                prints[spec] = fingerprint(project, spec, shared)
                groups[(spec.grain, spec.segment, time_dimensions(project, spec.metric))].append(spec)
            except Exception as exc:  # noqa: BLE001 - a metric the engine cannot plan: the others go on
                _series_failed(result, spec.metric, spec.grain, spec.segment, exc)
        # what to recompute of each group, and from when (None: all of it); backs: each series' last
        # day with data minus the lookback, from which the days it reads are read again
        backs: list[dt.date] = []
        early: set[SeriesSpec] = set()  # recomputed from before their first stored period
        prepared = _prepare(project, store, groups, full, result, resume, prints, backs, early)
        batch_of = _shared_batches(project, engine, prepared)
        computed: dict[GroupKey, dict[str, pa.Table]] = {}  # the groups the shared queries computed
        tried: set[_Batch] = set()
        done = 0
        days: Days = {}  # (metric, segment) -> data days
        # sums and counts are read by day once and rolled up to every grain (engine/days.py): a full
        # refresh reads them all again, an incremental one the days from the lookback on
        fresh_from = min(backs, default=None)
        with day_sharing.sharing("fill" if full else "reuse", project.config.refresh.lookback_days, fresh_from):
            for key, members in groups.items():
                grain, segment, _ = key
                label = f"{grain.value}{' · ' + segment if segment else ''}"
                if progress:
                    progress(done, len(specs), label)
                ready, start = prepared[key]
                if ready:
                    batch = batch_of.get(key)
                    if batch is not None and batch not in tried:
                        tried.add(batch)
                        computed.update(_query_shared(project, engine, batch, prepared, days))
                    tables = computed.pop(key, {})
                    missing = [spec.metric for spec in ready if spec.metric not in tables]
                    if missing:  # not in a batch, or its shared query could not tell
                        tables = {**tables, **_query_group(engine, grain, segment, missing, start, result)}
                    result.rows += _write_group(
                        project,
                        store,
                        engine,
                        grain,
                        segment,
                        ready,
                        tables,
                        start,
                        run_id,
                        result,
                        prints,
                        days,
                        early,
                    )
                done += len(members)
                if progress:
                    progress(done, len(specs), label)
        result.series = len(specs)
        if evaluate:
            result.evaluated = evaluate_and_store(project, store, run_id=run_id, errors=result.failures, as_of=as_of)
    except BaseException as exc:
        # an error outside one metric's work (the store went away, Ctrl-C): record it, then re-raise
        result.status = "failed"
        reason = str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
        try:
            with store.session() as s:
                runs.finish_run(s, run_id, "failed", len(specs), len(result.failures), {**result.errors, "*": reason})
        except Exception:  # noqa: BLE001 - the store cannot record it: the next refresh marks the run
            runs.release(run_id)
        raise
    finally:
        if own_engine:
            engine.close()
    failed_metrics = {failure.name for failure in result.failures if failure.kind == "metric"}
    total_metrics = {spec.metric for spec in specs}
    status: RunStatus = (
        "succeeded"
        if not result.failures
        else ("failed" if failed_metrics and failed_metrics >= total_metrics else "partial")
    )
    result.status = status
    try:
        with store.session() as s:
            runs.finish_run(s, run_id, status, len(total_metrics), len(failed_metrics), result.errors)
    finally:
        runs.release(run_id)  # when the store could not record the end, the next refresh marks the run
    result.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return result


def _unfinished_full(s: Any) -> int | None:
    """The id of the last full refresh of every metric when it did not succeed, else None."""
    for run in runs.list_runs(s, limit=200):  # newest first
        if run.mode == "full" and run.scope is None and run.status != "running":
            return run.id if run.status in ("interrupted", "failed", "partial") else None
    return None


def shared_definitions(project: Project) -> str:
    """What every series depends on: the datasets, the calendar and the sources (as JSON)."""
    return json.dumps(
        {
            "datasets": {name: ds.model_dump(mode="json") for name, ds in sorted(project.datasets.items())},
            "calendar": project.calendar.model_dump(mode="json"),
            "sources": {name: src.url for name, src in sorted(project.sources.items())},
        },
        sort_keys=True,
    )


def fingerprint(project: Project, spec: SeriesSpec, shared: str | None = None) -> str:
    """A hash of everything the series' values are computed from (see the module's docstring).

    ``shared``: :func:`shared_definitions` of the project, computed once for many series.
    """
    from onpace.engine.plan import describe

    root = Planner(project).resolve(spec.metric)
    parts = {
        "plan": describe(root),
        "shared": shared if shared is not None else shared_definitions(project),
        "grain": spec.grain.value,
        "segment": spec.segment,
    }
    if spec.segment:  # series stored before they kept to the segment's own days are recomputed in full
        parts["days"] = "segment"
    if spec.grain == m.Grain.day and any(isinstance(n, Semi) and n.per and n.carry for n in walk([root])):
        parts["levels"] = "as of each day"  # stored before a day carried each entity's last snapshot: in full
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@dataclass
class _Stored:
    """The store's :class:`onpace.store.observations.SeriesState` of every series, read once when
    first asked: an incremental refresh asks it of every series."""

    store: Store
    states: dict[tuple[str, str, str], obs.SeriesState] | None = None

    def get(self, metric: str, grain: str, segment: str) -> obs.SeriesState:
        if self.states is None:
            with self.store.session(readonly=True) as s:
                self.states = obs.series_states(s)
        return self.states.get((metric, grain, segment), obs.NO_STATE)


def _restart(
    stored_series: _Stored,
    spec: SeriesSpec,
    project: Project,
    resume: int | None,
    definition: str,
    backs: list[dt.date] | None = None,
) -> dt.date | None:
    """First period to recompute for an incremental refresh, or None for the whole history.

    ``backs`` receives the day the lookback reaches back to (the series' last day with data
    minus ``lookback_days``): the days kept in memory from there on are read again.
    """
    own = stored_series.get(spec.metric, spec.grain.value, spec.segment)
    until, last_run, stored = own.data_until, own.last_run_id, own.definition_hash
    last_day = None
    if spec.grain != m.Grain.day:
        # a longer grain's series knows the start of its last period only; the same values by day
        # know the last day itself, from which the lookback counts
        daily = stored_series.get(spec.metric, m.Grain.day.value, spec.segment)
        last_day = daily.data_until if daily.definition_hash is not None else None
    if until is None or stored != definition or not in_range(until):
        # nothing yet, computed from other definitions, or its last data is a date onpace cannot
        # use (stored by an older version): recompute it all, which replaces every stored period
        return None
    if resume is not None and (last_run is None or last_run < resume):
        return None  # the unfinished full refresh did not reach this series: finish its work
    last = until  # without a better bound: as if the last period's first day were its last day with data
    if last_day is not None and in_range(last_day) and until <= last_day <= cal.period_end(until, spec.grain):
        last = last_day  # the last day with data, within the last period this series holds
    later = later_days(Planner(project).resolve(spec.metric))
    if later is None:
        return None  # a conversion without a window: a new row can count for any earlier period
    # a conversion's periods change as long as their window is open: back by it besides the lookback
    back = last - dt.timedelta(days=project.config.refresh.lookback_days + later)
    if backs is not None:
        backs.append(back)
    return cal.period_start(back, spec.grain, project.calendar)


def _prepare(
    project: Project,
    store: Store,
    groups: dict[GroupKey, list[SeriesSpec]],
    full: bool,
    result: RefreshResult,
    resume: int | None,
    prints: dict[SeriesSpec, str],
    backs: list[dt.date] | None = None,
    early: set[SeriesSpec] | None = None,
) -> dict[GroupKey, tuple[list[SeriesSpec], dt.date | None]]:
    """Each group's series whose stored state is usable, and the first period to recompute for them.

    ``early`` receives the series recomputed from before their first stored period (the lookback
    reaches back before the data began): the periods before the data are not theirs to store.

    The days of a metric and segment are recomputed from the earliest day any of its grains (or a
    query group it shares with other metrics) reads again: a quarter recomputed from its first day
    reads a late row dated before the lookback, and the days, which restarted at the lookback, did
    not count it (a KPI's actual, a sum of its days, beside a stored quarter that differed). Its other
    grains restart at their own start, or earlier at the first period that starts on or after those
    days (a month inside the recomputed quarter), never before the days. A period of a grain that
    straddles the first recomputed day (a week across a year's start) keeps its stored value.
    """
    own: dict[SeriesSpec, dt.date | None] = {}
    stored = _Stored(store)
    for (grain, segment, _), members in groups.items():
        for spec in members:
            try:
                own[spec] = None if full else _restart(stored, spec, project, resume, prints[spec], backs)
            except Exception as exc:  # noqa: BLE001 - this series' stored state is unusable: the others go on
                _series_failed(result, spec.metric, grain, segment, exc)
    first_day: dict[tuple[str, str], dt.date | None] = {}  # None: recomputed in full
    for spec, start in own.items():
        pair = (spec.metric, spec.segment)
        if pair not in first_day:
            first_day[pair] = start
        elif (known := first_day[pair]) is not None:
            first_day[pair] = None if start is None else min(known, start)

    def start_of(spec: SeriesSpec) -> dt.date | None:
        day, mine = first_day[(spec.metric, spec.segment)], own[spec]
        if day is None or mine is None or spec.grain == m.Grain.day:
            return day
        return min(mine, _first_period_from(day, spec.grain, project))

    prepared: dict[GroupKey, tuple[list[SeriesSpec], dt.date | None]] = {}
    for _ in range(len(first_day) + 1):  # a group's start can move a member's days earlier, and so on
        moved = False
        for key, members in groups.items():
            ready = [spec for spec in members if spec in own]
            starts = [start_of(spec) for spec in ready]
            start = None if any(s is None for s in starts) else min((s for s in starts if s is not None), default=None)
            prepared[key] = (ready, start)
            for spec in ready:  # the group reads from ``start`` for every member: their days must too
                pair = (spec.metric, spec.segment)
                day = first_day[pair]
                if day is not None and (start is None or start < day):
                    first_day[pair], moved = start, True
        if not moved:
            break
    if early is not None:
        for ready, start in prepared.values():
            for spec in ready:
                first = stored.get(spec.metric, spec.grain.value, spec.segment).first_period
                if start is not None and first is not None and start < first:
                    early.add(spec)
    return prepared


def _first_period_from(day: dt.date, grain: m.Grain, project: Project) -> dt.date:
    """The first period of ``grain`` that starts on or after ``day``."""
    start = cal.period_start(day, grain, project.calendar)
    return start if start >= day else cal.shift_period(start, 1, grain)


def _query_group(
    engine: Engine, grain: m.Grain, segment: str, names: list[str], start: dt.date | None, result: RefreshResult
) -> dict[str, pa.Table]:
    """The group's values by metric: one query for all, else each metric alone (the others go on)."""
    try:
        table = engine.query(Query(metrics=names, grain=grain, start=start, where=segment or None))
        return {name: table for name in names}
    except Exception as exc:  # noqa: BLE001 - try each metric alone, below
        _reraise_store_failure(exc)
    tables: dict[str, pa.Table] = {}
    for name in names:  # find which metric fails; the others still get refreshed
        try:
            tables[name] = engine.query(Query(metrics=[name], grain=grain, start=start, where=segment or None))
        except Exception as inner:  # noqa: BLE001 - recorded for this metric; the others go on
            _series_failed(result, name, grain, segment, inner)
    return tables


def _write_group(
    project: Project,
    store: Store,
    engine: Engine,
    grain: m.Grain,
    segment: str,
    ready: list[SeriesSpec],
    tables: dict[str, pa.Table],
    start: dt.date | None,
    run_id: int,
    result: RefreshResult,
    prints: dict[SeriesSpec, str],
    days: Days,
    early: Collection[SeriesSpec] = (),
) -> int:
    """Store each series of the group from its metric's table (a segment's kept to its days with data,
    and so is a series recomputed from before its first stored period: ``early``, see :func:`_prepare`).

    The rows are computed first, outside the store's write lock. The group's series are
    then written in one transaction, each in a savepoint: a series that fails is rolled
    back alone (it keeps its last good values) and the others are committed together.
    A failure of the store itself (a full disk, a lost connection) stops the refresh.
    """
    todo: list[tuple[SeriesSpec, list[tuple[dt.date, float | None]]]] = []
    for spec in ready:
        if spec.metric not in tables:
            continue
        try:
            rows = _rows(tables[spec.metric], spec.metric)
            if segment or spec in early:
                if (spec.metric, segment) not in days:
                    days[(spec.metric, segment)] = engine.data_days(spec.metric, segment or None)
                rows = _within(rows, days[(spec.metric, segment)], grain, project.calendar)
        except Exception as exc:  # noqa: BLE001 - this series keeps its last good values; the others go on
            _series_failed(result, spec.metric, grain, segment, exc)
        else:
            todo.append((spec, rows))
    if not todo:
        return 0
    written = 0
    with store.session() as s:
        for spec, rows in todo:
            try:
                with s.begin_nested():
                    series_id = obs.get_or_create_series(s, spec.metric, grain.value, segment, "engine")
                    count = obs.write_observations(
                        s,
                        series_id,
                        rows,
                        run_id=run_id,
                        replace_from=start or dt.date.min,
                        replace_to=None,
                        definition_hash=prints[spec],
                    )
            except Exception as exc:  # noqa: BLE001 - this series keeps its last good values; the others go on
                _series_failed(result, spec.metric, grain, segment, exc)
            else:
                written += count
    return written


# -- segments of one dimension, computed together ------------------------------------------------


@dataclass(eq=False)
class _Batch:
    """Groups whose segments are each ``dimension = 'value'``, of one grain, time dimensions and start."""

    grain: m.Grain
    dimension: str
    start: dt.date | None
    values: dict[GroupKey, str] = field(default_factory=dict)  # group -> its segment's value


def _equality(segment: str) -> tuple[str, str] | None:
    """``(dimension, value)`` when the segment is one name equal to one text (``region = 'EU'``), else None."""
    if not segment:
        return None
    try:
        node = parse(segment)
    except Exception:  # noqa: BLE001 - not ours to judge: the segment's own query reports it
        return None
    if (
        isinstance(node, Compare)
        and node.op == "="
        and isinstance(node.left, Name)
        and isinstance(node.right, Literal)
        and isinstance(node.right.value, str)
    ):
        return node.left.text, node.right.value
    return None


def _shared_batches(
    project: Project, engine: Engine, prepared: dict[GroupKey, tuple[list[SeriesSpec], dt.date | None]]
) -> dict[GroupKey, _Batch]:
    """The groups that one query grouped by their segment's dimension computes, each with its batch.

    A group joins a batch when its segment is one equality on a dimension that is no
    metric's name, and grouping by that dimension leaves each of its metrics' values as
    they are: not so for a semi-additive metric, whose snapshot time is the latest over
    all the rows read unless the dimension is one of its ``per``.
    """
    planner = Planner(project)
    batches: dict[tuple[m.Grain, frozenset[str], str, dt.date | None], _Batch] = {}
    for key, (ready, start) in prepared.items():
        grain, segment, times = key
        found = _equality(segment)
        if not ready or found is None:
            continue
        dimension, value = found
        names = {spec.metric for spec in ready}
        if dimension in names or dimension == "period" or not engine.graph.is_dimension(dimension):
            continue
        if not all(_groups_alike(planner, name, dimension, grain) for name in names):
            continue
        batch = batches.setdefault((grain, times, dimension, start), _Batch(grain, dimension, start))
        batch.values[key] = value
    return {key: batch for batch in batches.values() if len(batch.values) > 1 for key in batch.values}


def _groups_alike(planner: Planner, metric: str, dimension: str, grain: m.Grain) -> bool:
    """Whether ``metric`` grouped by ``dimension`` has each value's own values (see :func:`_shared_batches`).

    By day, a balance per entity's levels run to the last snapshot of all the rows read: every
    value's in a grouped query, the segment's own in its query. Each segment's series is then kept
    to its own days with data, which brings both to the same days when the metric reads one
    dataset; a metric over another dataset too (stock plus deliveries) is not grouped, as the
    other dataset's days kept the grouped levels where the segment's own query has none.
    """
    try:
        nodes = walk([planner.resolve(metric)])
    except Exception:  # noqa: BLE001 - the metric's own query reports it
        return False
    semis = [node for node in nodes if isinstance(node, Semi)]
    if grain == m.Grain.day and any(node.per and node.carry for node in semis):
        reads = {node.dataset for node in nodes if isinstance(node, (Leaf, Semi))}
        if len(reads) > 1 or any(isinstance(node, Conversion) for node in nodes):
            return False
    return all(dimension in node.per for node in semis)


def _query_shared(
    project: Project,
    engine: Engine,
    batch: _Batch,
    prepared: dict[GroupKey, tuple[list[SeriesSpec], dt.date | None]],
    days: Days,
) -> dict[GroupKey, dict[str, pa.Table]]:
    """The values of the batch's groups by metric, from queries grouped by the dimension.

    The metrics needed by the same segments are computed together, for those segments only:
    one query for ``orders`` of five regions, while ``revenue``, which one KPI wants for one
    region, is left to that region's own query. So no metric is computed for a segment that
    does not need it. Then fills ``days`` with the segments' days with data (:func:`_shared_days`),
    which the grouped queries' sums and counts kept by day already hold when they read every day.
    A metric missing for a group (nothing to share, its query failed, or the segment's value
    has no row in the periods read) is left to the group's own query.
    """
    needs: dict[str, list[GroupKey]] = {}  # metric -> the groups that need it, in the batch's order
    for key in batch.values:
        for spec in prepared[key][0]:
            needs.setdefault(spec.metric, []).append(key)
    together: dict[tuple[GroupKey, ...], list[str]] = {}
    for name, needing in needs.items():
        together.setdefault(tuple(needing), []).append(name)
    out: dict[GroupKey, dict[str, pa.Table]] = defaultdict(dict)
    for keys, names in together.items():
        values = sorted({batch.values[key] for key in keys})
        if len(values) < 2:
            continue  # nothing to share: the segment's own query computes them
        where = in_filter(batch.dimension, values)
        query = Query(metrics=names, dimensions=[batch.dimension], grain=batch.grain, start=batch.start, where=where)
        try:
            table = engine.query(query)
            parts = _split(table, batch.dimension, values)
        except Exception as exc:  # noqa: BLE001 - each group runs its own query instead
            _reraise_store_failure(exc)
            continue
        for key in keys:
            part = parts.get(batch.values[key])
            if part is not None:
                out[key].update({name: part for name in names})
    _shared_days(project, engine, batch, needs, days)  # after the queries: from the days they kept, if they did
    return out


def _shared_days(project: Project, engine: Engine, batch: _Batch, needs: dict[str, list[GroupKey]], days: Days) -> None:
    """The days with data of the batch's segments: one grouped query per set of datasets the metrics read.

    A metric's days with data in a segment are those of the rows of the datasets it reads
    (:func:`onpace.catalog.lineage.scans`) that pass the segment, so metrics reading the same
    datasets share them. On failure each segment asks its own (in :func:`_write_group`).
    """
    by_scans: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for name in needs:
        by_scans.setdefault(tuple(scans(project, name)), []).append(name)
    for names in by_scans.values():
        wanted = {key[1]: batch.values[key] for name in names for key in needs[name] if (name, key[1]) not in days}
        if len(set(wanted.values())) < 2:
            continue  # nothing to share: the segment asks its own (in _write_group)
        try:
            found = engine.data_days_by(names[0], batch.dimension, sorted(set(wanted.values())))
        except Exception as exc:  # noqa: BLE001 - each segment asks its own (in _write_group)
            _reraise_store_failure(exc)
            continue
        for name in names:
            for key in needs[name]:
                if (name, key[1]) not in days:
                    days[(name, key[1])] = found[batch.values[key]]


def _split(table: pa.Table, dimension: str, values: list[str]) -> dict[str, pa.Table]:
    """Each value's rows of a query grouped by ``dimension``: its series as the segment's own query gives it.

    The time spine gives a value seen in the rows read every period, with the value its
    segment's query has there (0 or null when nothing was read). A value not seen has no
    row, and is left out; so is one whose periods are not the result's (never expected:
    the segment's own query is then the safe answer), and every value when the dimension
    is not text.
    """
    keys = table.column(dimension).to_pylist()
    if any(key is not None and not isinstance(key, str) for key in keys):
        return {}
    periods = table.column("period").to_pylist()
    every = set(periods)
    rows: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        rows[key].append(index)
    out: dict[str, pa.Table] = {}
    for value in values:
        taken = rows.get(value, [])
        if taken and len(taken) == len(every) and {periods[i] for i in taken} == every:
            out[value] = table.take(taken)
    return out


def _within(
    rows: list[tuple[dt.date, float | None]],
    days: tuple[dt.date | None, dt.date | None],
    grain: m.Grain,
    calendar: m.Calendar,
) -> list[tuple[dt.date, float | None]]:
    """The rows of the periods holding the segment's days with data (all of them when it has none)."""
    first, last = days
    if first is None or last is None:
        return rows
    lo, hi = cal.period_start(first, grain, calendar), cal.period_start(last, grain, calendar)
    return [(period, value) for period, value in rows if lo <= period <= hi]


def _series_failed(result: RefreshResult, metric: str, grain: m.Grain, segment: str, exc: Exception) -> None:
    """Record why one series failed (in the run's errors), so that the others go on.

    Any error of one series' own work counts, even an unexpected one (a bug, a stored
    value the calendar cannot place): it is named with its type. A store that cannot be
    used (a full disk, a lost connection) is not one series' problem: it stops the
    refresh, which records it as the run's error.
    """
    _reraise_store_failure(exc)
    reason = str(exc) if isinstance(exc, OnpaceError) else f"{type(exc).__name__}: {exc}"
    result.failures[Failure.series(metric, grain, segment)] = reason


def _reraise_store_failure(exc: Exception) -> None:
    if isinstance(exc, (StoreError, SQLAlchemyError)):
        raise exc


def _rows(table: pa.Table, metric: str) -> list[tuple[dt.date, float | None]]:
    periods = table.column("period").to_pylist()
    values: list[Any] = table.column(metric).to_pylist()
    return [(p, None if v is None else float(v)) for p, v in zip(periods, values, strict=True)]
