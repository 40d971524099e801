"""The reviews page: each KPI with its owner, status and the day its next review is due, and the past reviews."""

from __future__ import annotations

import datetime as dt

from onpace.catalog.project import Project
from onpace.kpi.instances import kpi_instances
from onpace.services import scorecard
from onpace.services.lint import ended
from onpace.services.reviews import DEFAULT_CADENCE, REVIEW_DAYS
from onpace.services.views.notes import ReviewDue
from onpace.store import reviews
from onpace.store.db import Store


def schedule(
    project: Project, store: Store, today: dt.date | None = None, *, as_of: dt.date | None = None
) -> list[ReviewDue]:
    """Every KPI instance with its next review's due day, the most overdue first; KPIs whose one period
    is over last (``ended``): they need one closing review, not one per cadence.

    A review is due ``REVIEW_DAYS`` of its cadence after the last one (a review of the whole KPI
    counts for each segment, as the ``review_overdue`` rule counts it); never reviewed, it is due now.
    ``as_of``: as it stood at the end of that day (a report as of a past date): later reviews do not count.
    """
    today = today or as_of or dt.date.today()
    before = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, dt.UTC) if as_of else None
    with store.session(readonly=True) as s:
        last = reviews.last_reviewed(s, before)
    status = {(r.kpi, r.segment or ""): r.status for r in scorecard.kpi_rows(project, store)}
    out = []
    for instance in kpi_instances(project):
        kpi = instance.kpi
        cadence = kpi.review_cadence.value if kpi.review_cadence else DEFAULT_CADENCE
        times = [at for key in ((kpi.name, ""), (kpi.name, instance.key)) if (at := last.get(key)) is not None]
        reviewed = max(times).astimezone(dt.UTC).date() if times else None
        over = ended(project, kpi, today) is not None
        due = None if reviewed is None else reviewed + dt.timedelta(days=REVIEW_DAYS[cadence])
        out.append(
            ReviewDue(
                kpi=kpi.name,
                segment=instance.segment_value,
                label=kpi.label or kpi.name,
                owner=kpi.owner,
                status=status.get((kpi.name, instance.key)),
                cadence=cadence,
                last_reviewed=reviewed,
                due=due,
                overdue=(due is None or due < today) and not (over and reviewed is not None),
                ended=over,
            )
        )
    out.sort(key=lambda r: (r.ended, not r.overdue, r.due or dt.date.min, r.label))
    return out
