"""SQL that runs on its own: the small in-memory tables a query joins to become CTEs.

When onpace runs a query, ibis creates those tables (periods, days, as-of
dates) as temporary tables first. To print "the SQL it would run" as one
statement a person can paste into a SQL console, each becomes a leading CTE of
``SELECT CAST('2024-01-01' AS DATE) AS col ... UNION ALL ...`` rows.
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
    columns = table.column_names
    selects = []
    for row in table.to_pylist():
        selects.append(
            sge.select(
                *[
                    sge.alias_(sge.cast(sge.convert(row[c].isoformat()), sge.DataType.build("date")), c, quoted=True)
                    for c in columns
                ]
            )
        )
    body: sge.Query = selects[0]
    for select in selects[1:]:
        body = sge.union(body, select, distinct=False)
    return sge.CTE(this=body, alias=sge.TableAlias(this=sge.to_identifier(name, quoted=True)))
