"""The days a metric has data on: the first and last day of the rows it reads, in a segment.

The time spine zero-fills a sum or a count over the whole range of its datasets'
time dimensions, so a segment whose rows stop early still gets values (0) up to the
last day of every other segment. Those days are not data. A *day with data* of a
metric in a segment (a ``where`` filter on dimensions) is a day on which at least one
row of the metric's datasets passes the segment. The metric's own filters do not
count: a day with orders but no returns is a day with data for a count of returns.
The datasets a metric reads are :func:`onpace.catalog.lineage.scans`.

Segments that are each one value of one dimension (``region = 'EU'``, ``region = 'US'``)
get their days from one query grouped by that dimension (:func:`extent_by_expr`)
instead of one query each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onpace.catalog.project import Project
from onpace.engine.joins import JoinGraph
from onpace.engine.scan import Scan, TableOf, as_date, dim_col


def extent_expr(
    project: Project, graph: JoinGraph, table_of: TableOf, dataset: str, time: str, where: str | None
) -> Any:
    """One row, ``lo`` and ``hi``: the first and last day of the dataset's rows that pass ``where``."""
    scan = Scan(project, graph, table_of, dataset)
    scan.need_dimension(time)
    scan.need(where, dimensions_first=True)
    table = scan.table()
    if where:
        table = table.filter(scan.compile(table, where, dimensions_first=True, condition="where"))
    day = as_date(table[dim_col(time)])
    return table.aggregate(lo=day.min(), hi=day.max())


def in_filter(dimension: str, values: Sequence[str]) -> str:
    """The filter ``dimension in ('a', 'b')``, in the expression language (quotes doubled)."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{dimension} in ({quoted})"


def extent_by_expr(
    project: Project, graph: JoinGraph, table_of: TableOf, dataset: str, time: str, dimension: str, where: str
) -> Any:
    """One row per value of ``dimension`` among the dataset's rows that pass ``where``: ``value``, ``lo``, ``hi``.

    The extent of each value is the one :func:`extent_expr` gives with ``where`` and
    ``dimension = value``: the dimension is the same column the filter reads (a name
    is a dimension before a column), and ``lo``/``hi`` skip null days alike. A value
    without a row has no row here.
    """
    scan = Scan(project, graph, table_of, dataset)
    scan.need_dimension(time)
    scan.need_dimension(dimension)
    scan.need(where, dimensions_first=True)
    table = scan.table()
    table = table.filter(scan.compile(table, where, dimensions_first=True, condition="where"))
    day = as_date(table[dim_col(time)])
    return table.group_by(value=table[dim_col(dimension)]).aggregate(lo=day.min(), hi=day.max())
