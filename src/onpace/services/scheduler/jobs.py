"""The jobs the scheduler runs, and the registry that makes them from a project.

Built in:

- ``refresh:<source>`` for each source with a ``refresh:`` timing in onpace.yml: refresh the
  metrics whose datasets read that source (:mod:`onpace.catalog.lineage`), evaluate the KPIs, then
  the alert rules (``onpace.services.alerts.evaluate_alerts``), then deliver what they queued
  (``onpace.services.delivery.deliver_due``);
- ``deliver`` every ``schedule.delivery_every`` when the project has channels;
- the kinds of ``schedule.jobs`` entries: ``heartbeat`` (records a run and does nothing else:
  it shows on the Health page that a scheduler is alive) and whatever :func:`register_kind` adds.

More jobs come from code: :func:`register_kind` names a kind that ``schedule.jobs`` entries
(``kind`` or ``kind:name``) run, and :func:`register_jobs` adds a function that makes jobs from
the project itself (e.g. a report's own cron in its definition).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from onpace.catalog.lineage import datasets_read
from onpace.catalog.project import Project
from onpace.errors import UserError, did_you_mean_suffix
from onpace.services.scheduler.triggers import Every, Trigger, trigger_of
from onpace.store.db import Store

log = logging.getLogger("onpace.scheduler")


@dataclass
class Outcome:
    """How a job's run went: what it wrote and, for a refresh, its run's id."""

    status: str = "succeeded"  # succeeded or failed
    rows: int | None = None
    refresh_run: int | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobContext:
    """What a running job gets: the project, the store, its tick, and the process's warm engine."""

    project: Project
    store: Store
    job: str
    scheduled_at: dt.datetime
    run_id: int
    stopping: threading.Event
    engine: Callable[[], Any]  # a context manager giving the scheduler's engine (one refresh at a time)


JobFunction = Callable[[JobContext], Outcome]


@dataclass(frozen=True)
class Job:
    name: str
    trigger: Trigger
    run: JobFunction
    origin: str  # where its timing is defined, for messages: 'sources.crm.refresh'


JobFactory = Callable[[Project], list[Job]]

_KINDS: dict[str, JobFunction] = {}
_FACTORIES: list[JobFactory] = []


def register_kind(kind: str, run: JobFunction) -> None:
    """Let ``schedule.jobs`` entries named ``kind`` (or ``kind:NAME``) run ``run``."""
    _KINDS[kind] = run


def register_jobs(factory: JobFactory) -> None:
    """Add a function that makes more jobs from the project (called whenever the project loads)."""
    if factory not in _FACTORIES:
        _FACTORIES.append(factory)


def kinds() -> list[str]:
    return sorted(_KINDS)


def jobs_of(project: Project) -> list[Job]:
    """Every scheduled job of ``project``; a ``schedule.jobs`` entry of an unknown kind is a UserError."""
    schedule = project.config.schedule
    jobs: list[Job] = []
    for source, definition in sorted(project.sources.items()):
        if definition.refresh is not None:
            jobs.append(
                Job(
                    name=f"refresh:{source}",
                    trigger=trigger_of(definition.refresh),
                    run=_refresh_job(source),
                    origin=f"sources.{source}.refresh",
                )
            )
    if project.config.channels:
        jobs.append(Job("deliver", Every(schedule.delivery_seconds), deliver_job, "schedule.delivery_every"))
    for name, timing in sorted(schedule.jobs.items()):
        if not timing.enabled:
            continue
        kind = name.partition(":")[0]
        if kind not in _KINDS:
            raise UserError(
                f"onpace.yml: schedule.jobs.{name}: there is no job kind '{kind}' (known: {', '.join(kinds())})"
                + did_you_mean_suffix(kind, _KINDS)
            )
        jobs.append(Job(name, trigger_of(timing), _KINDS[kind], f"schedule.jobs.{name}"))
    for factory in _FACTORIES:
        jobs += factory(project)
    return jobs


def metrics_of_source(project: Project, source: str) -> list[str]:
    """The metrics whose values come from ``source``: those reading one of its datasets."""
    return sorted(
        name
        for name in project.metrics
        if any(project.source_of(project.datasets[ds]) == source for ds in datasets_read(project, name))
    )


# -- the built-in jobs -----------------------------------------------------------------------------
def heartbeat_job(ctx: JobContext) -> Outcome:
    """Does nothing but record its run: on the Health page, it shows a scheduler is alive."""
    return Outcome(rows=0, details={"pid": os.getpid()})


def _refresh_job(source: str) -> JobFunction:
    def run(ctx: JobContext) -> Outcome:
        return refresh_source(ctx, source)

    return run


def refresh_source(ctx: JobContext, source: str) -> Outcome:
    """Refresh ``source``'s metrics in this (warm) process, evaluate, then the alerts, then deliver."""
    from onpace.services.refresh import refresh

    metrics = metrics_of_source(ctx.project, source)
    if not metrics:
        return Outcome(rows=0, details={"metrics": 0, "note": f"no metric reads source '{source}'"})
    with ctx.engine() as engine:
        result = refresh(
            ctx.project, ctx.store, metrics=metrics, requested_by=f"scheduler ({ctx.job})", engine=engine, evaluate=True
        )
    outcome = Outcome(
        rows=result.rows,
        refresh_run=result.run_id,
        details={"metrics": len(metrics), "series": result.series, "evaluated": result.evaluated},
    )
    if result.status == "failed":
        outcome.status = "failed"
    if result.errors:
        shown = "; ".join(f"{what}: {why}" for what, why in list(result.errors.items())[:5])
        outcome.error = f"refresh {result.status} ({len(result.errors)} failures): {shown}"[:4000]
    after_refresh(ctx, outcome)
    return outcome


def after_refresh(ctx: JobContext, outcome: Outcome) -> None:
    """Evaluate the alert rules, then deliver what they queued (each step's failure fails the job)."""
    from onpace.services.alerts import evaluate_alerts
    from onpace.services.delivery import deliver_due

    steps: list[tuple[str, Callable[[Project, Store], Any]]] = [("alerts", evaluate_alerts), ("delivery", deliver_due)]
    for step, call in steps:
        if step == "delivery" and not ctx.project.config.channels:
            continue
        try:
            done = call(ctx.project, ctx.store)
        except Exception as exc:
            log.exception("%s: the %s step failed", ctx.job, step)
            outcome.status = "failed"
            message = f"{step}: {type(exc).__name__}: {exc}"
            outcome.error = f"{outcome.error}; {message}" if outcome.error else message
            return
        outcome.details[step] = _summary(done)


def deliver_job(ctx: JobContext) -> Outcome:
    """Deliver the queued notifications that are due."""
    from onpace.services.delivery import deliver_due

    return Outcome(rows=0, details={"delivery": _summary(deliver_due(ctx.project, ctx.store))})


def _summary(value: Any) -> Any:
    """A result (a view) as JSON-ready data for the run's details."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return {
            k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in asdict(value).items()
        }
    return None if value is None else str(value)


register_kind("heartbeat", heartbeat_job)
