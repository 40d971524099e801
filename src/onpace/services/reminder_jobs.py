"""The scheduler's ``reminders`` job: review reminders on ``reminders.schedule`` (docs/reminders.md).

Made for a project that has KPIs and ``reminders.enabled`` (the default). Its tick's day, in the
schedule's time zone, is the day reminders are due by; every process that runs the scheduler
makes this job, the store's claim runs each tick once, and the outbox keys make a tick run twice
(a takeover after a crash) queue nothing new. The ``deliver`` job sends what it queued.
"""

from __future__ import annotations

from onpace.catalog.project import Project
from onpace.catalog.schedule import check_timezone
from onpace.services.scheduler.jobs import Job, JobContext, Outcome, register_jobs
from onpace.services.scheduler.triggers import trigger_of

JOB = "reminders"


def reminder_jobs(project: Project) -> list[Job]:
    """The ``reminders`` job of ``project``, when it has KPIs and reminders are enabled."""
    settings = project.config.reminders
    if not settings.enabled or not project.kpis:
        return []
    return [Job(JOB, trigger_of(settings.schedule), run_reminders, "reminders.schedule")]


def run_reminders(ctx: JobContext) -> Outcome:
    """Queue the reminders due on the tick's day (in the schedule's time zone)."""
    from onpace.services.reminders import send_reminders

    zone = check_timezone(ctx.project.config.reminders.schedule.timezone)
    run = send_reminders(ctx.project, ctx.store, today=ctx.scheduled_at.astimezone(zone).date())
    details = run.model_dump(mode="json", exclude={"messages"})
    outcome = Outcome(rows=run.queued, details={"reminders": details})
    if run.unreachable:
        outcome.details["note"] = f"not reached: {', '.join(run.unreachable)}"
    return outcome


register_jobs(reminder_jobs)
