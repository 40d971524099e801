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

from onpace.catalog import models as m
from onpace.catalog.project import Project


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


_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact_value(value: Any, fmt: m.Format | None) -> str:
    """A short form for narrow tables: 290.8M USD, 4.34K; percentages and small numbers as format_value."""
    kind = fmt.kind if fmt else "number"
    if not isinstance(value, (int, float)) or isinstance(value, bool) or kind in ("percent", "duration"):
        return format_value(value, fmt)
    if math.isnan(value) or abs(value) < 1e4:
        if kind == "number" and (fmt is None or fmt.decimals is None) and abs(value) >= 100:
            return f"{value:,.0f}"
        return format_value(value, fmt)
    size, suffix = next((s, x) for s, x in _SCALES if abs(value) >= s)
    code = f" {fmt.currency}" if kind == "currency" and fmt and fmt.currency else ""
    return f"{value / size:,.1f}{suffix}{code}"


def format_value(value: Any, fmt: m.Format | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "–"
    kind = fmt.kind if fmt else "number"
    decimals = fmt.decimals if fmt and fmt.decimals is not None else None
    if kind == "percent":
        return f"{value * 100:,.{1 if decimals is None else decimals}f}%"
    if kind == "currency":
        code = fmt.currency if fmt else ""
        return f"{value:,.{2 if decimals is None else decimals}f} {code}".strip()
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{2 if decimals is None else decimals}f}"


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
