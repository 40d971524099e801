"""``onpace import dbt``: a dbt Semantic Layer project's semantic models and metrics as onpace definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onpace.cli.common import ProjectOpt, console, err, user_errors

import_app = typer.Typer(help="Import definitions kept by other tools.", no_args_is_help=True)


@import_app.command("dbt")
def import_dbt(
    dbt_project: Annotated[
        Path, typer.Argument(help="The dbt project's folder (run 'dbt parse' there first).", show_default=False)
    ],
    project: ProjectOpt = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Show what would change and write nothing.")] = False,
    target: Annotated[
        str | None, typer.Option(help="The dbt profile's target whose connection becomes the source 'dbt'.")
    ] = None,
) -> None:
    """Create or update the onpace project from the dbt project's semantic models and metrics (docs/dbt.md)."""
    from onpace.importers.apply import apply_import, plan_import

    with user_errors():
        plan = plan_import(dbt_project, project, target=target)
        if not check:
            apply_import(plan)
    shown = plan.models_file.relative_to(plan.project).as_posix()
    verb = "would change" if check else "changed"
    if plan.changes:
        console.print(f"{len(plan.changes)} definition(s) {verb} ({shown}, onpace.yml):", markup=False)
        for change in plan.changes:
            console.print(f"  {change.action:8} {change.kind} {change.name}", markup=False, highlight=False)
    else:
        console.print(f"No definition {verb}: {shown} is up to date.", markup=False)
    items = plan.translation.not_translated
    if items:
        err.print(f"{len(items)} item(s) not translated:", markup=False)
        for item in items:
            err.print(f"  {item}", markup=False, highlight=False, soft_wrap=True)
    for caveat in plan.translation.caveats:
        err.print(f"  note: {caveat}", markup=False, highlight=False, soft_wrap=True)
    for note in plan.notes:
        err.print(f"  note: {note}", markup=False, highlight=False, soft_wrap=True)
    if check:
        console.print("--check: nothing was written.", markup=False)
