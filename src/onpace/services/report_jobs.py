"""The scheduler's ``report:<name>`` jobs: one per report with a ``schedule``, on its cron.

Each tick sends the report with the run key ``scheduled:<tick>`` (:func:`send_report`), so of two
schedulers that both get to one tick only one records the run and queues its messages; then it
delivers what is due when the project has channels. Registered with the scheduler's job factories
when :mod:`onpace.services.scheduler` is imported (``onpace serve`` and ``onpace worker``).
"""

from __future__ import annotations

import logging

from onpace.catalog.project import Project
from onpace.services.scheduler.jobs import Job, JobContext, JobFunction, Outcome, register_jobs
from onpace.services.scheduler.triggers import trigger_of

PREFIX = "report:"
log = logging.getLogger("onpace.scheduler")


def report_jobs(project: Project) -> list[Job]:
    """A ``report:<name>`` job for each report with a schedule, in name order."""
    return [
        Job(
            name=f"{PREFIX}{name}",
            trigger=trigger_of(report.schedule),
            run=_job(name),
            origin=f"reports.{name}.schedule",
        )
        for name, report in sorted(project.reports.items())
        if report.schedule is not None
    ]


def _job(name: str) -> JobFunction:
    def run(ctx: JobContext) -> Outcome:
        return send_scheduled(ctx, name)

    return run


def send_scheduled(ctx: JobContext, name: str) -> Outcome:
    """Send report ``name`` for this tick (once, whichever scheduler runs it), then deliver what is due."""
    from onpace.services.delivery import deliver_due
    from onpace.services.report_delivery import send_report

    with ctx.engine() as engine:
        run = send_report(
            ctx.project,
            ctx.store,
            engine,
            name,
            key=f"scheduled:{ctx.scheduled_at.isoformat()}",
            requested_by=f"scheduler ({ctx.job})",
        )
    outcome = Outcome(
        rows=run.messages,
        details={"report_run": run.id, "as_of": str(run.as_of), "messages": run.messages, "pages": run.pages},
    )
    if run.status == "failed":
        outcome.status = "failed"
        outcome.error = run.error
    if ctx.project.config.channels:
        try:
            outcome.details["delivery"] = deliver_due(ctx.project, ctx.store).model_dump(mode="json")
        except Exception as exc:
            log.exception("%s: the delivery step failed", ctx.job)
            outcome.status = "failed"
            message = f"delivery: {type(exc).__name__}: {exc}"
            outcome.error = f"{outcome.error}; {message}" if outcome.error else message
    return outcome


register_jobs(report_jobs)
