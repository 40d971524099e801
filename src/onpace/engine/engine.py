"""The engine: compile a query into one ibis expression and run it where the data lives."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from time import monotonic as _monotonic
from typing import Any

import ibis
import pyarrow as pa

from onpace.catalog import models as m
from onpace.catalog.lineage import datasets_read, scans
from onpace.catalog.project import Project
from onpace.engine import days as day_sharing
from onpace.engine.assemble import Assembler, Built, DayExpr, DayReader
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
from onpace.engine.scan import _own_expr, as_date, dim_col
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
        self.days = day_sharing.DayCache()  # daily sums and counts a refresh shares (engine/days.py)
        # built queries by source, query and sharing; each holds while the data bounds it used hold
        self._builds: OrderedDict[tuple[Any, ...], Built] = OrderedDict()
        self._builds_lock = threading.Lock()
        self._kept_lock = threading.Lock()  # kept days are registered by name while their query runs
        self._unsure: dict[str, Any] = {}  # dataset -> its table's schema before the source file changed

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
            kept = self._kept_extent(source, dataset, time_dim, where, None)
            if kept is not None:
                lo, hi = kept.get(None, (None, None))
            else:
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
            kept = self._kept_extent(source, dataset, time_dim, where, dimension)
            if kept is not None:
                rows = [{"value": value, "lo": lo, "hi": hi} for value, (lo, hi) in kept.items()]
            else:
                expr = extent_by_expr(self.project, self.graph, self.table, dataset, time_dim, dimension, where)
                rows = self._execute(expr, source).to_pylist()
            for row in rows:
                value, lo, hi = row["value"], _as_date(row["lo"]), _as_date(row["hi"])
                if value is not None and not isinstance(value, str):
                    raise QueryError(f"dimension '{dimension}' is not text: its days cannot be told by value")
                if value in lows and lo is not None and hi is not None:
                    lows[value].append(lo)
                    highs[value].append(hi)
        return {value: (min(lows[value]), max(highs[value])) if lows[value] else (None, None) for value in values}

    def _kept_extent(
        self, source: str, dataset: str, time: str, where: str | None, by: str | None
    ) -> dict[Any, tuple[dt.date, dt.date]] | None:
        """The days with data of a segment (by value of ``by``) from the days a refresh kept, or None.

        A refresh that read the segment's sums and counts by day over the whole range of its
        time dimension already knows its first and last day with a row (engine/days.py): the
        source is not scanned again for them.
        """
        dims = (by,) if by is not None else ()
        key = day_sharing.DayKey(source, dataset, time, where, dims)
        if time not in self._bounds:
            return None  # not learnt since clear_cache(): no query of this generation read its days
        lo, hi = self.bounds(time)
        if lo is None or hi is None:
            return None
        return self.days.extent(key, lo, hi, dim_col(by) if by is not None else None)

    def clear_cache(self) -> None:
        """The data may have changed: forget the time bounds, and trust kept days only up to the lookback."""
        self._bounds.clear()
        self.days.new_generation()

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
                table = self._tables.pop(dataset, None)
                if table is not None:  # the builds that read it hold while its columns are the same
                    self._unsure.setdefault(dataset, table.schema())
        self._bounds.clear()
        self.days.new_generation()

    def _check_tables(self) -> None:
        """Forget the kept builds when a table forgotten since (its file changed) has other columns now."""
        while self._unsure:
            dataset, schema = self._unsure.popitem()
            try:
                same = self.table(dataset).schema() == schema
            except Exception:  # noqa: BLE001 - the query reports it; the builds cannot be trusted
                same = False
            if not same:
                self._unsure.clear()
                with self._builds_lock:
                    self._builds.clear()

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
        self._unsure.clear()
        with self._builds_lock:
            self._builds.clear()

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
        """The query's expression: built again, or the one built before while the data bounds it used hold.

        Building the ibis expression of a query costs more than running it when it reads a few
        days: a long-lived engine (the scheduler's, the web app's) asks the same queries again
        and again. A build is kept by source, query (every field) and day sharing; it is used
        again when the bounds of the time dimensions it consulted are still the same (so the
        periods, ranges and dates it holds are those the query would get now), with the kept
        days it reads read again (engine/days.py). At most ``MAX_BUILDS``, least recently used
        dropped first; forgotten when a table they read has other columns after its source file
        changed (or at :meth:`close`).
        """
        source = self._source_for(query)
        dialect = self.dialect(source)
        reader = self._day_reader(source, dialect, query)
        key = (source, dialect, *_query_key(query), reader is not None)
        with self._builds_lock:
            kept = self._builds.get(key)
        if kept is not None:
            self.backend(source)  # a released source reconnects: its tables are forgotten if its file changed
            self._check_tables()
            with self._builds_lock:
                kept = self._builds.get(key)  # None when the tables changed
                if kept is not None:
                    self._builds.move_to_end(key)
        assembler = self._assemblers.get(dialect)
        if assembler is None:  # an assembler keeps nothing of a query: one per dialect serves them all
            assembler = self._assemblers[dialect] = Assembler(
                self.project, self.graph, self.table, self.bounds, dialect
            )
        if kept is not None:
            again = self._again(assembler, query, kept, reader)
            if again is not None:
                return again, source
        built = assembler.build(query, reader)
        empty = {name: table.schema.empty_table() for name, table in built.kept.items()}  # schemas, no data
        with self._builds_lock:
            self._builds[key] = replace(built, kept=empty)
            while len(self._builds) > MAX_BUILDS:
                self._builds.popitem(last=False)
        return built, source

    def _again(self, assembler: Assembler, query: Query, built: Built, reader: DayReader | None) -> Built | None:
        """``built`` as the query gets it now, or None when it must be built again."""
        if any(self.bounds(time) != bounds for time, bounds in built.consulted.items()):
            return None  # the data grew (or shrank) where a cumulative window looks
        rng = assembler.range_of(query)
        if rng is None or built.empty:
            return built if rng is None and built.empty else None
        if rng.key != built.range_key:
            return None  # other periods, other dates
        built = replace(built, partial=rng.partial, days=rng.days)
        if not built.reads:
            return built
        if reader is None:
            return None
        kept: dict[str, pa.Table] = {}
        for read in built.reads:
            found, columns = reader(read.dataset, read.time, list(read.leaves), read.lo, read.hi, read.expr)
            table = read.table(found, columns)
            if table.schema != built.kept[read.name].schema:
                return None
            kept[read.name] = table
        return replace(built, kept=kept)

    def _day_reader(self, source: str, dialect: str, query: Query) -> DayReader | None:
        """How the query reads its sums and counts by day within a refresh's sharing (engine/days.py).

        DuckDB sources only: the days are handed to the query as a table registered by name on
        the connection while it runs (:meth:`_run`), which the other backends would have to upload.
        """
        sharing = day_sharing.current()
        if sharing is None or dialect != "duckdb":
            return None

        def read(
            dataset: str, time: str, leaves: list[Any], lo: dt.date, hi: dt.date, expr: DayExpr
        ) -> tuple[pa.Table, dict[Any, str]]:
            key = day_sharing.DayKey(source, dataset, time, query.where, tuple(query.dimensions))
            known = self._bounds.get(time)  # learnt since the last clear_cache(): the data ends there
            return self.days.days(
                key,
                leaves,
                lo,
                hi,
                sharing,
                lambda cols, a, b: self._execute(expr(cols, a, b), source),
                data_last=known[1][1] if known is not None else None,
            )

        return read

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
        result = self._run(built, source)
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

    def _run(self, built: Built, source: str) -> pa.Table:
        """Run a built query; the kept days it reads are registered under their names while it runs."""
        if not built.kept:
            return self._execute(built.expr, source)
        con = self.backend(source).con
        with self._kept_lock:  # two queries may read kept days of the same name
            for name, table in built.kept.items():
                con.register(name, table)
            try:
                return self._execute(built.expr, source)
            finally:
                for name in built.kept:
                    with contextlib.suppress(Exception):  # gone with a reconnection: nothing to free
                        con.unregister(name)

    def _compiled_sql(self, source: str, backend: Any) -> CompiledSql:
        """The compiled SQL kept for ``source``, kept across its reconnections (:meth:`release`)."""
        known = self._compiled.get(source)
        if known is None:
            known = self._compiled[source] = CompiledSql(
                str(backend.name), lambda e: duckdb_compile(self.backend(source), e)
            )
        return known


MAX_BUILDS = 1024


def _query_key(query: Query) -> tuple[Any, ...]:
    grain = query.grain_value
    return (
        tuple(query.metrics),
        tuple(query.dimensions),
        grain.value if grain is not None else None,
        query.start,
        query.end,
        query.where,
    )


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
