"""``onpace apply`` and ``onpace export``: definitions from YAML into the store, and back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, project_and_store, user_errors

CHANGE_STYLE = {"added": "green", "changed": "yellow", "removed": "red", "unchanged": "dim"}


def apply(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change and write nothing.")] = False,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Store the project's YAML definitions, showing first what is added, changed and removed."""
    from onpace.services.definitions import apply as run_apply
    from onpace.services.refresh import actor

    with user_errors(), project_and_store(project) as (loaded, store):
        plan = run_apply(loaded, store, actor(), dry_run=dry_run)
        where = store.redacted_url
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps({"dry_run": dry_run, **plan.to_dict()}, indent=2) + "\n")
        return
    _print_plan(plan, dry_run, where)


def _print_plan(plan: Any, dry_run: bool, where: str) -> None:
    pending = plan.pending
    if pending:
        table = Table(header_style="bold")
        for column in ("kind", "name", "change", "keys", "file"):
            table.add_column(column)
        for c in pending:
            style = CHANGE_STYLE[c.change]
            table.add_row(
                c.kind, escape(c.name), f"[{style}]{c.change}[/{style}]", ", ".join(c.keys), escape(c.file or "")
            )
        console.print(table)
    totals = {change: sum(n[change] for n in plan.counts().values()) for change in CHANGE_STYLE}
    summary = ", ".join(f"{n} {change}" for change, n in totals.items())
    if dry_run:
        console.print(f"Dry run: {summary}; nothing written")
    elif pending:
        console.print(f"[green]Applied[/green]: {summary} (store: {escape(where)})")
    else:
        console.print(f"Nothing to apply: {summary}")


def export(
    directory: Annotated[Path, typer.Argument(help="Directory to write onpace.yml and the models files to.")],
    force: Annotated[bool, typer.Option("--force", help="Write into a directory that is not empty.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Write the definitions applied to the store back as YAML files (onpace.yml and models/)."""
    from onpace.services.export import export_definitions
    from onpace.store.db import Store

    with user_errors():
        store = Store.for_project(project.resolve()).ensure_current()
        try:
            result = export_definitions(store, directory, force=force)
        finally:
            store.close()
    console.print(
        f"[green]Exported[/green] the project and {result.definitions} definitions to {escape(str(directory))}: "
        + ", ".join(escape(f) for f in result.files)
    )
