"""The engine: compile a query into one ibis expression and run it where the data lives."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from time import monotonic as _monotonic
from typing import Any

import ibis
import pyarrow as pa

from onpace.catalog import models as m
from onpace.catalog.lineage import datasets_read, scans
from onpace.catalog.project import Project
from onpace.engine.assemble import Assembler, Built
from onpace.engine.compiled import CompiledSql
from onpace.engine.connect import (
    LOCK_WAIT_SECONDS,
    SourceBusyError,
    connect,
    dialect_of,
    duckdb_path,
    file_signature,
    is_duckdb_file,
    postgres_query_schema,
)
from onpace.engine.ibis_internals import can_run_duckdb_directly, duckdb_compile, duckdb_sql_to_arrow
from onpace.engine.joins import JoinGraph
from onpace.engine.query import Query
from onpace.engine.result import mark
from onpace.engine.scan import _own_expr, as_date
from onpace.errors import BackendError, OnpaceError, QueryError, UserError

BUSY_SECONDS = 5.0
BOUNDS_SECONDS = 60.0  # how long a long-lived engine trusts the time bounds it learnt of a source
"""After a source was found busy (another program writes to its DuckDB file), how long the engine
tries it only once per query instead of waiting for the lock again."""


class Engine:
    """Runs queries over a project's data sources.

    ``backends`` injects ready ibis connections by source name (tests, Spark
    sessions); other sources are connected lazily from their URLs.
    """

    def __init__(self, project: Project, backends: dict[str, Any] | None = None) -> None:
        self.project = project
        self.graph = JoinGraph(project)
        self._backends: dict[str, Any] = dict(backends or {})
        self._owned: set[str] = set()  # sources this engine connected itself (and so closes)
        self._tables: dict[str, Any] = {}
        # time dimension -> (when learnt, (earliest, latest)); kept BOUNDS_SECONDS at most
        self._bounds: dict[str, tuple[float, tuple[dt.date | None, dt.date | None]]] = {}
        self._released: dict[str, tuple[int, ...]] = {}  # DuckDB files closed by release(), as they were then
        self._busy_until: dict[str, float] = {}  # sources found busy (another program writes to them)
        self._assemblers: dict[str, Assembler] = {}  # by dialect
        self._compiled: dict[str, CompiledSql] = {}  # by source: the SQL of its queries' shapes

    # -- connections ----------------------------------------------------------
    def backend(self, source: str) -> Any:
        if source not in self._backends:
            if source not in self.project.sources:
                raise UserError(f"unknown source '{source}'")
            # found busy a moment ago: try once, without waiting for the lock again (a refresh has many series)
            recent = time.monotonic() < self._busy_until.get(source, 0.0)
            url = self.project.source_url(source)
            try:
                self._backends[source] = connect(url, self.project.root, lock_wait=0.0 if recent else LOCK_WAIT_SECONDS)
            except SourceBusyError:
                if not recent:
                    self._busy_until[source] = time.monotonic() + BUSY_SECONDS
                raise
            self._busy_until.pop(source, None)
            self._owned.add(source)
            if source in self._released and self._released.pop(source) != self._signature(source):
                self._forget(source)  # written to while closed: its tables and dates may have changed
        return self._backends[source]

    def dialect(self, source: str) -> str:
        backend = self._backends.get(source)
        if backend is not None:
            return str(backend.name)
        return dialect_of(self.project.sources[source].url)

    def table(self, dataset: str) -> Any:
        if dataset not in self._tables:
            ds = self.project.datasets[dataset]
            con = self.backend(self.project.source_of(ds))
            try:
                if ds.sql is not None:
                    self._tables[dataset] = con.sql(ds.sql, schema=_query_schema(con, ds.sql))
                else:
                    assert ds.table is not None
                    *schema, name = ds.table.split(".")
                    kwargs = {"database": ".".join(schema)} if schema else {}
                    self._tables[dataset] = con.table(name, **kwargs)
            except OnpaceError:
                raise
            except Exception as exc:
                what = f"table '{ds.table}'" if ds.table else "its SQL"
                raise BackendError(f"dataset '{dataset}': cannot read {what}: {_first_line(exc)}") from exc
        return self._tables[dataset]

    def bounds(self, time: str) -> tuple[dt.date | None, dt.date | None]:
        """Earliest and latest date of a time dimension, over the dataset that holds it.

        Kept for ``BOUNDS_SECONDS`` at most, and forgotten when the source's file changed while it
        was released: a long-lived engine (the web app's, the scheduler's) sees data that arrived
        since, on every kind of source.
        """
        found = self.project.find_dimension(time)
        if found is None:
            raise QueryError(f"unknown time dimension '{time}'")
        ds, dim = found
        table = self.table(ds.name)  # reconnects a released source first: a changed file forgets the bounds
        known = self._bounds.get(time)
        if known is not None and _monotonic() - known[0] < BOUNDS_SECONDS:
            return known[1]
        value = as_date(_own_expr(table, ds, dim.expression, dim.name))
        expr = table.aggregate(lo=value.min(), hi=value.max())
        row = self._execute(expr, self.project.source_of(ds)).to_pylist()[0]
        bounds = (_as_date(row["lo"]), _as_date(row["hi"]))
        self._bounds[time] = (_monotonic(), bounds)
        return bounds

    def data_days(self, metric: str, where: str | None = None) -> tuple[dt.date | None, dt.date | None]:
        """First and last day with data of ``metric`` in the segment ``where`` (see :mod:`onpace.engine.extent`).

        ``(None, None)`` when no row of the metric's datasets passes ``where``.
        """
        from onpace.engine.extent import extent_expr

        source = self._source_for(Query(metrics=[metric]))
        lows: list[dt.date] = []
        highs: list[dt.date] = []
        for dataset, time_dim in scans(self.project, metric):
            expr = extent_expr(self.project, self.graph, self.table, dataset, time_dim, where)
            row = self._execute(expr, source).to_pylist()[0]
            lo, hi = _as_date(row["lo"]), _as_date(row["hi"])
            if lo is not None and hi is not None:
                lows.append(lo)
                highs.append(hi)
        return (min(lows), max(highs)) if lows else (None, None)

    def data_days_by(
        self, metric: str, dimension: str, values: list[str]
    ) -> dict[str, tuple[dt.date | None, dt.date | None]]:
        """:meth:`data_days` of the segments ``dimension = value``, each value's, in one query per dataset.

        A refresh of a KPI by segment asks the days of many segments of one dimension: one
        grouped query instead of one each. A value without a row is ``(None, None)``. A
        dimension whose values are not text (they could not be told apart from the segments'
        quoted values) raises :class:`QueryError`: ask :meth:`data_days` of each segment then.
        """
        from onpace.engine.extent import extent_by_expr, in_filter

        source = self._source_for(Query(metrics=[metric]))
        where = in_filter(dimension, values)
        lows: dict[str, list[dt.date]] = {value: [] for value in values}
        highs: dict[str, list[dt.date]] = {value: [] for value in values}
        for dataset, time_dim in scans(self.project, metric):
            expr = extent_by_expr(self.project, self.graph, self.table, dataset, time_dim, dimension, where)
            for row in self._execute(expr, source).to_pylist():
                value, lo, hi = row["value"], _as_date(row["lo"]), _as_date(row["hi"])
                if value is not None and not isinstance(value, str):
                    raise QueryError(f"dimension '{dimension}' is not text: its days cannot be told by value")
                if value in lows and lo is not None and hi is not None:
                    lows[value].append(lo)
                    highs[value].append(hi)
        return {value: (min(lows[value]), max(highs[value])) if lows[value] else (None, None) for value in values}

    def clear_cache(self) -> None:
        self._bounds.clear()

    def release(self) -> None:
        """Close the connections that hold a file other processes may need (DuckDB files).

        DuckDB lets many processes read a file, or one write it: while onpace keeps a DuckDB file
        open, the program that loads it cannot write. The next query opens it again; what the
        engine learnt of the file (its tables' columns, the time bounds) is kept unless the file
        changed in between.
        """
        for source in [s for s in self._owned if self._holds_file(s)]:
            self._released[source] = self._signature(source)  # before closing: no one can write it yet
            self._disconnect(source)
            del self._backends[source]
            self._owned.discard(source)

    def _signature(self, source: str) -> tuple[int, ...]:
        path = duckdb_path(self.project.source_url(source), self.project.root)
        return file_signature(path) if path is not None else ()

    def _forget(self, source: str) -> None:
        for dataset, ds in self.project.datasets.items():
            if self.project.source_of(ds) == source:
                self._tables.pop(dataset, None)
        self._bounds.clear()

    def holds_files(self) -> bool:
        """Whether :meth:`release` has something to close."""
        return any(self._holds_file(source) for source in self._owned)

    def _holds_file(self, source: str) -> bool:
        return source in self._owned and is_duckdb_file(self.project.source_url(source))

    def _disconnect(self, source: str) -> None:
        disconnect = getattr(self._backends[source], "disconnect", None)
        if disconnect is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                disconnect()

    def close(self) -> None:
        for source in self._owned:
            self._disconnect(source)
        for source in self._owned:
            del self._backends[source]
        self._owned.clear()
        self._tables.clear()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries --------------------------------------------------------------
    def _source_for(self, query: Query) -> str:
        sources = {
            self.project.source_of(self.project.datasets[dataset])
            for name in query.checked().metrics
            for dataset in datasets_read(self.project, name)
        }
        if len(sources) > 1:
            raise QueryError(
                "these metrics live in different sources (" + ", ".join(sorted(sources)) + "); query them separately"
            )
        return sources.pop() if sources else self.project.default_source

    def build(self, query: Query) -> tuple[Built, str]:
        source = self._source_for(query)
        dialect = self.dialect(source)
        assembler = self._assemblers.get(dialect)
        if assembler is None:  # an assembler keeps nothing of a query: one per dialect serves them all
            assembler = self._assemblers[dialect] = Assembler(
                self.project, self.graph, self.table, self.bounds, dialect
            )
        return assembler.build(query), source

    def sql(self, query: Query, *, standalone: bool = False) -> str:
        """The SQL the query runs, in the source's dialect.

        ``standalone``: one statement that runs on its own, with the small tables
        onpace creates before running it (periods, days) written in as CTEs.
        """
        built, source = self.build(query)
        if built.empty:
            return "-- no data in range: nothing to run"
        dialect = self.dialect(source)
        sql = str(ibis.to_sql(built.expr, dialect=dialect))
        if standalone:
            from onpace.engine.standalone import inline_memtables

            sql = inline_memtables(built.expr, sql, _SQLGLOT_DIALECTS.get(dialect, dialect))
        return sql

    def query(self, query: Query) -> pa.Table:
        """Run ``query``; the result as an Arrow table (see docs/engine-contract.md).

        The periods the range cuts and the days read are in the schema's metadata:
        :func:`onpace.engine.partial_periods`, :func:`onpace.engine.days_read`.
        """
        built, source = self.build(query)
        schema = _schema(built, query)
        if built.empty:
            return mark(schema.empty_table(), [], None)
        result = self._execute(built.expr, source)
        schema = pa.schema(
            [pa.field(f.name, result.schema.field(f.name).type) if f.name in query.dimensions else f for f in schema]
        )
        columns = []
        for name in built.columns:
            columns.append(_cast(result.column(name), schema.field(name).type))
        table = pa.Table.from_arrays(columns, schema=schema)
        keys = [c for c in built.columns if c == "period" or c in query.dimensions]
        if keys:
            table = table.sort_by([(k, "ascending", "at_end") for k in keys])
        return mark(table, built.partial, built.days)

    def _execute(self, expr: Any, source: str) -> pa.Table:
        backend = self.backend(source)
        try:
            if can_run_duckdb_directly(backend):  # without importing pandas (see duckdb_sql_to_arrow)
                return duckdb_sql_to_arrow(backend, expr, self._compiled_sql(source, backend).sql(expr))
            return backend.to_pyarrow(expr)
        except OnpaceError:
            raise
        except Exception as exc:
            raise BackendError(
                f"source '{source}' ({self.dialect(source)}) failed to run the query: {_first_line(exc)}"
            ) from exc

    def _compiled_sql(self, source: str, backend: Any) -> CompiledSql:
        """The compiled SQL kept for ``source``, kept across its reconnections (:meth:`release`)."""
        known = self._compiled.get(source)
        if known is None:
            known = self._compiled[source] = CompiledSql(
                str(backend.name), lambda e: duckdb_compile(self.backend(source), e)
            )
        return known


_SQLGLOT_DIALECTS = {"pyspark": "spark", "postgres": "postgres", "mysql": "mysql", "duckdb": "duckdb"}


def _query_schema(con: Any, sql: str) -> Any:
    """The schema of a query, where ibis cannot find it itself.

    ibis 12 asks DuckDB 2 for it through a method DuckDB 2 removed; DESCRIBE
    through the relation API works on both. ibis 12 asks PostgreSQL through a
    temporary view it then fails to drop (any ibis connection, not only onpace's):
    :func:`postgres_query_schema` asks without writing. Other backends: None (ibis asks).
    """
    if getattr(con, "name", None) == "postgres":
        return postgres_query_schema(con, sql)
    if getattr(con, "name", None) != "duckdb":
        return None
    meta = con.con.sql(f"DESCRIBE {sql}").to_arrow_table()
    mapper = con.compiler.type_mapper
    return ibis.schema(
        {
            name: mapper.from_string(kind, nullable=null == "YES")
            for name, kind, null in zip(
                meta["column_name"].to_pylist(), meta["column_type"].to_pylist(), meta["null"].to_pylist(), strict=True
            )
        }
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _schema(built: Built, query: Query) -> pa.Schema:
    fields = []
    for name in built.columns:
        if name == "period":
            fields.append(pa.field(name, pa.date32()))
        elif name in query.dimensions:
            fields.append(pa.field(name, pa.string()))
        elif name in built.integer_columns:
            fields.append(pa.field(name, pa.int64()))
        else:
            fields.append(pa.field(name, pa.float64()))
    return pa.schema(fields)


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if column.type == target:
        return column
    if pa.types.is_timestamp(column.type) and target == pa.date32():
        return column.cast(pa.date32())
    if target == pa.string():
        return column.cast(pa.string())
    return column.cast(target)


__all__ = ["Engine", "Grain", "Query"]
Grain = m.Grain
