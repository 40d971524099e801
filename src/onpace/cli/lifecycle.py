"""Commands that promote a metric to a KPI and demote a KPI back to a metric."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from onpace.cli.common import ProjectOpt, console, project_and_store, user_errors


def promote(
    metric: Annotated[str, typer.Argument(help="The metric to promote.")],
    objective: Annotated[str, typer.Option(help="The objective the KPI serves.")],
    owner: Annotated[str, typer.Option(help="Who is accountable for the KPI.")],
    timeframe: Annotated[
        str, typer.Option(help="month, quarter, year, fiscal_quarter, fiscal_year, or one period such as 2026-Q3.")
    ],
    review_cadence: Annotated[str, typer.Option(help="weekly, monthly, quarterly...")] = "monthly",
    at_least: Annotated[float | None, typer.Option(help="Target: reach at least this value.")] = None,
    at_most: Annotated[float | None, typer.Option(help="Target: stay at or below this value.")] = None,
    between: Annotated[str | None, typer.Option(help="Target: keep within LOW,HIGH.")] = None,
    change: Annotated[str | None, typer.Option(help="Target: a change such as +20% (with --vs).")] = None,
    vs: Annotated[
        str | None,
        typer.Option(
            help="Baseline of --change: same_period_last_year, previous_period, or a date such as 2024-10-01 "
            "(the fixed period of the timeframe that holds it)."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name of the KPI (default: the metric's).")] = None,
    priority: Annotated[int, typer.Option(help="1 is the highest.")] = 3,
    reason: Annotated[str, typer.Option(help="Why the metric becomes a KPI.")] = "",
    project: ProjectOpt = Path("."),
) -> None:
    """Make a metric a KPI: written to models/promoted.yml, recorded with who, when and why."""
    from onpace.services.lifecycle import promote as run_promote
    from onpace.services.refresh import actor

    target: dict[str, Any] = {}
    if at_least is not None:
        target["at_least"] = at_least
    if at_most is not None:
        target["at_most"] = at_most
    if between is not None:
        low, _, high = between.partition(",")
        try:
            target["between"] = [float(low), float(high)]
        except ValueError:
            raise typer.BadParameter(
                f"{between!r}: expected LOW,HIGH such as 0.9,0.95", param_hint="--between"
            ) from None
    if change is not None:
        target["change"] = change
        # a date names a fixed baseline period: {period: 2024-10-01}
        target["vs"] = {"period": vs} if vs is not None and vs[:1].isdigit() else vs
    if len([k for k in target if k != "vs"]) != 1:
        raise typer.BadParameter("give one target: --at-least, --at-most, --between or --change with --vs")
    definition = {
        "name": name,
        "objective": objective,
        "owner": owner,
        "priority": priority,
        "timeframe": timeframe,
        "review_cadence": review_cadence,
        "target": target,
    }
    with user_errors(), project_and_store(project) as (loaded, store):
        done = run_promote(loaded, store, metric, definition, actor=actor(), reason=reason)
    console.print(
        f"[green]Promoted[/green] metric '{metric}' to KPI '{done.name}' in {done.file.relative_to(loaded.root)}; "
        "commit the file, then run 'onpace refresh'"
    )


def demote(
    kpi: Annotated[str, typer.Argument(help="The KPI to demote (its metric stays).")],
    reason: Annotated[str, typer.Option(help="Why (required): kept with the KPI's history.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Turn a KPI back into a plain metric: removed from its file, recorded with who, when and why."""
    from onpace.services.lifecycle import demote as run_demote
    from onpace.services.refresh import actor

    with user_errors(), project_and_store(project) as (loaded, store):
        done = run_demote(loaded, store, kpi, actor=actor(), reason=reason)
    console.print(
        f"[green]Demoted[/green] KPI '{kpi}' (removed from {done.file.relative_to(loaded.root)}); "
        "its metric stays. Commit the file."
    )
