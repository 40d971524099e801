"""Commands of the KPI layer: refresh, status."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from onpace.cli.common import Format, ProjectOpt, console, err, parse_options, project_and_store, user_errors

STATUS_STYLE = {
    "on_track": ("● on track", "green"),
    "achieved": ("✔ achieved", "green"),
    "at_risk": ("▲ at risk", "yellow"),
    "off_track": ("✖ off track", "red"),
    "missed": ("✖ missed", "red"),
    "no_data": ("○ no data", "dim"),
}


def refresh(
    full: Annotated[bool, typer.Option("--full", help="Recompute every period, not only the recent ones.")] = False,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", help="Only this metric (repeatable); KPIs are re-evaluated.")
    ] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Compute the metrics and KPIs into the store (incremental unless --full), then evaluate the KPIs."""
    from onpace.services.refresh import refresh as run_refresh

    with user_errors(), project_and_store(project) as (loaded, store):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("refreshing", total=None)

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=f"refreshing {label}")

            result = run_refresh(loaded, store, full=full, metrics=metric or None, progress=progress)
    colour = {"succeeded": "green", "partial": "yellow"}.get(result.status, "red")
    console.print(
        f"[{colour}]{result.status}[/{colour}]: run {result.run_id} ({result.mode}), {result.series} series, "
        f"{result.rows:,} values written, {result.evaluated} KPI evaluations, {result.seconds:.1f} s"
    )
    for what, message in result.errors.items():
        err.print(f"  [red]failed[/red] {what}: {message}", highlight=False)
    if result.status != "succeeded":
        raise typer.Exit(1)


def status(
    objective: Annotated[str | None, typer.Option(help="Only this objective (and the ones under it).")] = None,
    department: Annotated[str | None, typer.Option(help="Only the KPIs of this department's metrics.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only the KPIs of this owner.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only the KPIs with this status (on_track, at_risk...).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The scorecard: objectives, their KPIs with actual, target, expected to date, forecast and status."""
    from onpace.services import scorecard
    from onpace.services.filters import ScorecardFilter

    if fmt == Format.csv:
        raise typer.BadParameter("status prints a table or json", param_hint="--format")
    filters = parse_options(ScorecardFilter, objective=objective, department=department, owner=owner, status=status)
    with user_errors():
        with project_and_store(project) as (loaded, store):
            rows = scorecard.kpi_rows(loaded, store)
        chosen = filters.select(loaded, rows)
        roots = filters.tree(loaded, rows)
    if fmt == Format.json:
        sys.stdout.write(json.dumps([row.model_dump(mode="json") for row in chosen], indent=2) + "\n")
        return
    if not rows:
        err.print("no KPI evaluations yet: run 'onpace refresh' first")
        raise typer.Exit(1)
    _print_tree(roots, loaded)


def _fmt(value: Any, metric: Any) -> str:
    from onpace.cli.output import compact_value

    return compact_value(value, metric.format if metric is not None else None)


def _print_tree(roots: list[Any], project: Any) -> None:
    for root in roots:
        tree = Tree(_objective_label(root))
        _add(tree, root, project)
        console.print(tree)


def _objective_label(node: Any) -> str:
    text, colour = STATUS_STYLE[node.status]
    owner = f" · {node.objective.owner}" if node.objective.owner else ""
    return f"[bold]{node.objective.label or node.objective.name}[/bold]{owner}  [{colour}]{text}[/{colour}]"


def _add(branch: Tree, node: Any, project: Any) -> None:
    if node.rows:
        table = Table(box=None, pad_edge=False, header_style="bold dim")
        for column in ("KPI", "period", "actual", "target", "expected", "attain.", "forecast", "P(hit)", "status"):
            table.add_column(column, justify="left" if column in ("KPI", "period", "status") else "right")
        for row in node.rows:
            metric = project.metrics.get(row.metric)
            text, colour = STATUS_STYLE[row.status]
            target = (
                f"{_fmt(row.target_low, metric)}–{_fmt(row.target_high, metric)}"
                if row.target_low is not None
                else _fmt(row.target, metric)
            )
            name = row.label + (f" [{row.segment}]" if row.segment else "")
            table.add_row(
                escape(name),  # "[web]" is a segment, not Rich markup
                row.period,
                _fmt(row.actual, metric),
                target,
                (
                    f"{_fmt(row.expected_low, metric)}–{_fmt(row.expected_high, metric)}"
                    if row.expected_low is not None
                    else _fmt(row.expected_to_date, metric)
                ),
                "–" if row.attainment is None else f"{row.attainment:.0%}",
                _fmt(row.forecast, metric),
                "–" if row.probability is None else f"{row.probability:.0%}",
                f"[{colour}]{text}[/{colour}]",
            )
        branch.add(table)
        for row in node.rows:  # a change target in words, and why it has no number when it has none
            if row.target_basis:
                name = row.label + (f" [{row.segment}]" if row.segment else "")
                why = f"; {row.target_unavailable}" if row.target_unavailable else ""
                branch.add(f"[dim]{escape(name)}: target {escape(row.target_basis + why)}[/dim]")
    for child in node.children:
        _add(branch.add(_objective_label(child)), child, project)


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def lint(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Check KPI quality: too many KPIs, targets already met or never reached, stale data, overdue reviews..."""
    from onpace.services import feedback

    with user_errors(), project_and_store(project) as (loaded, store):
        findings = feedback.lint(loaded, store)
    if fmt == Format.json:
        sys.stdout.write(json.dumps([f.model_dump(mode="json") for f in findings], indent=2) + "\n")
    elif not findings:
        console.print("[green]OK[/green]: no finding")
    else:
        table = Table(box=None, pad_edge=False, header_style="bold dim")
        for column in ("severity", "rule", "what", "finding", "suggestion"):
            table.add_column(column)
        for f in findings:
            style = SEVERITY_STYLE[f.severity]
            table.add_row(
                f"[{style}]{f.severity}[/{style}]", f.rule, f"{f.kind} {f.name}", f.message, f.suggestion or ""
            )
        console.print(table)
    if any(f.severity in ("error", "warning") for f in findings):
        raise typer.Exit(1)
