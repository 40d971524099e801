"""KPI evaluations: each time a KPI is evaluated, its status, pace and forecast are kept; and the
periods of each KPI that are over, achieved or missed (its history, one row per period).

Refresh evaluates every KPI after every refresh: it reads the series of all of them at once
(:func:`read_series_many`) and writes all their evaluations and periods in one go
(:func:`add_evaluations`, :func:`write_periods_many`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, insert, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import KpiEvaluation, KpiPeriod, Observation, Series
from onpace.store.plain import plain_object
from onpace.store.reads import latest_evaluations as latest_evaluations
from onpace.store.reads import read_periods as read_periods

_OBSERVATIONS: Table = Observation.__table__  # type: ignore[assignment]
_SERIES: Table = Series.__table__  # type: ignore[assignment]
_EVALUATIONS: Table = KpiEvaluation.__table__  # type: ignore[assignment]
_PERIODS: Table = KpiPeriod.__table__  # type: ignore[assignment]
#: At most this many KPI names, or row ids, in one query (a database limits the parameters of a statement).
NAMES_PER_QUERY = 500
SeriesKey = tuple[str, str, str]  # (metric, grain, segment)


def read_series_many(s: Session, keys: Iterable[SeriesKey]) -> dict[SeriesKey, list[tuple[date, float | None]]]:
    """The rows of each series (metric, grain, segment) of ``keys``, each read once: the same as
    :func:`onpace.store.observations.read_series` gives, (period start, value) by period, [] for an
    unknown series.

    An evaluation reads every day of every KPI's series after each refresh, and building
    SQLAlchemy's rows (ORM ones even more) took most of that time: the rows are read as plain
    tuples, on SQLite from the driver itself (:func:`_sqlite_reader`).
    """
    obs, series = _OBSERVATIONS.c, _SERIES.c
    query = (
        select(obs.period_start, obs.value)
        .join_from(_OBSERVATIONS, _SERIES, series.id == obs.series_id)
        .where(
            series.metric == bindparam("metric"),
            series.grain == bindparam("grain"),
            series.segment == bindparam("segment"),
        )
        .order_by(obs.period_start)
    )
    conn = s.connection()
    read = _sqlite_reader(conn, query) if conn.dialect.name == "sqlite" else None
    out: dict[SeriesKey, list[tuple[date, float | None]]] = {}
    for key in keys:
        if key in out:
            continue
        params = dict(zip(("metric", "grain", "segment"), key, strict=True))
        # row by row: a list of every result row first would keep thousands of them alive at once,
        # which the garbage collector then moves to its oldest generation and scans in full
        out[key] = read(params) if read is not None else [tuple(row) for row in conn.execute(query, params)]
    return out


def _sqlite_reader(conn: Connection, query: Select[Any]) -> Callable[[Mapping[str, Any]], list[tuple[Any, ...]]]:
    """A function that runs ``query`` (with its parameters) on the driver and converts each value with
    its column's own SQLAlchemy type: the values SQLAlchemy's rows would hold, without the rows
    (:mod:`onpace.store.bulk` writes observations the same way). A driver error is raised as
    SQLAlchemy raises it, so that the store's failures are told apart as usual."""
    compiled = query.compile(dialect=conn.dialect)
    names = tuple(compiled.positiontup or ())
    if sorted(names) != sorted(compiled.binds):
        raise RuntimeError(f"unexpected parameters in the series query: {names}")
    sql = str(compiled)
    first, second = (_result_processor(column.type, conn.dialect) for column in query.selected_columns)
    driver = conn.connection.driver_connection
    error = conn.dialect.loaded_dbapi.Error

    def read(params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        values = tuple(params[name] for name in names)
        try:
            rows = driver.execute(sql, values).fetchall()  # type: ignore[union-attr]
        except error as exc:
            raise DBAPIError.instance(sql, values, exc, error) from exc
        if first is None or second is None:  # a column as the driver gives it: one call a row less
            if first is not None:
                return [(first(a), b) for a, b in rows]
            return rows if second is None else [(a, second(b)) for a, b in rows]
        return [(first(a), second(b)) for a, b in rows]

    return read


def _result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The function that turns what the driver gives into the Python value for ``type_`` (None: as given)."""
    return type_.dialect_impl(dialect).result_processor(dialect, None)


def add_evaluation(
    s: Session,
    *,
    kpi: str,
    as_of: date,
    period_start: date,
    period_end: date,
    status: str,
    segment: str = "",
    run_id: int | None = None,
    evaluated_at: datetime | None = None,
    target: float | None = None,
    target_low: float | None = None,
    target_high: float | None = None,
    actual: float | None = None,
    expected_to_date: float | None = None,
    attainment: float | None = None,
    forecast: float | None = None,
    forecast_low: float | None = None,
    forecast_high: float | None = None,
    probability: float | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Record one evaluation of ``kpi`` (for ``segment``; '' is the whole KPI); returns its id."""
    row = _evaluation(
        dict(
            kpi=kpi,
            segment=segment,
            run_id=run_id,
            evaluated_at=evaluated_at,
            as_of=as_of,
            period_start=period_start,
            period_end=period_end,
            target=target,
            target_low=target_low,
            target_high=target_high,
            actual=actual,
            expected_to_date=expected_to_date,
            attainment=attainment,
            forecast=forecast,
            forecast_low=forecast_low,
            forecast_high=forecast_high,
            probability=probability,
            status=status,
            details=details,
        )
    )
    s.add(row)
    s.flush()
    return row.id


def add_evaluations(s: Session, evaluations: Iterable[Mapping[str, Any]]) -> None:
    """Record several evaluations, each given as :func:`add_evaluation`'s keyword arguments, in one
    statement (:func:`add_evaluation` flushes each one to return its id)."""
    rows = [_evaluation_values(columns) for columns in evaluations]
    if rows:
        s.execute(insert(_EVALUATIONS), rows)


#: What an evaluation has when :func:`add_evaluation` is not told (every row of one statement has every column).
_OPTIONAL: dict[str, Any] = {
    "segment": "",
    "run_id": None,
    **dict.fromkeys(
        [
            "target",
            "target_low",
            "target_high",
            "actual",
            "expected_to_date",
            "attainment",
            "forecast",
            "forecast_low",
            "forecast_high",
            "probability",
        ]
    ),
}


def _evaluation(columns: Mapping[str, Any]) -> KpiEvaluation:
    return KpiEvaluation(**_evaluation_values(columns))


def _evaluation_values(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a row of ``kpi_evaluations`` from :func:`add_evaluation`'s arguments: evaluated
    now unless ``evaluated_at`` says when, its details made plain JSON."""
    values = {**_OPTIONAL, **columns}
    values["evaluated_at"] = values.get("evaluated_at") or utcnow()
    values["details"] = plain_object(values.get("details"), f"the details of the evaluation of {values['kpi']!r}")
    return values


def newest_id(s: Session) -> int:
    """The id of the newest evaluation (0 when there is none): it changes whenever anything is evaluated."""
    return int(s.scalar(select(func.max(KpiEvaluation.id))) or 0)


def evaluation_history(
    s: Session,
    kpi: str,
    segment: str = "",
    since: datetime | None = None,
    limit: int | None = None,
) -> list[KpiEvaluation]:
    """Evaluations of one KPI and segment, oldest first; ``limit`` keeps the newest ones."""
    query = select(KpiEvaluation).where(KpiEvaluation.kpi == kpi, KpiEvaluation.segment == segment)
    if since is not None:
        query = query.where(KpiEvaluation.evaluated_at >= since)
    query = query.order_by(KpiEvaluation.evaluated_at.desc(), KpiEvaluation.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(list(s.scalars(query))))


#: The fields of a stored period a refresh compares to decide whether it changed.
PERIOD_FIELDS = (
    "period_end",
    "as_of",
    "status",
    "target",
    "target_low",
    "target_high",
    "actual",
    "attainment",
    "details",
)


def write_periods(
    s: Session, kpi: str, segment: str, periods: Sequence[Mapping[str, Any]], run_id: int | None = None
) -> int:
    """Make the stored periods of ``kpi`` (``segment``) be ``periods``; return how many rows were written.

    Each of ``periods`` has ``period_start`` and the :data:`PERIOD_FIELDS`. A period stored with the
    same fields is left as it is (its ``evaluated_at`` and ``run_id`` say when it was last judged
    otherwise); a changed one is updated, a new one inserted, and a stored period no longer among
    ``periods`` (the KPI's timeframe changed) deleted.
    """
    return write_periods_many(s, {(kpi, segment): periods}, run_id)


def write_periods_many(
    s: Session, periods: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]], run_id: int | None = None
) -> int:
    """:func:`write_periods` for each (KPI, segment) of ``periods``, with one read of what is stored (by
    up to :data:`NAMES_PER_QUERY` KPIs) and one flush; return how many rows were written in all.

    The stored fields are read as plain rows: only the periods that changed are loaded as objects
    to be updated (most periods of a refresh are as they were).
    """
    _lock_periods(s)
    stored: dict[tuple[str, str], dict[date, tuple[Any, ...]]] = {key: {} for key in periods}
    names = sorted({kpi for kpi, _ in periods})
    table = _PERIODS.c
    columns = [table[name] for name in ("id", "kpi", "segment", "period_start", *PERIOD_FIELDS)]
    s.flush()  # the plain read below does not flush the session's pending changes first
    for first in range(0, len(names), NAMES_PER_QUERY):
        chunk = names[first : first + NAMES_PER_QUERY]
        for kept in s.execute(select(*columns).where(table.kpi.in_(chunk))):
            found = stored.get((kept[1], kept[2]))
            if found is not None:
                found[kept[3]] = (kept[0], *kept[4:])
    changed: list[tuple[str, str, date, dict[str, Any], int | None]] = []  # kpi, segment, start, values, id
    gone: list[int] = []
    for (kpi, segment), wanted in periods.items():
        left = stored[(kpi, segment)]
        for period in wanted:
            values = {name: period[name] for name in PERIOD_FIELDS}
            values["details"] = plain_object(values["details"], f"the details of a past period of {kpi!r}")
            start: date = period["period_start"]
            old = left.pop(start, None)
            if old is not None and all(a == values[name] for name, a in zip(PERIOD_FIELDS, old[1:], strict=True)):
                continue
            changed.append((kpi, segment, start, values, None if old is None else old[0]))
        gone += [old[0] for old in left.values()]
    rows = _periods_by_id(s, [c[4] for c in changed if c[4] is not None] + gone)
    now = utcnow()
    for kpi, segment, start, values, row_id in changed:
        row = rows[row_id] if row_id is not None else KpiPeriod(kpi=kpi, segment=segment, period_start=start)
        if row_id is None:
            s.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.run_id, row.evaluated_at = run_id, now
    for row_id in gone:
        s.delete(rows[row_id])
    s.flush()
    return len(changed)


def _lock_periods(s: Session) -> None:
    """Serialise the writers of the past periods until the transaction ends (readers go on).

    Each writer reads what is stored, then inserts the periods it does not find: two evaluations at
    once (a KPI made in the app on one server while another imports values or refreshes) both found
    none and the second insert broke the unique key (a 500). SQLite's write transactions are
    serialised already (``BEGIN IMMEDIATE``); on PostgreSQL a table lock that conflicts with itself.
    """
    dialect = s.get_bind().dialect
    if dialect.name == "postgresql":
        s.execute(text(f"LOCK TABLE {dialect.identifier_preparer.format_table(_PERIODS)} IN EXCLUSIVE MODE"))


def _periods_by_id(s: Session, ids: Sequence[int]) -> dict[int, KpiPeriod]:
    """The stored periods of these ids, as objects to change (read by up to :data:`NAMES_PER_QUERY`)."""
    out: dict[int, KpiPeriod] = {}
    for first in range(0, len(ids), NAMES_PER_QUERY):
        out.update(
            (row.id, row)
            for row in s.scalars(select(KpiPeriod).where(KpiPeriod.id.in_(ids[first : first + NAMES_PER_QUERY])))
        )
    return out


def first_evaluated(s: Session, kpi: str, segment: str = "") -> datetime | None:
    """When ``kpi`` (its ``segment``) was first evaluated: since when it has had a verdict to review."""
    query = select(func.min(KpiEvaluation.evaluated_at)).where(
        KpiEvaluation.kpi == kpi, KpiEvaluation.segment == segment
    )
    return s.scalar(query)
