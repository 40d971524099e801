"""Render results for people (Rich tables) and for scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from onpace.catalog.display import compact_value, format_value
from onpace.catalog.project import Project

__all__ = ["compact_value", "format_value", "print_table", "rows", "to_csv", "to_json"]


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """Row objects with JSON-friendly values: ISO dates, null for missing numbers."""
    out = []
    for row in table.to_pylist():
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def to_json(table: pa.Table) -> str:
    return json.dumps(rows(table), indent=2)


def to_csv(table: pa.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in rows(table):
        writer.writerow(["" if v is None else v for v in row.values()])
    return buffer.getvalue()


def print_table(console: Console, table: pa.Table, project: Project, title: str | None = None) -> None:
    view = Table(title=title, header_style="bold", show_lines=False)
    numeric = set()
    for name in table.column_names:
        metric = project.metrics.get(name)
        label = metric.label if metric and metric.label else name
        is_num = pa.types.is_integer(table.schema.field(name).type) or pa.types.is_floating(
            table.schema.field(name).type
        )
        if is_num and name in project.metrics:
            numeric.add(name)
        view.add_column(label, justify="right" if name in numeric else "left")
    for row in table.to_pylist():
        cells = []
        for name, value in row.items():
            metric = project.metrics.get(name)
            cells.append(format_value(value, metric.format if metric else None))
        view.add_row(*cells)
    console.print(view)
    console.print(f"[dim]{table.num_rows} row{'s' if table.num_rows != 1 else ''}[/dim]")
