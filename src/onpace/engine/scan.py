"""Rows of one dataset with the dimensions a query needs, joined many-to-one.

:class:`Scan` builds the table a group of measures is aggregated from: the
dataset's own columns, each needed dimension as ``__d_<name>`` (joined through
keys when it belongs to another dataset), the time as ``__t`` (a date).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.operations as ops

from onpace.catalog import models as m
from onpace.catalog.expr import Name, Node, names, parse
from onpace.catalog.project import Project
from onpace.engine.calendar import truncate
from onpace.engine.compile_expr import compile_condition, compile_expr
from onpace.engine.joins import DimensionRef, JoinGraph, Path
from onpace.engine.text import exact, text_collation
from onpace.errors import QueryError, did_you_mean

TableOf = Callable[[str], Any]


def reserved_column(name: str, dataset: str) -> str | None:
    """Why an expression may not read the source column ``name``, or None: the engine names its own
    columns ``__...`` (a row's day ``__t``, its period ``__p``), and a source column of one of those
    names was silently replaced by the engine's (a distinct count of ``__t`` counted days)."""
    if not name.startswith("__"):
        return None
    return (
        f"column '{name}' of dataset '{dataset}' has a name onpace keeps for its own columns (those starting "
        "with '__'); rename it in the source, e.g. in a view or the dataset's query"
    )


def dim_col(name: str) -> str:
    return "__d_" + name.replace(".", "__")


class Scan:
    """Compile expressions against one dataset, and build its joined table."""

    def __init__(self, project: Project, graph: JoinGraph, table_of: TableOf, dataset: str) -> None:
        self.project = project
        self.graph = graph
        self.table_of = table_of
        self.dataset = project.datasets[dataset]
        self.base = table_of(dataset)
        self.columns = set(self.base.columns)
        # text compares byte for byte on every engine (MySQL/MariaDB need a collation for it)
        self.collation = text_collation(self.base)
        self.dialect = _backend_name(self.base)
        self.dims: set[str] = set()
        self.used: set[str] = set()  # the dataset's own columns the expressions read

    # -- name resolution ----------------------------------------------------
    def need(self, text: str | None, *, dimensions_first: bool = False) -> None:
        """Note the dimensions an expression refers to (raises QueryError for unknown names)."""
        if text is None:
            return
        for name in names(parse(text)):
            self._classify(name, dimensions_first)

    def need_dimension(self, name: str) -> None:
        self.graph.resolve(self.dataset.name, name)
        self.dims.add(name)

    def _classify(self, name: Name, dimensions_first: bool) -> str:
        text = name.text
        is_dim = self.graph.is_dimension(text)
        if dimensions_first and is_dim:
            self.need_dimension(text)
            return "dim"
        if text in self.columns:
            problem = reserved_column(text, self.dataset.name)
            if problem is not None:
                raise QueryError(problem)
            self.used.add(text)
            return "column"
        if is_dim:
            self.need_dimension(text)
            return "dim"
        options = [*self.columns, *self.graph.dimension_names()]
        raise QueryError(
            f"unknown name '{text}' in dataset '{self.dataset.name}' (not a column of it, nor a dimension)",
            suggestion=did_you_mean(text, options),
        )

    def compile(self, table: Any, text: str, *, dimensions_first: bool = False, condition: str | None = None) -> Any:
        """Compile ``text`` against the joined ``table``.

        ``condition``: the expression is a filter, named so in errors ("where", "filter"); its
        value must be true or false.
        """

        def resolve(name: Name) -> Any:
            kind = self._classify(name, dimensions_first)
            return table[dim_col(name.text)] if kind == "dim" else table[name.text]

        if condition is not None:
            return compile_condition(parse(text), resolve, text, condition)
        value = compile_expr(parse(text), resolve, text)
        # columns of the joined table already compare exactly; text computed from literals may not
        return value if isinstance(value.op(), ops.Field) else self._exact(value)

    def _exact(self, value: Any) -> Any:
        return exact(value, self.collation)

    # -- the joined table ---------------------------------------------------
    def _value(self, table: Any, ds: m.Dataset, ref: DimensionRef) -> Any:
        """The dimension's value in ``table`` (rows of ``ds``); a time dimension at a grain: its period's start."""
        value = dimension_value(table, ds, ref.dimension)
        if ref.grain is not None:
            start = truncate(as_date(value), ref.grain, self.project.calendar, self.dialect)
            # a date for ibis, a timestamp in DuckDB's date_trunc: through a timestamp to a date in SQL too
            value = start.cast("timestamp").date()
        return self._exact(value)

    def table(self) -> Any:
        """The dataset's rows with every needed dimension as ``__d_<name>``."""
        refs = [self.graph.resolve(self.dataset.name, d) for d in sorted(self.dims)]
        by_path: dict[Path, list[DimensionRef]] = {}
        for ref in refs:
            by_path.setdefault(ref.path, []).append(ref)
        prefixes: set[Path] = set()
        for path in by_path:
            for i in range(1, len(path) + 1):
                prefixes.add(path[:i])
        ordered = sorted(prefixes, key=lambda p: (len(p), p))
        key_cols: dict[Path, str] = {}  # path of the dataset reached -> column holding its join key on the left

        base = self.base
        adds: dict[str, Any] = {}
        for ref in by_path.get((), []):
            adds[dim_col(ref.name)] = self._value(base, self.dataset, ref)
        for i, path in enumerate(p for p in ordered if len(p) == 1):
            key = _key(self.dataset, path[0][0])
            col = f"__k{i}"
            adds[col] = _own_expr(base, self.dataset, key.expression, key.name)
            key_cols[path] = col
        # only the columns the query reads travel through the joins
        table = base.select(**{c: self._exact(base[c]) for c in base.columns if c in self.used}, **adds)

        for j, path in enumerate(ordered):
            key_name, target = path[-1]
            ds = self.project.datasets[target]
            right = self.table_of(target)
            proj: dict[str, Any] = {f"__j{j}": _own_expr(right, ds, _key(ds, key_name).expression, key_name)}
            for ref in by_path.get(path, []):
                proj[dim_col(ref.name)] = self._value(right, ds, ref)
            for k, child in enumerate(c for c in ordered if len(c) == len(path) + 1 and c[:-1] == path):
                col = f"__k{j}_{k}"
                proj[col] = _own_expr(right, ds, _key(ds, child[-1][0]).expression, child[-1][0])
                key_cols[child] = col
            right = right.select(**proj)
            table = table.left_join(right, table[key_cols[path]] == right[f"__j{j}"])
        return table


def _backend_name(table: Any) -> str:
    """The name of ``table``'s backend ('duckdb', 'postgres', 'mysql', 'pyspark'); DuckDB's when unbound."""
    try:
        return str(table.get_backend().name)
    except Exception:  # noqa: BLE001 - a table of several backends, or of none
        return "duckdb"


def _key(ds: m.Dataset, name: str) -> m.Key:
    for key in ds.keys:
        if key.name == name:
            return key
    raise QueryError(f"dataset '{ds.name}' has no key '{name}'")  # pragma: no cover - graph only uses real keys


def _own_expr(table: Any, ds: m.Dataset, text: str, what: str) -> Any:
    """Compile a key or dimension expression: names are columns of the dataset itself."""
    columns = set(table.columns)

    def resolve(name: Name) -> Any:
        if len(name.parts) == 1 and name.parts[0] in columns:
            return table[name.parts[0]]
        raise QueryError(
            f"'{what}' of dataset '{ds.name}': unknown column '{name.text}'",
            suggestion=did_you_mean(name.text, columns),
        )

    node: Node = parse(text)
    return compile_expr(node, resolve, text)


def dimension_value(table: Any, ds: m.Dataset, dim: m.Dimension) -> Any:
    """A dimension's value in the rows of its dataset ``ds``, as every query uses it.

    A time dimension (``type: time``; a dataset's ``time`` is one) on a timestamp is the
    timestamp's date, taken as stored (no time zone conversion): grouped, filtered and compared
    by day everywhere (``refund_date = '2023-03-27'`` holds at 10:15 too). A categorical
    dimension keeps the column's own type.
    """
    value = _own_expr(table, ds, dim.expression, dim.name)
    if (dim.type == "time" or dim.name == ds.time) and value.type().is_timestamp():
        return value.date()
    return value


def as_date(value: Any) -> Any:
    """A date expression from a date or timestamp column."""
    if value.type().is_timestamp():
        return value.date()
    if value.type().is_string():
        return value.cast("date")
    return value


def date_literal(value: Any) -> Any:
    return ibis.literal(value, type="date")
