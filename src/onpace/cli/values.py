"""``onpace values``: values of manual metrics, imported from a CSV file, and the values stored for a metric."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import Format, ProjectOpt, console, err, project_and_store, user_errors

if TYPE_CHECKING:
    from onpace.services.values_csv import Mark

values_app = typer.Typer(help="Values of manual metrics (type: manual).", no_args_is_help=True)


class DecimalMark(StrEnum):
    point = "point"
    comma = "comma"


_SEPARATORS = {"comma": ",", ",": ",", "semicolon": ";", ";": ";", "tab": "\t", "\t": "\t", "\\t": "\t"}
_SEPARATOR_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _separator(name: str | None) -> str | None:
    if name is None:
        return None
    found = _SEPARATORS.get(name.strip().lower() or name)
    if found is None:
        raise typer.BadParameter(f"{name!r}: expected comma, semicolon or tab", param_hint="--delimiter")
    return found


@values_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV file with the columns metric, period, value and optionally segment.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    delimiter: Annotated[
        str | None,
        typer.Option(help="What separates the cells: comma, semicolon or tab (default: found from the header row)."),
    ] = None,
    decimal: Annotated[
        DecimalMark | None,
        typer.Option(
            help="The decimal mark of the values: point (1250.5) or comma (1250,5); default: found from them."
        ),
    ] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Import values of manual metrics from a CSV file: every row is checked, then all are written at once."""
    from onpace.catalog.project import load_project
    from onpace.services.refresh import actor
    from onpace.services.values import ValuesError, csv_format, import_values, parse_values, read_values_file

    separator = _separator(delimiter)
    mark: Mark | None = "comma" if decimal == DecimalMark.comma else "point" if decimal == DecimalMark.point else None
    with user_errors():
        loaded = load_project(project)
        try:
            text = read_values_file(file)
            rows = parse_values(loaded, text, str(file), separator=separator, decimal=mark)
        except ValuesError as exc:
            count = len(exc.issues)
            err.print(
                f"[bold red]error:[/bold red] {count} problem{'s' if count != 1 else ''} in {escape(str(file))}; nothing was imported",
                highlight=False,
                soft_wrap=True,
            )
            for issue in exc.issues:
                err.print(f"  {issue}", highlight=False, markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.metric] = counts.get(row.metric, 0) + 1
        listed = ", ".join(f"{name} ({n})" for name, n in counts.items())
        form = csv_format(text, separator, mark)
        if form.separator != "," or form.decimal.mark != "point":
            console.print(
                f"Read with {_SEPARATOR_WORDS[form.separator]} between cells and a decimal {form.decimal.mark}",
                highlight=False,
            )
        if dry_run:
            console.print(f"[green]OK[/green]: {_values(len(rows))} for {listed}; dry run, nothing written")
            return
        from onpace.store.db import Store

        store = Store.for_project(loaded.root).ensure_current()
        try:
            result = import_values(loaded, store, rows, actor(), str(file))
        finally:
            store.close()
    console.print(
        f"[green]Imported[/green] {_values(result.rows)} for {listed}; KPIs evaluated again ({result.evaluated})"
    )
    for kpi, reason in result.kpi_errors.items():  # the values are in; these KPIs could not be evaluated
        err.print(f"  warning: {kpi}: {reason}", highlight=False, markup=False, soft_wrap=True)


def _values(count: int) -> str:
    return f"{count} value{'s' if count != 1 else ''}"


@values_app.command("list")
def list_(
    metric: Annotated[str, typer.Argument(help="The metric whose stored values to list.")],
    grain: Annotated[
        str | None,
        typer.Option(help="The grain of a computed metric's values (default: its default_grain, else month)."),
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Only the values of this segment (a filter, as stored).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The values stored for a metric, by period: imported ones (who, when) or computed by refresh."""
    from onpace.catalog import models as m
    from onpace.services.values import list_values

    try:
        chosen = m.Grain(grain) if grain is not None else None
    except ValueError:
        raise typer.BadParameter(
            f"{grain!r}: expected one of {', '.join(g.value for g in m.Grain)}", param_hint="--grain"
        ) from None
    with user_errors(), project_and_store(project) as (loaded, store):
        listing = list_values(loaded, store, metric, grain=chosen, segment=segment)
    if fmt == Format.json:
        sys.stdout.write(json.dumps(listing.model_dump(mode="json"), indent=2) + "\n")
        return
    if fmt == Format.csv:
        sys.stdout.write(_csv(listing))
        return
    _print_listing(listing)


CSV_COLUMNS = ("metric", "period", "value", "segment", "updated_at", "entered_by", "run_id")


def _csv(listing: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in listing.values:
        row = v.model_dump(mode="json")
        writer.writerow(
            [
                listing.metric,
                row["period"],
                _plain(v.value),
                v.segment or "",
                row["updated_at"],
                v.entered_by or "",
                v.run_id or "",
            ]
        )
    return buffer.getvalue()


def _plain(value: float | None) -> str:
    return "" if value is None else repr(value)


def _print_listing(listing: Any) -> None:
    from onpace.cli.output import format_value

    what = "entered by hand" if listing.kind == "manual" else "computed by refresh"
    if not listing.values:
        hint = (
            "import some with 'onpace values import FILE'"
            if listing.kind == "manual"
            else "run 'onpace refresh', or try another --grain"
        )
        console.print(f"no stored values of {listing.metric} by {listing.grain} ({what}): {hint}", markup=False)
        return
    segments = any(v.segment for v in listing.values)
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    for column in ("period", "value", *(["segment"] if segments else []), "updated (UTC)", "by"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for v in listing.values:
        by = v.entered_by or (f"refresh run {v.run_id}" if v.run_id else "–")
        cells = [v.label, format_value(v.value, listing.format)]
        if segments:
            cells.append(v.segment or "(whole metric)")
        table.add_row(*[escape(c) for c in cells], f"{v.updated_at:%Y-%m-%d %H:%M}", escape(by))
    console.print(f"{escape(listing.label)}: {len(listing.values)} values by {listing.grain}, {what}", highlight=False)
    console.print(table)
