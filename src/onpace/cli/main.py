"""The ``onpace`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from onpace import __version__
from onpace.cli import backtest, definitions, kpis, lifecycle, reviews, web
from onpace.cli.common import Format, ProjectOpt, ViewFormat, ViewFormatOpt, console, err, parse_date, user_errors
from onpace.cli.lazy import LazyTyper
from onpace.cli.library import init_from_template, library_app
from onpace.cli.values import values_app
from onpace.errors import DefinitionError, Issue, OnpaceError
from onpace.library.industries import Industry

app = LazyTyper(  # builds only the command it runs (cli/lazy.py)
    name="onpace",
    help="Business metrics and KPIs computed from your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
example_app = typer.Typer(help="Example projects with generated data.", no_args_is_help=True)
app.add_typer(example_app, name="example")


def _version(value: bool) -> None:
    if value:
        console.print(f"onpace {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """onpace: metrics and KPIs, on pace or not, and why."""


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Directory to create the project in.")],
    force: Annotated[bool, typer.Option(help="Write into a directory that is not empty.")] = False,
    template: Annotated[
        Industry | None,
        typer.Option(help="Build it from the KPI library: the demo company's data and this industry's entries."),
    ] = None,
) -> None:
    """Scaffold a project: onpace.yml, models/ and a small sample database (or, with --template, the demo data and KPIs)."""
    if template is not None:
        init_from_template(directory, template, force)
        return
    from onpace.examples.starter import create_project

    with user_errors():
        created = create_project(directory, force=force)
    console.print(f"[green]Created[/green] project in {created}")
    console.print(f"Next: [bold]cd {directory} && onpace validate && onpace query revenue --grain month[/bold]")


@app.command()
def validate(
    project: ProjectOpt = Path("."),
    offline: Annotated[bool, typer.Option(help="Do not connect to the data sources (definitions only).")] = False,
    fmt: ViewFormatOpt = ViewFormat.table,
) -> None:
    """Check every definition (and, unless --offline, against the data) and list every problem."""
    from onpace.services.validation import validate as run_validate

    issues: list[Issue] = []
    loaded = None
    try:
        loaded, issues = run_validate(project, offline=offline)
    except DefinitionError as exc:  # onpace.yml itself cannot be read
        issues = exc.issues
    except OnpaceError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(1) from None
    if fmt == ViewFormat.json:
        from onpace.services.validation import report

        print(json.dumps(report(issues).model_dump(mode="json"), indent=2))
    elif issues:
        err.print(f"[bold red]{len(issues)} problem{'s' if len(issues) != 1 else ''}[/bold red] in {project}:")
        for issue in issues:
            err.print(f"  {issue}", highlight=False, markup=False)
    else:
        assert loaded is not None
        console.print(
            f"[green]OK[/green]: {len(loaded.datasets)} datasets, {len(loaded.metrics)} metrics, "
            f"{len(loaded.objectives)} objectives, {len(loaded.kpis)} KPIs" + (" (definitions only)" if offline else "")
        )
    if issues:
        raise typer.Exit(1)


def _query(
    metrics: list[str], by: list[str] | None, grain: str | None, start: str | None, end: str | None, where: str | None
) -> Any:
    from onpace.engine import Query

    return Query(
        metrics=_split(metrics),
        dimensions=_split(by),
        grain=grain,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
        where=where,
    )


def _to_data(request: Any, engine: Any) -> Any:
    """``request`` ending on the metrics' last day with data when its end is after it (as the API and the
    web app ask: :func:`onpace.services.explore.data_end`): periods that have not happened are not 0, and a
    range starting after that day has no row."""
    from dataclasses import replace

    from onpace.services.explore import data_end

    end = data_end(engine, request.metrics, request.end)
    if end == request.end:
        return request
    if request.start is not None and end is not None and request.start > end:
        # the range starts after the data's last day: no period of it has happened, so no row (as the
        # API answers, and as a range given by its start alone); the engine has no range to list then
        return replace(request, end=None)
    return replace(request, end=end)


MetricsArg = Annotated[list[str], typer.Argument(help="Metric names.")]
ByOpt = Annotated[list[str] | None, typer.Option("--by", "-b", help="Dimension to break down by (repeatable).")]
GrainOpt = Annotated[
    str | None,
    typer.Option(help="day, week, month, quarter, year, fiscal_quarter or fiscal_year; omit for totals."),
]
StartOpt = Annotated[
    str | None,
    typer.Option(help="First day (YYYY-MM-DD), inclusive; a period it cuts is partial (marked *)."),
]
EndOpt = Annotated[
    str | None, typer.Option(help="Last day (YYYY-MM-DD), inclusive; a period it cuts is partial (marked *).")
]
WhereOpt = Annotated[
    str | None, typer.Option(help="Filter, e.g. \"region = 'EUROPE' and ship_mode in ('AIR', 'MAIL')\".")
]


@app.command()
def query(
    metrics: MetricsArg,
    by: ByOpt = None,
    grain: GrainOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    where: WhereOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, json or csv.")] = Format.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Compute metrics, by period and dimensions."""
    from onpace.catalog.project import load_project
    from onpace.cli.output import partial_note, print_table, to_csv, to_json
    from onpace.engine import Engine

    with user_errors():
        loaded = load_project(project)
        with Engine(loaded) as engine:
            request = _to_data(_query(metrics, by, grain, start, end, where), engine)
            if fmt == Format.table:
                with console.status("Computing…"):
                    result = engine.query(request)
            else:
                result = engine.query(request)
    if fmt == Format.json:
        sys.stdout.write(to_json(result) + "\n")
    elif fmt == Format.csv:
        sys.stdout.write(to_csv(result))
        note = partial_note(result)  # the CSV keeps its columns: the note goes to stderr
        if note is not None:
            sys.stdout.flush()
            err.print(note, highlight=False, markup=False)
    else:
        print_table(console, result, loaded)


@app.command()
def sql(
    metrics: MetricsArg,
    by: ByOpt = None,
    grain: GrainOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    where: WhereOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Print the SQL a query would run, in the source's dialect."""
    from onpace.catalog.project import load_project
    from onpace.engine import Engine

    with user_errors():
        loaded = load_project(project)
        with Engine(loaded) as engine:
            text = engine.sql(_to_data(_query(metrics, by, grain, start, end, where), engine), standalone=True)
    sys.stdout.write(text.rstrip() + "\n")


@example_app.command("tpch")
def example_tpch(
    directory: Annotated[Path, typer.Argument(help="Directory to write the example project to.")],
    scale: Annotated[float, typer.Option(help="TPC-H scale factor (1 = 6 million order lines).", min=0.001)] = 0.1,
    force: Annotated[bool, typer.Option(help="Overwrite an existing example in the directory.")] = False,
) -> None:
    """Write the TPC-H example project with generated data (needs the tpchgen-cli package)."""
    from onpace.examples.tpch_data import generate

    with user_errors(), console.status(f"Generating TPC-H data at scale {scale:g}…"):
        path = generate(directory, scale, force=force)
    console.print(f"[green]Wrote[/green] the TPC-H example to {path}")
    console.print(f"Try: [bold]onpace query revenue orders --by region --grain year --project {directory}[/bold]")


app.command()(kpis.refresh)
app.command()(kpis.status)
app.add_typer(values_app, name="values")
app.add_typer(library_app, name="library")
app.command()(definitions.apply)
app.command()(definitions.export)
app.command()(kpis.lint)
app.command()(backtest.backtest)
app.command()(reviews.review)
app.add_typer(reviews.reviews_app, name="reviews")
app.command()(lifecycle.promote)
app.command()(lifecycle.demote)
app.command()(web.serve)
app.command()(web.demo)
app.add_typer(web.user_app, name="user")
from onpace.cli import worker as _worker  # noqa: E402 - the scheduler's commands

app.command()(_worker.worker)
app.add_typer(_worker.runs_app, name="runs")

from onpace.cli.outbox import outbox_app  # noqa: E402 - the notifications' commands

app.add_typer(outbox_app, name="outbox")

from onpace.cli.alerts import alert_app  # noqa: E402 - the alert rules' commands

app.add_typer(alert_app, name="alert")

from onpace.cli.reports import report_app  # noqa: E402 - the reports' commands

app.add_typer(report_app, name="report")

from onpace.cli.import_dbt import import_app  # noqa: E402 - onpace import dbt (heavy imports inside the command)

app.add_typer(import_app, name="import")


if __name__ == "__main__":  # pragma: no cover
    app()
