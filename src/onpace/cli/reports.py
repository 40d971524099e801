"""``onpace report list|render|send``: the reports of the project, one rendered to files, one sent now
(``send``: :mod:`onpace.cli.report_send`; docs/reports.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import (
    ProjectOpt,
    ViewFormat,
    ViewFormatOpt,
    check_output,
    console,
    project_and_store,
    user_errors,
    write_output,
)
from onpace.cli.kpis import AsOfOpt, _as_of
from onpace.cli.report_send import send

report_app = typer.Typer(
    help="Reports: the scorecard of an audience's KPIs as a PDF, an email and a CSV.", no_args_is_help=True
)


@report_app.command("list")
def list_reports(
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The reports of the project: audience, KPIs covered, schedule, recipients, formats and last run."""
    from onpace.services.report_delivery import list_reports as listing

    with user_errors(), project_and_store(project) as (loaded, store):
        found = listing(loaded, store)
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in found], indent=2) + "\n")
        return
    if not found:
        console.print("no reports: add them under 'reports:' in a model file (docs/reports.md)")
        return
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    table.add_column("name", no_wrap=True)
    for column in ("title", "audience", "KPIs", "schedule", "formats", "last run"):
        table.add_column(column)
    for r in found:
        last = r.last_run
        table.add_row(
            escape(r.name),
            escape(r.title),
            escape(r.audience),
            str(len(r.kpis)),
            escape(r.schedule or "on demand"),
            ", ".join(r.formats),
            escape(f"{last.started_at:%Y-%m-%d %H:%M} {last.status}") if last else "never",
        )
    console.print(table)


@report_app.command("render")
def render(
    name: Annotated[str, typer.Argument(help="The report's name (onpace report list).")],
    pdf: Annotated[Path | None, typer.Option("--pdf", metavar="FILE", help="Write the PDF pack here.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", metavar="FILE", help="Write the HTML (charts inline, for a browser) here.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", metavar="FILE", help="Write the CSV of the numbers here.")
    ] = None,
    as_of: AsOfOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Render a report to files, as of a date (default: the evaluation the scorecard shows); sends nothing.

    Reviews, comments and "what changed" are those since the report's last run that succeeded.
    """
    if pdf is None and html is None and csv is None:
        raise typer.BadParameter("give at least one of --pdf FILE, --html FILE, --csv FILE", param_hint="--pdf")
    for path, option in ((pdf, "--pdf"), (html, "--html"), (csv, "--csv")):
        check_output(path, option)
    day = _as_of(as_of)
    from onpace.engine import Engine
    from onpace.services.report_render import render_since_last_run

    formats = [f for f, path in (("pdf", pdf), ("csv", csv)) if path is not None]
    with (
        user_errors(),
        project_and_store(project) as (loaded, store),
        Engine(loaded) as engine,
        console.status(f"Rendering {name}…"),
    ):
        rendered = render_since_last_run(loaded, store, engine, name, as_of=day, formats=formats)
    written = []
    if pdf is not None and rendered.pdf is not None:
        write_output(pdf, rendered.pdf, "--pdf")
        written.append(f"{pdf} ({rendered.pages} page{'s' if rendered.pages != 1 else ''})")
    if html is not None:
        write_output(html, rendered.preview_html, "--html")
        written.append(str(html))
    if csv is not None and rendered.csv is not None:
        write_output(csv, rendered.csv, "--csv")
        written.append(str(csv))
    kpis = len({key.partition("|")[0] for key in rendered.kpis})
    rows = len(rendered.kpis)
    console.print(
        f"[green]Wrote[/green] {escape(', '.join(written))}: {escape(rendered.title)} as of "
        f"{rendered.as_of.isoformat()}, {kpis} KPI{'s' if kpis != 1 else ''}"
        + (f" ({rows} with their segments)" if rows != kpis else ""),
        highlight=False,
        soft_wrap=True,  # the paths whole, never broken over lines (they are copied)
    )


report_app.command("send")(send)
