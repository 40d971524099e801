"""The scheduler: what runs by itself, exactly once per tick, in every process that shares a store.

``onpace serve`` runs it in each of its processes and ``onpace worker`` runs only it; the store's
claims (:mod:`onpace.store.schedule`) make one of them run each tick. See docs/scheduler.md.
"""

from __future__ import annotations

import onpace.services.reminder_jobs  # noqa: F401  # registers the review reminders' job
from onpace.services import report_jobs  # noqa: F401  # registers the reports' jobs (report:<name>)
from onpace.services.scheduler.jobs import (
    Job,
    JobContext,
    Outcome,
    jobs_of,
    metrics_of_source,
    register_jobs,
    register_kind,
)
from onpace.services.scheduler.loop import Scheduler

__all__ = [
    "Job",
    "JobContext",
    "Outcome",
    "Scheduler",
    "jobs_of",
    "metrics_of_source",
    "register_jobs",
    "register_kind",
]
