"""Commands of the KPI layer: refresh, status."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from onpace.cli.common import (
    ProjectOpt,
    ViewFormat,
    ViewFormatOpt,
    console,
    err,
    parse_options,
    project_and_store,
    user_errors,
)

STATUS_STYLE = {
    "on_track": ("● on track", "green"),
    "achieved": ("✔ achieved", "green"),
    "at_risk": ("▲ at risk", "yellow"),
    "off_track": ("✖ off track", "red"),
    "missed": ("✖ missed", "red"),
    "no_data": ("○ no data", "dim"),
}


AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", metavar="DATE", help="As it was on this date (YYYY-MM-DD), with the data up to it only."),
]


def _as_of(text: str | None) -> Any:
    if text is None:  # no --as-of: the stored scorecard, without importing the evaluation
        return None
    from onpace.errors import UserError
    from onpace.services.evaluate import parse_as_of

    try:
        return parse_as_of(text, "--as-of")
    except UserError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--as-of: "), param_hint="--as-of") from None


def refresh(
    full: Annotated[bool, typer.Option("--full", help="Recompute every period, not only the recent ones.")] = False,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", "-m", help="Only this metric (repeatable); KPIs are re-evaluated.")
    ] = None,
    as_of: AsOfOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Compute the metrics and KPIs into the store (incremental unless --full), then evaluate the KPIs.

    With --as-of, the KPIs are evaluated (and their past periods kept) as of that date, with the
    data up to it: the scorecard shows that date until the next refresh without --as-of.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from onpace.services.refresh import refresh as run_refresh

    day = _as_of(as_of)
    with user_errors(), project_and_store(project) as (loaded, store):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("refreshing", total=None)

            def progress(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=f"refreshing {label}")

            result = run_refresh(loaded, store, full=full, metrics=metric or None, progress=progress, as_of=day)
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
    fmt: ViewFormatOpt = ViewFormat.table,
    as_of: AsOfOpt = None,
    project: ProjectOpt = Path("."),
) -> None:
    """The scorecard: objectives, their KPIs with actual, target, expected to date, forecast, status and why.

    With --as-of, the scorecard as it would have been on that date, computed from the stored values up to it.
    """
    from onpace.services import scorecard
    from onpace.services.filters import ScorecardFilter

    day = _as_of(as_of)
    filters = parse_options(ScorecardFilter, objective=objective, department=department, owner=owner, status=status)
    with user_errors():
        with project_and_store(project) as (loaded, store):
            rows = scorecard.kpi_rows(loaded, store, as_of=day)
        chosen = filters.select(loaded, rows)
        roots = filters.tree(loaded, rows)
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps([row.model_dump(mode="json") for row in chosen], indent=2) + "\n")
        return
    if not rows:
        err.print("no KPI evaluations yet: run 'onpace refresh' first")
        raise typer.Exit(1)
    console.print(_data_header(rows, day), highlight=False)
    _print_tree(roots, loaded)


def _data_header(rows: list[Any], day: Any) -> str:
    """ "Data until 2026-11-18" (the last day with data of every KPI, or its range), and the as-of date."""
    days = sorted({row.data_until for row in rows if row.data_until is not None})
    if not days:
        text = "No data yet"
    elif len(days) == 1:
        text = f"Data until {days[0].isoformat()}"
    else:
        text = f"Data until {days[0].isoformat()} to {days[-1].isoformat()} (by KPI below)"
    as_of = f" · as of {day.isoformat()}" if day is not None else ""
    return f"[dim]{text}{as_of}[/dim]"


def _why(row: Any, several: bool) -> str:
    """A KPI's line under its table: the verdict's reason, how far into its period, and its data's last day."""
    parts = [row.reason] if row.reason else []
    if row.elapsed_share is not None and row.status not in ("achieved", "missed"):
        parts.append(f"{row.elapsed_share:.0%} of {row.period}")
    if several and row.data_until is not None:
        parts.append(f"data until {row.data_until.isoformat()}")
    if row.last_period is not None:
        last = row.last_period
        parts.append(f"{last.period} {last.status}" + (f" ({row.streak} in a row)" if row.streak > 1 else ""))
    return " · ".join(parts)


def _fmt(value: Any, metric: Any) -> str:
    from onpace.cli.output import compact_value

    return compact_value(value, metric.format if metric is not None else None)


def _print_tree(roots: list[Any], project: Any) -> None:
    from onpace.services.scorecard import walk

    days = {row.data_until for node in walk(roots) for row in node.rows}
    for root in roots:
        tree = Tree(_objective_label(root))
        _add(tree, root, project, several=len(days) > 1)
        console.print(tree)


def _objective_label(node: Any) -> str:
    text, colour = STATUS_STYLE[node.status]
    owner = f" · {node.objective.owner}" if node.objective.owner else ""
    return f"[bold]{node.objective.label or node.objective.name}[/bold]{owner}  [{colour}]{text}[/{colour}]"


def _add(branch: Tree, node: Any, project: Any, several: bool = False) -> None:
    from onpace.cli import output
    from onpace.kpi.reason import likelihood, percent

    if node.rows and console.width < output.STATUS_TABLE_WIDTH:  # narrow: a short block per KPI (cli/output.py)
        for row in node.rows:
            metric = project.metrics.get(row.metric)
            fmt = metric.format if metric is not None else None
            branch.add(output.status_block(row, fmt, STATUS_STYLE[row.status], _why(row, several)))
    elif node.rows:
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
                "–" if row.attainment is None else percent(row.attainment),
                _fmt(row.forecast, metric),
                "–" if row.probability is None else likelihood(row.probability),
                f"[{colour}]{text}[/{colour}]",
            )
        branch.add(table)
        for row in node.rows:  # why each KPI has its status; a change target in words
            name = row.label + (f" [{row.segment}]" if row.segment else "")
            why = _why(row, several)
            if why:
                branch.add(f"[dim]{escape(name)}: {escape(why)}[/dim]")
            if row.target_basis:
                why = f"; {row.target_unavailable}" if row.target_unavailable else ""
                branch.add(f"[dim]{escape(name)}: target {escape(row.target_basis + why)}[/dim]")
    for child in node.children:
        _add(branch.add(_objective_label(child)), child, project, several)


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def lint(
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Check KPI quality: too many KPIs, targets already met or never reached, stale data, overdue reviews..."""
    from onpace.services import feedback

    with user_errors(), project_and_store(project) as (loaded, store):
        findings = feedback.lint(loaded, store)
    if fmt == ViewFormat.json:
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
