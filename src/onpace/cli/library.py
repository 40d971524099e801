"""``onpace library``: the built-in KPI library, listed, shown and added to a project."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, user_errors
from onpace.library.industries import Category, Industry

library_app = typer.Typer(
    help="The built-in KPI library: standard definitions to add to a project.", no_args_is_help=True
)


class ShowFormat(StrEnum):
    yaml = "yaml"
    json = "json"


MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="INPUT=NAME: read the input from your own table or column (repeatable), e.g. --map orders_table=shop.orders.",
    ),
]


def parse_mapping(values: list[str] | None) -> dict[str, str]:
    """``["a=b", "c=d"]`` -> ``{"a": "b", "c": "d"}``."""
    mapping: dict[str, str] = {}
    for value in values or []:
        name, sep, target = value.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise typer.BadParameter(f"{value!r} is not INPUT=NAME", param_hint="--map")
        mapping[name.strip()] = target.strip()
    return mapping


@library_app.command("list")
def list_entries(
    industry: Annotated[Industry | None, typer.Option(help="Only the entries of this industry.")] = None,
    category: Annotated[Category | None, typer.Option(help="Only the entries of this category.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Only the entries whose name, label or description has this text.")
    ] = None,
    fmt: ViewFormatOpt = ViewFormat.table,
) -> None:
    """List the library's entries (name, label, category, metric type, unit, direction, cadence, industries)."""
    from onpace.library.entries import load_library
    from onpace.library.render import summary

    with user_errors():
        entries = load_library().select(industry=industry, category=category)
    if search:
        needle = search.strip().lower()
        entries = [e for e in entries if needle in f"{e.name} {e.label} {e.what_it_tells}".lower()]
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps([summary(e) for e in entries], indent=2, ensure_ascii=False) + "\n")
        return
    view = Table(header_style="bold")
    view.add_column("name", no_wrap=True)
    view.add_column("label")
    for column in ("category", "type", "unit", "better", "cadence"):
        view.add_column(column, no_wrap=True)
    view.add_column("industries")
    for e in entries:
        row = summary(e)
        view.add_row(
            e.name,
            e.label,
            e.category.value,
            e.metric_type,
            row["unit"] or "",
            f"{e.direction}",
            e.cadence.value,
            ", ".join(i.value for i in e.industries),
        )
    console.print(view)
    console.print(f"{len(entries)} entries; [bold]onpace library show NAME[/bold] for one, with its inputs and YAML")


@library_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Entry name (see 'onpace library list').")],
    mapping: MapOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f", help="yaml or json.")] = ShowFormat.yaml,
) -> None:
    """Show an entry: what it tells, its formula, inputs and defaults, benchmarks, and the YAML it writes."""
    from onpace.library.entries import load_library
    from onpace.library.render import describe, dump

    with user_errors():
        library = load_library()
        info = describe(library, library.get(name), parse_mapping(mapping))
    if fmt == ShowFormat.json:
        sys.stdout.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(dump(info))


@library_app.command("add")
def add(
    names: Annotated[list[str], typer.Argument(help="Entry names (see 'onpace library list').")],
    mapping: MapOpt = None,
    force: Annotated[bool, typer.Option(help="Overwrite an entry's file that is already in the project.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Add entries to a project: one file each in models/library/, then the whole project is checked."""
    from onpace.library.scaffold import add_entries

    with user_errors():
        written = add_entries(project, names, parse_mapping(mapping), force=force)
    for path in written:
        console.print(f"[green]Added[/green] {escape(path.stem)}: {escape(str(path))}")
    first = written[0].stem
    console.print(
        f"Next: [bold]onpace validate -p {escape(str(project))}[/bold] (checks the columns against the data), "
        f"then [bold]onpace query {escape(first)} --grain month -p {escape(str(project))}[/bold]"
    )


def init_from_template(directory: Path, template: Industry, force: bool) -> None:
    """``onpace init DIR --template X``."""
    from onpace.library.scaffold import create_from_template

    with user_errors(), console.status(f"Generating the demo data and the {template.label} KPIs…"):
        created = create_from_template(directory, template, force=force)
    count = len(list((created / "models" / "library").glob("*.yml")))
    console.print(
        f"[green]Created[/green] project in {escape(str(created))}: {count} {template.label} entries of the KPI "
        "library in models/library/, objectives and KPIs on them in models/goals.yml, the demo company's data in "
        "data/demo.duckdb"
    )
    console.print(
        f"Next: [bold]cd {escape(str(directory))} && onpace validate && onpace refresh && onpace status[/bold]"
    )
