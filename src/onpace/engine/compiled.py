"""Compiled SQL kept by the shape of a query: its dates and its small tables are parameters.

Compiling an ibis expression to SQL costs more than running it when the query reads one
day (an incremental refresh): ibis rewrites the whole expression graph each time. A
long-lived engine (the scheduler's, the web app's) asks the same queries again and again
with other dates, so the SQL of each *shape* is compiled once and the dates are put in.

- The **shape** of an expression is its operation graph with every date literal replaced
  by the position of its value among the query's distinct dates, and every in-memory
  table (onpace's periods and days tables, named after their content) and every unbound
  table (the daily values a refresh keeps, registered by a name of their query and days
  while the query runs) by its position and schema. Two expressions of one shape compile
  to the same SQL but for those values: everything else (metrics, filters, grains, joins,
  integers, strings) is in the shape.
- The first time a shape is seen, its SQL is compiled as usual and nothing is kept (a
  one-shot command pays nothing more). The second time, a **template** is compiled from
  the expression with sentinel values (dates in the year 1001, tables named
  ``onpace_sentinel_m<i>_z``: the ``_z`` keeps ``m1_z`` from matching inside ``m10_z``), and kept only if putting this expression's own values into
  it gives exactly the SQL ibis compiles for the expression: a shape whose SQL depends on
  its values in any other way is never templated. Later expressions of the shape get
  their SQL from the template.

Dates are written as the dialect writes a date literal (compiled by ibis for each date),
and table names are the engine's own: no user input is pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.operations as ops

#: Shapes kept at most; the oldest are forgotten first (a project has a few hundred at most).
MAX_SHAPES = 2048
#: Node shapes interned at most (see :func:`shape_of`).
MAX_NODES = 500_000
SENTINEL_DAY = dt.date(1001, 1, 1)
_UNCACHEABLE = object()


@dataclass(frozen=True)
class _Template:
    sql: str
    dates: tuple[str, ...]  # the sentinel date as the dialect writes it, by position
    tables: tuple[str, ...]  # the sentinel table name, by position


@dataclass(frozen=True)
class Shape:
    """An expression's shape (hashable) and its values by position."""

    key: Any
    dates: tuple[dt.date, ...]
    tables: tuple[str, ...]


def shape_of(op: Any, intern: dict[Any, int] | None = None) -> Shape:
    """The shape of the operation graph under ``op`` (see the module's docstring).

    Each node's shape is interned as an integer (``intern``: shape -> id, shared by the calls
    whose shapes are compared), so that a shape is a flat tuple: a graph whose nodes are used
    many times would give nested tuples that take exponential time to hash.
    """
    table = intern if intern is not None else {}
    dates: dict[dt.date, int] = {}
    tables: dict[str, int] = {}
    memo: dict[int, int] = {}

    def own(shape: Any) -> int:
        found = table.get(shape)
        if found is None:
            found = table[shape] = len(table)
        return found

    def walk(value: Any) -> Any:
        if isinstance(value, ops.Node):
            known = memo.get(id(value))
            if known is not None:
                return known
            day = _literal_day(value)
            if day is not None:
                out = own(("date", dates.setdefault(day, len(dates)), value.dtype.nullable))
            elif isinstance(value, (ops.InMemoryTable, ops.UnboundTable)):
                out = own(("table", tables.setdefault(value.name, len(tables)), value.schema, type(value)))
            elif isinstance(value, ops.DatabaseTable):  # without its connection: the same table after a reconnect
                out = own((type(value), value.name, value.schema, walk(value.namespace)))
            elif isinstance(value, ops.SQLQueryResult):  # a dataset's own SQL, likewise
                out = own((type(value), value.query, value.schema))
            else:
                out = own((type(value), tuple(walk(arg) for arg in value.__args__)))
            memo[id(value)] = out
            return out
        if isinstance(value, tuple):
            return ("tuple", tuple(walk(item) for item in value))
        if isinstance(value, dict):  # ibis's frozen mappings (named fields of a projection)
            return ("map", tuple((key, walk(item)) for key, item in value.items()))
        return value

    key = walk(op)
    return Shape(key, tuple(dates), tuple(tables))


def _literal_day(node: Any) -> dt.date | None:
    """The date of a date literal (a parameter of a shape), else None."""
    if isinstance(node, ops.Literal) and node.dtype.is_date() and isinstance(node.value, dt.date):
        return node.value.date() if isinstance(node.value, dt.datetime) else node.value
    return None


def _sentinels(shape: Shape) -> tuple[list[dt.date], list[str]]:
    days = [SENTINEL_DAY + dt.timedelta(days=i) for i in range(len(shape.dates))]
    names = [f"onpace_sentinel_m{i}_z" for i in range(len(shape.tables))]
    return days, names


def _with_sentinels(op: Any, shape: Shape) -> Any:
    """``op`` with its dates and in-memory tables replaced by the shape's sentinels."""
    days, names = _sentinels(shape)
    day_of = dict(zip(shape.dates, days, strict=True))
    name_of = dict(zip(shape.tables, names, strict=True))

    def swap(node: Any, kwargs: dict[str, Any] | None) -> Any:
        day = _literal_day(node)
        if day is not None:
            return ops.Literal(day_of[day], node.dtype)
        if isinstance(node, ops.InMemoryTable):
            return ops.InMemoryTable(name=name_of[node.name], schema=node.schema, data=node.data)
        if isinstance(node, ops.UnboundTable):
            return ops.UnboundTable(name=name_of[node.name], schema=node.schema, namespace=node.namespace)
        return node.__recreate__(kwargs) if kwargs else node

    return op.replace(swap)


@functools.lru_cache(maxsize=4096)
def date_sql(dialect: str, day: dt.date) -> str:
    """How ``dialect`` writes the date literal ``day`` (as ibis compiles it)."""
    sql = str(ibis.to_sql(ibis.literal(day, type="date").name("v"), dialect=dialect))
    body = sql.strip()
    head, _, tail = body.partition("SELECT")
    expression, _, _ = tail.strip().rpartition(" AS ")
    if head.strip() or not expression:
        raise ValueError(f"cannot find the date literal in {sql!r}")
    return expression.strip()


def _render(template: _Template, dialect: str, shape: Shape) -> str:
    sql = template.sql
    for token, day in zip(template.dates, shape.dates, strict=True):
        sql = sql.replace(token, date_sql(dialect, day))
    for token, name in zip(template.tables, shape.tables, strict=True):
        sql = sql.replace(token, name)
    return sql


class CompiledSql:
    """The SQL of expressions for one backend, from templates of their shapes (thread-safe)."""

    def __init__(self, dialect: str, compile_sql: Any) -> None:
        self.dialect = dialect
        self._compile = compile_sql  # expression -> SQL text, as the backend runs it
        self._known: dict[Any, Any] = {}  # shape key -> None (seen once), a template, or _UNCACHEABLE
        self._intern: dict[Any, int] = {}  # node shapes -> ids (shape_of)
        self._lock = threading.Lock()
        self._generation = 0  # bumped when the interning is forgotten: keys of an older one are void
        self.hits = 0  # SQL given from a template
        self.compiles = 0  # SQL compiled by ibis (templates not counted)

    def sql(self, expr: Any) -> str:
        with self._lock:  # the interned ids are shared: one shape at a time
            shape = shape_of(expr.op(), self._intern)
            known = self._known.get(shape.key)
            seen = shape.key in self._known
            generation = self._generation
        if isinstance(known, _Template):
            self.hits += 1
            return _render(known, self.dialect, shape)
        sql = str(self._compile(expr))
        self.compiles += 1
        if not seen:
            self._remember(shape.key, None, generation)
        elif known is None:  # the second time: make the template, keep it if it gives this very SQL
            self._remember(shape.key, self._template(expr, shape, sql), generation)
        return sql

    def _template(self, expr: Any, shape: Shape, sql: str) -> Any:
        days, names = _sentinels(shape)
        try:
            template_sql = str(self._compile(_with_sentinels(expr.op(), shape).to_expr()))
            template = _Template(template_sql, tuple(date_sql(self.dialect, day) for day in days), tuple(names))
            tokens = [*template.dates, *template.tables]
            if any(template_sql.count(token) == 0 for token in tokens) or _render(template, self.dialect, shape) != sql:
                return _UNCACHEABLE
        except Exception:  # noqa: BLE001 - a shape that cannot be templated is compiled each time
            return _UNCACHEABLE
        return template

    def _remember(self, key: Any, value: Any, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # the key's ids belong to an interning forgotten since
            if len(self._known) >= MAX_SHAPES or len(self._intern) >= MAX_NODES:
                # a project has a few hundred shapes: this many means something churns. Start afresh,
                # without ``key``: its ids belong to the interning being forgotten
                self._forget()
                return
            self._known[key] = value

    def _forget(self) -> None:
        self._known.clear()
        self._intern.clear()
        self._generation += 1

    def clear(self) -> None:
        with self._lock:
            self._forget()
