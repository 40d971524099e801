"""The days a metric has data on: the first and last day of the rows it reads, in a segment.

The time spine zero-fills a sum or a count over the whole range of its datasets'
time dimensions, so a segment whose rows stop early still gets values (0) up to the
last day of every other segment. Those days are not data. A *day with data* of a
metric in a segment (a ``where`` filter on dimensions) is a day on which at least one
row of the metric's datasets passes the segment. The metric's own filters do not
count: a day with orders but no returns is a day with data for a count of returns.
The datasets a metric reads are :func:`onpace.catalog.lineage.scans`.
"""

from __future__ import annotations

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
