"""Upsert many observations in one go, the fast way each database allows.

Going through SQLAlchemy's per-row parameter processing costs more than the
database's own work at 100k rows. PostgreSQL gets the rows as two arrays in a
single ``INSERT … SELECT FROM unnest(…) ON CONFLICT`` statement; SQLite (in
process, no round trips) gets a driver-level ``executemany`` whose values are
converted once by the columns' own SQLAlchemy types, so they are stored
exactly as the ORM stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Date, Double, Integer, Table, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from onpace.errors import StoreError
from onpace.store.coltypes import UTCDateTime
from onpace.store.models import Observation

TABLE: Table = Observation.__table__  # type: ignore[assignment]
COLUMNS = ("series_id", "period_start", "value", "run_id", "updated_at")
KEY = ("series_id", "period_start")


def upsert_observations(
    s: Session,
    series_id: int,
    periods: Sequence[date],
    values: Sequence[float | None],
    run_id: int | None,
    now: datetime,
) -> None:
    """Insert or update (``series_id``, period) → value; ``periods`` must hold no duplicates."""
    if not periods:
        return
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        _postgresql(s, series_id, periods, values, run_id, now)
    elif dialect == "sqlite":
        _sqlite(s, series_id, periods, values, run_id, now)
    else:
        raise StoreError(f"the store does not support {dialect} databases (only SQLite and PostgreSQL)")


def _postgresql(
    s: Session,
    series_id: int,
    periods: Sequence[date],
    values: Sequence[float | None],
    run_id: int | None,
    now: datetime,
) -> None:
    given = (
        func.unnest(
            bindparam("periods", type_=postgresql.ARRAY(Date)),
            bindparam("values", type_=postgresql.ARRAY(Double)),
        )
        .table_valued("period_start", "value")
        .render_derived(name="given")
    )
    rows = select(
        literal(series_id, Integer),
        given.c.period_start,
        given.c.value,
        literal(run_id, Integer),
        literal(now, UTCDateTime),
    ).select_from(given)
    insert = postgresql.insert(TABLE).from_select(list(COLUMNS), rows)
    statement = insert.on_conflict_do_update(index_elements=list(KEY), set_=_updates(insert.excluded))
    s.execute(statement, {"periods": list(periods), "values": list(values)})


def _sqlite(
    s: Session,
    series_id: int,
    periods: Sequence[date],
    values: Sequence[float | None],
    run_id: int | None,
    now: datetime,
) -> None:
    conn = s.connection()
    sql, to_date, to_stamp = _sqlite_upsert(conn.dialect)
    stamp = to_stamp(now)
    rows = [(series_id, to_date(period), value, run_id, stamp) for period, value in zip(periods, values, strict=True)]
    conn.exec_driver_sql(sql, rows)


_SQLITE_UPSERTS: WeakKeyDictionary[Dialect, tuple[str, Any, Any]] = WeakKeyDictionary()


def _sqlite_upsert(dialect: Dialect) -> tuple[str, Any, Any]:
    """The upsert's SQL and the date and timestamp converters, built once per dialect (per store)."""
    found = _SQLITE_UPSERTS.get(dialect)
    if found is not None:
        return found
    insert = sqlite.insert(TABLE)
    compiled = insert.on_conflict_do_update(index_elements=list(KEY), set_=_updates(insert.excluded)).compile(
        dialect=dialect, column_keys=list(COLUMNS)
    )
    if compiled.positiontup is None or tuple(compiled.positiontup) != COLUMNS:
        raise RuntimeError(f"unexpected parameters in the observations upsert: {compiled.positiontup}")
    made = (
        str(compiled),
        _processor(TABLE.c.period_start.type, dialect),
        _processor(TABLE.c.updated_at.type, dialect),
    )
    _SQLITE_UPSERTS[dialect] = made
    return made


def _updates(excluded: Any) -> dict[str, Any]:
    return {"value": excluded.value, "run_id": excluded.run_id, "updated_at": excluded.updated_at}


def _processor(type_: Any, dialect: Dialect) -> Any:
    """The function that turns a Python value into what the driver is given for ``type_``."""
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)
