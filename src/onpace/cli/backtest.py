"""``onpace backtest``: replay past periods and score the forecasts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, err, project_and_store, user_errors

if TYPE_CHECKING:
    from onpace.services.views.backtest import BacktestReport, BacktestScore

KIND_WORDS = {"count_distinct": "distinct"}


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(score: BacktestScore) -> list[str]:
    held = "-" if score.coverage is None else f"{score.covered}/{score.intervals} {score.coverage:.0%}"
    error = "-" if score.point_error is None else f"{score.point_error:.1%}"
    return [held, _number(score.brier), _number(score.baseline_brier), error]


def _print(report: BacktestReport) -> None:
    points = ", ".join(f"{p:.0%}" for p in report.points)
    table = Table(title=f"Forecasts made {points} through every past period", title_justify="left")
    table.add_column("KPI")
    table.add_column("kind")
    table.add_column("periods", justify="right")
    table.add_column(f"{report.interval:.0%} held", justify="right", no_wrap=True)
    table.add_column("Brier", justify="right")
    table.add_column("pace", justify="right")
    table.add_column("error", justify="right")
    for kpi in report.kpis:
        name = kpi.kpi + (f" [{kpi.segment}]" if kpi.segment else "")
        table.add_row(name, KIND_WORDS.get(kpi.kind, kpi.kind), str(kpi.periods), *_row(kpi.score))
    table.add_section()
    table.add_row("[bold]all[/bold]", "", str(sum(k.periods for k in report.kpis)), *_row(report.overall))
    console.print(table)
    console.print(
        "[dim]held: replays whose final value fell inside the forecast's interval; Brier: mean of "
        "(probability - met)^2, lower is better; pace: the same for the pace-only rule (1 on track, 0.5 at "
        f"risk, 0 off track); error: mean |forecast - final| / |final|. {report.seconds:.1f} s.[/dim]"
    )


def backtest(
    kpi: Annotated[str | None, typer.Option("--kpi", "-k", help="Only this KPI.")] = None,
    points: Annotated[
        int, typer.Option("--points", "-n", min=1, max=20, help="Replays per period: 3 is 25%, 50% and 75% through.")
    ] = 3,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Replay every past period of each recurring KPI at several points and score the forecasts.

    Each replay judges the KPI with the data up to that day only; the scores are the share of
    replays whose final value fell inside the forecast's interval, the Brier score of the
    probability of meeting the target against the pace-only rule, and the point forecast's error.
    """
    from onpace.services import backtest as service

    with user_errors(), project_and_store(project) as (loaded, store):
        if fmt == ViewFormat.table and err.is_terminal:
            with console.status("Replaying past periods…"):
                report = service.run(loaded, store, kpi=kpi, count=points)
        else:
            report = service.run(loaded, store, kpi=kpi, count=points)
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
        return
    _print(report)
