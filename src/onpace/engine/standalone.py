"""SQL that runs on its own: the small in-memory tables a query joins to become CTEs.

When onpace runs a query, ibis creates those tables (periods, days, as-of
dates) as temporary tables first. To print "the SQL it would run" as one
statement a person can paste into a SQL console, each becomes a leading CTE of
``SELECT ... FROM (VALUES (CAST('2024-01-01' AS DATE)), ...) AS v(col)`` rows.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlglot
import sqlglot.expressions as sge

from onpace.engine.ibis_internals import memtables_of


def inline_memtables(expr: Any, sql: str, dialect: str) -> str:
    tables = memtables_of(expr)
    if not tables:
        return sql
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = [_cte(name, table) for name, table in sorted(tables.items())]
    existing = tree.args.get("with_")
    if existing is not None:
        existing.set("expressions", [*ctes, *existing.expressions])
    else:
        tree.set("with_", sge.With(expressions=ctes))
    return tree.sql(dialect=dialect, pretty=True)


def _cte(name: str, table: pa.Table) -> sge.CTE:
    """``name`` AS (SELECT the columns FROM (VALUES (CAST('2024-01-01' AS DATE)), ...) AS v(columns)):
    one flat list of rows (sqlglot writes it as UNION ALL of SELECTs for the dialects without a VALUES
    table, MySQL and MariaDB). A chain of N two-way UNION ALLs took sqlglot minutes to print at day
    grain (10 s for 700 days, more than 300 s for 3,650)."""
    columns = table.column_names
    rows = [
        sge.Tuple(expressions=[sge.cast(sge.convert(row[c].isoformat()), sge.DataType.build("date")) for c in columns])
        for row in table.to_pylist()
    ]
    values = sge.Values(
        expressions=rows,
        alias=sge.TableAlias(this=sge.to_identifier("v"), columns=[sge.to_identifier(c, quoted=True) for c in columns]),
    )
    body = sge.select(*[sge.column(c, table="v", quoted=True) for c in columns]).from_(values)
    return sge.CTE(this=body, alias=sge.TableAlias(this=sge.to_identifier(name, quoted=True)))
