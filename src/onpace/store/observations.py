"""Series and their observations: a metric's value per period, as last computed or entered.

A series is a metric at one grain for the whole metric (segment ``''``) or one
segment (a canonical filter text). Writing observations is an upsert by
(series, period), so writing the same rows twice leaves one row per period
with the latest value; an incremental refresh passes the range it recomputed
so that periods no longer in the result are removed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Delete, Table, Update, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from onpace.calendar import out_of_range
from onpace.errors import UserError
from onpace.store import bulk, upsert
from onpace.store.coltypes import utcnow
from onpace.store.models import Observation, Series, SeriesOrigin

_SERIES: Table = Series.__table__  # type: ignore[assignment]


def get_or_create_series(
    s: Session, metric: str, grain: str, segment: str = "", origin: SeriesOrigin = "engine"
) -> int:
    """The id of the series (``metric``, ``grain``, ``segment``), created when new.

    ``origin`` is recorded when the series is created and not changed after;
    safe when two processes create the same series at once.
    """
    names = {"metric": metric, "grain": grain, "segment": segment}
    found = s.scalar(_FIND_SERIES, names)
    if found is not None:  # the usual case: one statement
        return found
    insert = upsert.insert(s, _SERIES)
    s.execute(
        insert.values(
            metric=metric, grain=grain, segment=segment, origin=origin, updated_at=utcnow()
        ).on_conflict_do_nothing(index_elements=["metric", "grain", "segment"])
    )
    series_id = s.scalar(_FIND_SERIES, names)  # ours, or the one another process created in between
    if series_id is None:  # pragma: no cover - the row was just written
        raise RuntimeError(f"series {metric}/{grain}/{segment!r} vanished after it was written")
    return series_id


def get_series(s: Session, metric: str, grain: str, segment: str = "") -> Series | None:
    return s.scalars(select(Series).where(*_series_is(metric, grain, segment))).one_or_none()


class SeriesState(NamedTuple):
    """What an incremental refresh needs of a stored series (:func:`series_states`)."""

    data_until: date | None
    last_run_id: int | None
    definition_hash: str | None
    first_period: date | None  # the earliest period with a row (a value or none)


NO_STATE = SeriesState(None, None, None, None)


def series_states(s: Session) -> dict[tuple[str, str, str], SeriesState]:
    """Every series' :class:`SeriesState` by (metric, grain, segment), in one statement."""
    first = select(func.min(Observation.period_start)).where(Observation.series_id == Series.id).scalar_subquery()
    query = select(
        Series.metric,
        Series.grain,
        Series.segment,
        Series.data_until,
        Series.last_run_id,
        Series.definition_hash,
        first,
    )
    rows: Any = s.execute(query)
    return {(metric, grain, segment): SeriesState(*state) for metric, grain, segment, *state in rows}


def list_series(s: Session, metric: str | None = None) -> list[Series]:
    """Every series (of one ``metric``), by metric, grain and segment."""
    query = select(Series).order_by(Series.metric, Series.grain, Series.segment)
    if metric is not None:
        query = query.where(Series.metric == metric)
    return list(s.scalars(query))


def write_observations(
    s: Session,
    series_id: int,
    rows: Iterable[tuple[date, float | None]],
    run_id: int | None = None,
    replace_from: date | None = None,
    replace_to: date | None = None,
    *,
    definition_hash: str | None = None,
) -> int:
    """Upsert ``rows`` (period start, value) into a series; returns how many were written.

    With ``replace_from`` and/or ``replace_to`` (inclusive), the series' observations
    in that range that are not in ``rows`` are deleted first: the rows are the
    whole truth for the range. Observations outside it are kept. NaN is stored
    as None (no value). A period given twice, or outside the dates onpace
    supports (:data:`onpace.calendar.FIRST_DATE` to ``LAST_DATE``), is
    an error raised before anything is written. The series'
    ``data_until`` (latest period with a value), ``last_run_id`` (when
    ``run_id`` is given), ``definition_hash`` (when given, as
    :func:`set_definition_hash` records it) and ``updated_at`` are updated,
    in one statement.
    """
    if replace_from is not None and replace_to is not None and replace_from > replace_to:
        raise ValueError(f"replace_from {replace_from} is after replace_to {replace_to}")
    now = utcnow()
    periods, values = _checked(series_id, rows)

    if replace_from is not None or replace_to is not None:
        bounds = {"series_id": series_id, "replace_from": replace_from, "replace_to": replace_to}
        s.execute(
            _stale(replace_from is not None, replace_to is not None),
            {name: value for name, value in bounds.items() if value is not None},
            execution_options={"synchronize_session": False},
        )

    bulk.upsert_observations(s, series_id, periods, values, run_id, now)

    changes = {"series_id": series_id, "now": now, "new_run": run_id, "new_hash": definition_hash}
    s.execute(
        _written(run_id is not None, definition_hash is not None),
        {name: value for name, value in changes.items() if value is not None},
        execution_options={"synchronize_session": False},
    )
    loaded = s.identity_map.get(Session.identity_key(Series, series_id))
    if loaded is not None:  # a Series the caller holds reads the new values (loaded again when used)
        s.expire(loaded, ["data_until", "updated_at", "last_run_id", "definition_hash"])
    return len(periods)


# The statements a refresh runs for every series, built once: building and keying them cost
# about as much as SQLite's own work for a series of a few rows.


@cache
def _stale(bounded_below: bool, bounded_above: bool) -> Delete:
    """Delete a series' observations from ``:replace_from`` and/or to ``:replace_to`` (inclusive)."""
    stale = delete(Observation).where(Observation.series_id == bindparam("series_id"))
    if bounded_below:
        stale = stale.where(Observation.period_start >= bindparam("replace_from"))
    if bounded_above:
        stale = stale.where(Observation.period_start <= bindparam("replace_to"))
    return stale


@cache
def _written(with_run: bool, with_hash: bool) -> Update:
    """Update the series ``:series_id`` after a write: data_until, updated_at and maybe its run and hash."""
    data_until = (
        select(func.max(Observation.period_start))
        .where(Observation.series_id == bindparam("series_id"), Observation.value.is_not(None))
        .scalar_subquery()
    )
    changes: dict[str, Any] = {
        "data_until": data_until,
        "updated_at": bindparam("now", type_=_SERIES.c.updated_at.type),
    }
    if with_run:
        changes["last_run_id"] = bindparam("new_run", type_=_SERIES.c.last_run_id.type)
    if with_hash:
        changes["definition_hash"] = bindparam("new_hash", type_=_SERIES.c.definition_hash.type)
    return update(Series).where(Series.id == bindparam("series_id")).values(**changes)


def read_series(
    s: Session,
    metric: str,
    grain: str,
    segment: str = "",
    start: date | None = None,
    end: date | None = None,
) -> list[tuple[date, float | None]]:
    """(period start, value) of a series, by period; ``start``/``end`` inclusive. [] for an unknown series."""
    query = (
        select(Observation.period_start, Observation.value)
        .join(Series, Series.id == Observation.series_id)
        .where(*_series_is(metric, grain, segment))
        .order_by(Observation.period_start)
    )
    if start is not None:
        query = query.where(Observation.period_start >= start)
    if end is not None:
        query = query.where(Observation.period_start <= end)
    return [(period, value) for period, value in s.execute(query)]


def _series_is(metric: Any, grain: Any, segment: Any) -> tuple[Any, ...]:
    """The condition on a series' metric, grain and segment (values, or bound parameters)."""
    return (Series.metric == metric, Series.grain == grain, Series.segment == segment)


_FIND_SERIES = select(Series.id).where(*_series_is(bindparam("metric"), bindparam("grain"), bindparam("segment")))


def _checked(series_id: int, rows: Iterable[tuple[date, float | None]]) -> tuple[list[date], list[float | None]]:
    """Periods and values of ``rows``; NaN becomes None, a repeated period or a datetime is an error."""
    periods: list[date] = []
    values: list[float | None] = []
    seen: set[date] = set()
    for period, value in rows:
        if isinstance(period, datetime) or not isinstance(period, date):
            raise TypeError(f"a period start must be a date, not {type(period).__name__} ({period!r})")
        problem = out_of_range(period)
        if problem is not None:  # the calendar cannot place it: refused before anything is written
            raise UserError(f"cannot store a value: the period {problem}")
        if period in seen:
            raise ValueError(f"period {period} is given twice for series {series_id}")
        seen.add(period)
        number = None if value is None else float(value)
        values.append(None if number is not None and math.isnan(number) else number)
        periods.append(period)
    return periods, values


def set_definition_hash(s: Session, series_id: int, value: str) -> None:
    """Record what the series' values were computed from (see services.refresh)."""
    s.execute(
        update(Series).where(Series.id == series_id).values(definition_hash=value),
        execution_options={"synchronize_session": "fetch"},
    )
