"""The places the engine relies on ibis internals, each in one small function.

onpace uses ibis's public API everywhere else. Each function here does one thing
ibis 12 has no public API for, says why, and is pinned by
``tests/engine/test_ibis_internals.py``, so an ibis upgrade that changes the
internal shows there first. (Custom operations and compiler rules, the way ibis
is extended, are in :mod:`onpace.engine.text`; overridden backend hooks in
:mod:`onpace.engine.connect`.)
"""

from __future__ import annotations

from typing import Any

import ibis.expr.operations as ops
import ibis.expr.schema as sch
import pyarrow as pa
from ibis.formats.pyarrow import PyArrowTableProxy


def named_memtable(name: str, table: pa.Table) -> Any:
    """An in-memory ibis table named ``name``.

    ``ibis.memtable`` gives every table a new random name, so the SQL of one query would
    differ each time it is compiled (and its snapshots with it); it has no ``name``
    argument. This builds the same operation it builds, with the name chosen here.
    """
    schema = sch.Schema.from_pyarrow(table.schema)
    return ops.InMemoryTable(name=name, schema=schema, data=PyArrowTableProxy(table)).to_expr()


def memtables_of(expr: Any) -> dict[str, pa.Table]:
    """The in-memory tables ``expr`` reads, by name, with their rows.

    No public API lists them: ``ibis.to_sql`` names them but leaves out their rows (ibis
    creates them as temporary tables before it runs a query).
    """
    return {op.name: op.data.to_pyarrow(op.schema) for op in expr.op().find(ops.InMemoryTable)}


def duckdb_to_arrow(backend: Any, expr: Any) -> pa.Table:
    """Run ``expr`` on a DuckDB ibis backend; the result as an Arrow table.

    The public ``backend.to_pyarrow(expr)`` gives the same table, but imports pandas on
    the way (0.2 to 0.3 s on the first query of a process: every CLI command pays it);
    DuckDB's own relation gives Arrow directly. The engine runs the same two steps with its
    SQL kept by shape (:mod:`onpace.engine.compiled`).
    """
    return duckdb_sql_to_arrow(backend, expr, duckdb_compile(backend, expr))


def duckdb_sql_to_arrow(backend: Any, expr: Any, sql: str) -> pa.Table:
    """Run ``sql``, the SQL compiled for ``expr`` (:mod:`onpace.engine.compiled`), on a DuckDB ibis backend.

    What :func:`duckdb_to_arrow` does without compiling: the in-memory tables and functions
    ``expr`` uses are registered first (ibis's pre-execution hook, as ``_to_duckdb_relation``
    runs it), then DuckDB's relation gives Arrow.
    """
    backend._run_pre_execute_hooks(expr)
    return backend.con.sql(sql).to_arrow_table()


def duckdb_compile(backend: Any, expr: Any) -> str:
    """The SQL :func:`duckdb_to_arrow` runs for ``expr`` (``_to_duckdb_relation`` compiles it so)."""
    return str(backend.compile(expr.as_table()))


def can_run_duckdb_directly(backend: Any) -> bool:
    """Whether :func:`duckdb_to_arrow` can run queries on ``backend`` (a DuckDB backend of this ibis)."""
    return getattr(backend, "name", None) == "duckdb" and hasattr(backend, "_to_duckdb_relation")
