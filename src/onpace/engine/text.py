"""Text that compares, groups and counts exactly (byte for byte) on every engine.

DuckDB, PostgreSQL (with a deterministic collation) and Spark compare text exactly:
'SAVE10', 'save10' and 'SAVE10 ' are three values. MySQL and MariaDB compare text in
the column's collation, by default case-insensitive and blind to trailing spaces
(``utf8mb4_general_ci``, PAD SPACE; even ``utf8mb4_bin`` is PAD SPACE), so the three
would group as one row, count as one distinct value and all match ``like 'save%'``.
On those engines every text value a query reads is given a binary NO PAD collation
(``CAST(x AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin`` on MariaDB,
``utf8mb4_0900_bin`` on MySQL 8): the value is the same text, only its comparisons change.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.rules as rlz
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.mysql import MySQLCompiler

MARIADB_COLLATION = "utf8mb4_nopad_bin"
MYSQL_COLLATION = "utf8mb4_0900_bin"


class ExactText(ops.Value):
    """``arg`` with a collation that compares byte for byte, trailing spaces included."""

    arg: ops.Value[dt.String]
    collation: str

    dtype = rlz.dtype_like("arg")
    shape = rlz.shape_like("arg")


# ibis has no public API for a collation: a custom operation and a rule of the MySQL compiler
# that writes it are how ibis itself is extended (pinned by the MySQL SQL snapshots and
# tests/engine/test_ibis_internals.py)
def _visit_exact_text(self: Any, op: ExactText, *, arg: Any, collation: str) -> Any:
    utf8mb4 = sge.DataType(this=sge.DataType.Type.CHARACTER_SET, kind=sge.Var(this="utf8mb4"))
    return sge.Collate(this=sge.Cast(this=arg, to=utf8mb4), expression=sge.Var(this=collation))


# only MySQL and MariaDB queries hold ExactText: the other compilers never meet it
MySQLCompiler.visit_ExactText = _visit_exact_text


def text_collation(table: Any) -> str | None:
    """The collation text of ``table``'s backend needs to compare exactly (None: it already does)."""
    try:
        backend = table.get_backend()  # ibis's default backend (DuckDB) for a table bound to none
    except Exception:  # noqa: BLE001 - a table of several backends: nothing to adapt
        return None
    if getattr(backend, "name", None) != "mysql":
        return None
    server = ""
    con = getattr(backend, "con", None)
    if con is not None and hasattr(con, "get_server_info"):
        server = str(con.get_server_info())
    return MARIADB_COLLATION if "mariadb" in server.lower() or not server else MYSQL_COLLATION


def exact(value: Any, collation: str | None) -> Any:
    """``value`` compared exactly, when it is text and its engine needs a ``collation`` for that."""
    if collation is None or not isinstance(value, ir.StringValue) or isinstance(value.op(), ExactText):
        return value
    return ExactText(value, collation).to_expr()
