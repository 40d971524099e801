"""``onpace values``: values of manual metrics, imported from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from onpace.cli.common import ProjectOpt, console, err, user_errors

values_app = typer.Typer(help="Values of manual metrics (type: manual).", no_args_is_help=True)


@values_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV file with the columns metric, period, value and optionally segment.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Import values of manual metrics from a CSV file: every row is checked, then all are written at once."""
    from onpace.catalog.project import load_project
    from onpace.services.refresh import actor
    from onpace.services.values import ValuesError, import_values, parse_values, read_values_file

    with user_errors():
        loaded = load_project(project)
        try:
            rows = parse_values(loaded, read_values_file(file), str(file))
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
