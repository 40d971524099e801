"""Continuous review: a record each time a person reviews a KPI, and a lint rule when a review is overdue.

A review is what its owner concluded, apart from what onpace computed: their
own assessment of the status (``on_track``, ``at_risk``, ``off_track``,
``achieved``, ``missed``), commentary, and the actions agreed. It is kept with
the period it was about (from the KPI's latest evaluation) and an audit entry.

``review_overdue`` (run by ``onpace lint``) warns about each KPI, per segment
for KPIs with ``segment_by``, whose last review is older than its
``review_cadence`` allows, or that was never reviewed. A review of the whole
KPI counts for each of its segments.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, get_args

from onpace.errors import QueryError, UserError, did_you_mean
from onpace.services.findings import Finding
from onpace.store import audit, reads
from onpace.store.db import Store
from onpace.store.vocabulary import ReviewAssessment

if TYPE_CHECKING:
    from onpace.catalog.project import Project
    from onpace.store.models import Review

ASSESSMENTS: tuple[str, ...] = get_args(ReviewAssessment)
#: Days a review cadence allows between two reviews (dates compared, reviews dated in UTC).
REVIEW_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "yearly": 366}
DEFAULT_CADENCE = "monthly"


def record_review(
    project: Project,
    store: Store,
    kpi: str,
    *,
    reviewer: str,
    assessment: str,
    commentary: str,
    actions: Iterable[str] = (),
    segment: str | None = None,
) -> Review:
    """Record that ``reviewer`` reviewed ``kpi`` (one ``segment`` of it, or the whole); return the review.

    The review and its audit entry are written in one transaction. Its period
    is the one of the KPI's latest evaluation (for that segment), if any.
    """
    from onpace.store import reviews  # writing: SQLAlchemy's ORM (listing reviews does without it)
    from onpace.store.models import Review

    segment_key = _check(project, kpi, assessment, segment)
    if not commentary.strip():
        raise UserError(
            "a review needs a comment (commentary in the API, --comment in the CLI): what was concluded, and why"
        )
    todo = [a.strip() for a in actions if a.strip()]
    with store.session() as s:
        period_start = _period_reviewed(reads.latest_evaluations(s, kpi), segment_key)
        review_id = reviews.add_review(
            s,
            kpi,
            reviewer,
            assessment,  # type: ignore[arg-type]  # checked by _check
            commentary.strip(),
            actions=todo,
            segment=segment_key,
            period_start=period_start,
        )
        audit.audit(
            s,
            reviewer,
            "kpi.review",
            "kpi",
            kpi,
            {
                "review_id": review_id,
                "segment": segment_key,
                "assessment": assessment,
                "period_start": period_start.isoformat() if period_start else None,
            },
        )
        row = s.get(Review, review_id)
    assert row is not None
    return row


def _check(project: Project, kpi_name: str, assessment: str, segment: str | None) -> str:
    """The segment key ('' for the whole KPI) after checking the KPI, segment and assessment."""
    from onpace.kpi.instances import kpi_instances  # the catalog's models: listing reviews does without them

    kpi = project.kpis.get(kpi_name)
    if kpi is None:
        raise QueryError(f"unknown KPI '{kpi_name}'", suggestion=did_you_mean(kpi_name, project.kpis))
    if assessment not in ASSESSMENTS:
        raise QueryError(
            f"unknown assessment '{assessment}' (expected one of {', '.join(ASSESSMENTS)})",
            suggestion=did_you_mean(assessment, ASSESSMENTS),
        )
    if not segment:
        return ""
    if kpi.segment_by is None:
        raise UserError(f"KPI '{kpi_name}' has no segment_by: review it as a whole (without a segment)")
    known = [i.segment_value for i in kpi_instances(project) if i.kpi.name == kpi_name and i.segment_value]
    if segment not in known:
        raise QueryError(
            f"KPI '{kpi_name}' has no segment '{segment}' (its {kpi.segment_by} values with targets: "
            f"{', '.join(known) or 'none'})",
            suggestion=did_you_mean(segment, known),
        )
    return segment


def _period_reviewed(latest: list[Any], segment: str) -> dt.date | None:
    """The period of the newest evaluation of the segment; for the whole KPI, of any of its segments."""
    mine = [e for e in latest if e.segment == segment] or ([] if segment else latest)
    if not mine:
        return None
    newest = max(mine, key=lambda e: (e.evaluated_at, e.id))
    return newest.period_start


def history(project: Project | None, store: Store, kpi: str | None = None, limit: int = 100) -> list[Any]:
    """The newest ``limit`` reviews (of one KPI), newest first (rows of ``reviews``).

    A KPI no longer in the project (demoted) still shows its reviews; a name
    with no reviews that is not a KPI is an error with a "did you mean". The
    project is needed only for that: it may be None when ``kpi`` is.
    """
    with store.reader() as r:
        found = reads.list_reviews(r, kpi, limit)
    if kpi is not None and not found:
        if project is None:
            raise ValueError("a KPI's name is checked against the project's definitions: pass the project")
        if kpi not in project.kpis:
            raise QueryError(f"unknown KPI '{kpi}'", suggestion=did_you_mean(kpi, project.kpis))
    return found


def review_dict(review: Any) -> dict[str, Any]:
    """A review as plain JSON (times and dates in ISO form)."""
    return {
        "id": review.id,
        "kpi": review.kpi,
        "segment": review.segment or None,
        "reviewed_at": review.reviewed_at.isoformat(),
        "reviewer": review.reviewer,
        "assessment": review.assessment,
        "commentary": review.commentary,
        "actions": list(review.actions),
        "period_start": review.period_start.isoformat() if review.period_start else None,
    }


def overdue(project: Project, store: Store, today: dt.date) -> list[Finding]:
    """Rule ``review_overdue``: KPIs (per segment) never reviewed, or not within their review cadence."""
    from onpace.kpi.instances import kpi_instances
    from onpace.store import reviews

    with store.session(readonly=True) as s:
        last = reviews.last_reviewed(s)
    out: list[Finding] = []
    for instance in kpi_instances(project):
        kpi = instance.kpi
        cadence = kpi.review_cadence.value if kpi.review_cadence else DEFAULT_CADENCE
        allowed = REVIEW_DAYS[cadence]
        times = [at for key in ((kpi.name, ""), (kpi.name, instance.key)) if (at := last.get(key)) is not None]
        where = f" --segment {shlex.quote(instance.segment_value)}" if instance.segment_value else ""
        suggestion = f"onpace review {kpi.name}{where} --assessment ... --comment '...'"
        if not times:
            message = f"never reviewed; it is reviewed {cadence}"
        else:
            day = max(times).astimezone(dt.UTC).date()
            days = (today - day).days
            if days <= allowed:
                continue
            message = (
                f"last reviewed on {day}, {days} days ago; it is reviewed {cadence} (at most {allowed} days apart)"
            )
        out.append(Finding("review_overdue", "warning", "kpi", instance.name, message, suggestion))
    return out
