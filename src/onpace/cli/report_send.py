"""``onpace report send NAME [--to ADDRESS]``: render a report and send it now.

A plain function: the report command group (:mod:`onpace.cli.reports`) registers it as ``send``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from onpace.cli.common import (
    ProjectOpt,
    ViewFormat,
    ViewFormatOpt,
    console,
    err,
    parse_date,
    project_and_store,
    user_errors,
)


def send(
    name: Annotated[str, typer.Argument(help="The report to send.")],
    to: Annotated[
        str | None,
        typer.Option("--to", help="Send it only to this email address (through the project's email channel)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The report as of this date (YYYY-MM-DD; default: the latest).")
    ] = None,
    deliver: Annotated[
        bool,
        typer.Option(
            "--deliver/--queue-only",
            help="Deliver the queued messages now (default), or leave them to onpace serve / onpace worker.",
        ),
    ] = True,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Render a report now and queue it to its recipients (or to --to), then deliver it; each run is recorded."""
    from onpace.engine import Engine
    from onpace.services.delivery import deliver_due
    from onpace.services.refresh import actor
    from onpace.services.report_delivery import send_report

    day = parse_date(as_of, "--as-of")
    delivered = None
    with user_errors(), project_and_store(project) as (loaded, store):
        with Engine(loaded) as engine:
            run = send_report(loaded, store, engine, name, as_of=day, to=to, requested_by=actor())
        if deliver and run.messages and loaded.config.channels:
            delivered = deliver_due(loaded, store)
    if fmt == ViewFormat.json:
        answer = {
            "run": run.model_dump(mode="json"),
            "delivery": delivered.model_dump(mode="json") if delivered else None,
        }
        sys.stdout.write(json.dumps(answer, indent=2) + "\n")
    elif run.status == "failed":
        err.print(f"[bold red]error:[/bold red] report '{escape(name)}' was not sent: {escape(run.error or '')}")
    else:
        console.print(
            f"report [bold]{escape(name)}[/bold] as of {run.as_of} (run {run.id}, {run.key}): "
            f"{run.messages} message(s) queued" + (f", {run.pages} PDF page(s)" if run.pages else ""),
            highlight=False,
        )
        if run.error:
            console.print(f"[yellow]{escape(run.error)}[/yellow]", highlight=False)
        if delivered is not None:
            console.print(
                f"delivered {delivered.delivered}, failed {delivered.failed}, dead {delivered.dead}"
                + (" (see 'onpace outbox list')" if delivered.failed or delivered.dead else ""),
                highlight=False,
            )
            for problem in delivered.errors:
                console.print(f"[red]{escape(problem)}[/red]", highlight=False)
        elif run.messages:
            console.print("the next delivery sends them (onpace serve, onpace worker)", highlight=False)
    if run.status == "failed":
        raise typer.Exit(1)
