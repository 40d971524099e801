"""Commands of the scheduler: ``onpace worker`` (only the scheduled jobs) and ``onpace runs list``."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, err, user_errors

runs_app = typer.Typer(help="The history of scheduled jobs and refresh runs.", no_args_is_help=True)


def worker(
    grace: Annotated[
        float | None,
        typer.Option(
            min=0, help="Seconds to wait for a running job after SIGTERM/SIGINT (default: schedule.stop_grace_seconds)."
        ),
    ] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Run the scheduled jobs, and nothing else, until SIGTERM or Ctrl-C (next to `onpace serve --workers N`)."""
    from onpace.config import Settings
    from onpace.services.scheduler import Scheduler, jobs_of
    from onpace.services.workspace import Workspace

    _log_to_stderr()
    with user_errors():
        ws = Workspace(project, Settings())
        jobs = jobs_of(ws.project())  # a broken project or an unknown job kind fails here, named
    scheduler = Scheduler(ws)
    names = ", ".join(f"{job.name} ({job.trigger.describe()})" for job in jobs) or "none yet"
    console.print(f"onpace worker runs the scheduled jobs of [bold]{ws.project().config.name}[/bold]: {names}")

    def stop(signum: int, frame: Any) -> None:
        err.print(f"{signal.Signals(signum).name}: stopping (finishing or releasing the running jobs)")
        scheduler.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.run_forever()
    finally:
        scheduler.stop(grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        ws.close()


def _log_to_stderr() -> None:
    logger = logging.getLogger("onpace.scheduler")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@runs_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many of each (job runs, refresh runs).")] = 20,
    job: Annotated[str | None, typer.Option(help="Only the runs of this job, e.g. refresh:warehouse.")] = None,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The scheduled jobs' runs (one per tick) and the refresh runs, newest first."""
    from rich.table import Table

    from onpace.cli.common import store_only
    from onpace.services import runs
    from onpace.services.views.base import json_of
    from onpace.services.views.runs import RunsList

    with user_errors(), store_only(project) as store:
        found = runs.runs_list(store, limit)
        if job is not None:
            found = RunsList(jobs=runs.list_job_runs(store, limit, job), refresh_runs=found.refresh_runs)
    if fmt == ViewFormat.json:
        print(json.dumps(json_of(found), indent=2))
        return
    jobs = Table(
        "job", "tick (UTC)", "status", "took s", "values", "refresh run", "where", "error", header_style="bold"
    )
    for r in found.jobs:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}" if r.finished_at else ""
        status = r.status + (f" (attempt {r.attempt})" if r.attempt > 1 else "")
        jobs.add_row(
            r.job,
            r.scheduled_at.strftime("%Y-%m-%d %H:%M:%S"),
            status,
            took,
            "" if r.rows is None else str(r.rows),
            "" if r.run_id is None else str(r.run_id),
            f"{r.host}:{r.pid}",
            (r.error or "")[:80],
        )
    console.print(jobs if found.jobs else "[dim]no scheduled job has run[/dim]")
    refreshes = Table("run", "started (UTC)", "mode", "status", "by", "failed", header_style="bold")
    for run in found.refresh_runs:
        refreshes.add_row(
            str(run.id),
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.mode,
            run.status,
            run.requested_by,
            f"{run.metrics_failed}/{run.metrics_total}",
        )
    console.print(refreshes if found.refresh_runs else "[dim]no refresh has run[/dim]")
