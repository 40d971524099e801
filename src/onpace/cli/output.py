"""Render results for people (Rich tables) and for scripts (JSON, CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from onpace.catalog.display import compact_value, format_value

if TYPE_CHECKING:
    import pyarrow as pa

    from onpace.catalog.project import Project

__all__ = [
    "STATUS_TABLE_WIDTH",
    "compact_value",
    "format_value",
    "partial_note",
    "print_table",
    "rows",
    "status_block",
    "to_csv",
    "to_json",
]

STATUS_TABLE_WIDTH = 120
"""``onpace status`` prints a table per objective from this terminal width, else a short block per KPI."""

PARTIAL_MARK = "*"
"""After the period of a partial row in the table output (the footnote says which days were read)."""


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


def partial_key(table: pa.Table) -> str:
    """The key of the partial flag in JSON rows: ``partial``, or ``_partial`` when a column has that name."""
    return "_partial" if "partial" in table.column_names else "partial"


def to_json(table: pa.Table) -> str:
    """The rows as a JSON list; a row of a partial period also has ``"partial": true``."""
    from onpace.engine import partial_periods  # the engine package imports ibis: only when needed

    out = rows(table)
    partial = {p.isoformat() for p in partial_periods(table)}
    if partial and "period" in table.column_names:
        key = partial_key(table)
        for row in out:
            if row["period"] in partial:
                row[key] = True
    return json.dumps(out, indent=2)


def partial_note(table: pa.Table) -> str | None:
    """The footnote of a result with partial periods: which periods, and which days were read."""
    from onpace.engine import days_read, partial_periods

    partial = partial_periods(table)
    if not partial:
        return None
    days = days_read(table)
    which = ", ".join(p.isoformat() for p in partial)
    plural = "s" if len(partial) > 1 else ""
    read = (
        f"only the days from {days[0].isoformat()} to {days[1].isoformat()} were read" if days else "cut by the range"
    )
    return f"{PARTIAL_MARK} partial period{plural} {which}: {read}"


def to_csv(table: pa.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in rows(table):
        writer.writerow(["" if v is None else v for v in row.values()])
    return buffer.getvalue()


def print_table(console: Console, table: pa.Table, project: Project, title: str | None = None) -> None:
    import pyarrow as pa  # only the commands that compute need it

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
    from onpace.engine import partial_periods

    partial = set(partial_periods(table))
    for row in table.to_pylist():
        cells = []
        for name, value in row.items():
            metric = project.metrics.get(name)
            cell = format_value(value, metric.format if metric else None)
            if name == "period" and value in partial:
                cell += f" {PARTIAL_MARK}"
            cells.append(cell)
        view.add_row(*cells)
    console.print(view)
    console.print(f"[dim]{table.num_rows} row{'s' if table.num_rows != 1 else ''}[/dim]")
    note = partial_note(table)
    if note is not None:
        console.print(note, highlight=False, markup=False)


def status_block(row: Any, fmt: Any, status: tuple[str, str], why: str = "") -> Text:
    """One KPI of ``onpace status`` on a narrow terminal: its status and name, then its numbers and
    why, each a short line that wraps under itself (a table of nine columns cannot fit in 80)."""
    text, colour = status
    block = Text()
    block.append(f"{text}  ", style=colour)
    block.append(row.label, style="bold")
    if row.segment:
        block.append(f" [{row.segment}]")
    target = (
        f"{compact_value(row.target_low, fmt)}–{compact_value(row.target_high, fmt)}"
        if row.target_low is not None
        else compact_value(row.target, fmt)
    )
    expected = (
        f"{compact_value(row.expected_low, fmt)}–{compact_value(row.expected_high, fmt)}"
        if row.expected_low is not None
        else compact_value(row.expected_to_date, fmt)
    )
    by_now = f" ({expected} expected by now)" if expected != target else ""
    numbers = f"{compact_value(row.actual, fmt)} · target {target}{by_now} · {row.period}"
    from onpace.kpi.reason import chance, percent

    pace = "–" if row.attainment is None else percent(row.attainment)
    odds = "" if row.probability is None else f" ({chance(row.probability)})"
    block.append(f"\n{numbers}\npace {pace} · forecast {compact_value(row.forecast, fmt)}{odds}")
    if row.target_basis:
        unavailable = f"; {row.target_unavailable}" if row.target_unavailable else ""
        block.append(f"\ntarget {row.target_basis}{unavailable}", style="dim")
    if why:
        block.append(f"\n{why}", style="dim")
    return block
