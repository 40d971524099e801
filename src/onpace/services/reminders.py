"""Review reminders: the owner of each KPI whose review is due hears about it, once; overdue reviews
escalate to the objective's owner (``reminders:`` in onpace.yml, docs/reminders.md).

For each KPI instance whose review is due (:func:`onpace.services.review_schedule.schedule`: its
due day is today or before, or it was never reviewed; a KPI whose one period is over and was
reviewed is closed), :func:`send_reminders` queues

- a **reminder** to the KPI's owner (their person's email, through the project's email channel)
  and to each of ``reminders.channels``: the KPI's state (status, actual against target, the
  verdict's reason), the due day and a link to record the review;
- an **escalation** to the objective's owner (the objective's, else its parent's...) when the
  review is ``reminders.escalate_after`` or more past due.

**Never twice.** Each message's outbox key names the KPI, the segment and the due day
(``reminder:<kpi>:<segment>:<due day>:owner``, ``…:escalation``; a channel's copy
``…:owner:<channel>``), so a second run on the same day, or a second scheduler process running
the same tick, queues nothing. Once the KPI is reviewed its next due day is a new key: a new
reminder when that day comes. A KPI never reviewed has one key (``never``) until its first
review; it counts as due since the day of its first reminder (kept in the message's payload).

Every enqueue of a run is in one transaction. A person who cannot be reached (no owner, no email,
no email channel) is counted in the run's ``unreachable``; the other messages are queued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session

from onpace.catalog.display import format_value
from onpace.catalog.project import Project
from onpace.catalog.schedule import check_timezone
from onpace.services import review_schedule, scorecard
from onpace.services.views.my import RemindersRun, ReminderView
from onpace.services.views.notes import ReviewDue
from onpace.services.views.scorecard import ScorecardRow
from onpace.store import evaluations, outbox
from onpace.store.coltypes import utcnow
from onpace.store.db import Store

NEVER = "never"  # the due day in the key of a KPI never reviewed
ORIGIN = "reminder:"
MAX_BASE = 160  # the longest start of a key (the rest: ':owner:<channel>', ':escalation')


class _DryRun(Exception):
    """Raised to roll back a dry run's transaction (what it would have queued is counted)."""


@dataclass(frozen=True)
class _Due:
    review: ReviewDue
    row: ScorecardRow | None

    @property
    def segment(self) -> str:
        return self.review.segment or ""

    @property
    def due_text(self) -> str:
        return self.review.due.isoformat() if self.review.due else NEVER


def send_reminders(
    project: Project,
    store: Store,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> RemindersRun:
    """Queue the reminders and escalations due on ``today`` (default: the date ``now``, else the
    clock, in the time zone of ``reminders.schedule``); ``dry_run``: queue nothing, say what would be.

    The KPIs' state is their latest evaluation."""
    settings = project.config.reminders
    if today is None:
        today = (now or utcnow()).astimezone(check_timezone(settings.schedule.timezone)).date()
    rows = {(r.kpi, r.segment or ""): r for r in scorecard.kpi_rows(project, store)}
    due = [
        _Due(r, rows.get((r.kpi, r.segment or "")))
        for r in review_schedule.schedule(project, store, today)
        if review_is_due(r, today)
    ]
    run = RemindersRun(
        today=today,
        dry_run=dry_run,
        due=len(due),
        overdue=sum(1 for d in due if d.review.due is None or d.review.due < today),
        escalated=0,
        queued=0,
        skipped=0,
        unreachable=[],
    )
    try:
        with store.session() as s:
            for item in due:
                _remind(s, project, item, today, run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return run


def review_is_due(review: ReviewDue, today: dt.date) -> bool:
    """Whether a review is due on ``today``: due by then or never made, unless it closed an ended KPI."""
    if review.ended and review.last_reviewed is not None:
        return False
    return review.due is None or review.due <= today


def _remind(s: Session, project: Project, item: _Due, today: dt.date, run: RemindersRun) -> None:
    """Queue the reminder of one due review (and its escalation when it is due) in ``s``."""
    settings = project.config.reminders
    review = item.review
    since = review.due or _first_reminder_day(s, item) or _first_evaluated(s, item, today)
    days = (today - since).days
    owner_targets, why = _reach(project, review.owner, "no owner")
    channel_targets = [(name.partition(":")[2], None) for name in settings.channels]
    subject, text, payload = _compose(project, "reminder", item, since, days, review.owner)
    view = ReminderView(
        kind="reminder",
        kpi=review.kpi,
        segment=review.segment,
        label=review.label,
        to=review.owner,
        due=review.due,
        since=since,
        days_overdue=days,
        queued=0,
        skipped=0,
        unreachable=why,
    )
    if why is not None:
        _unreachable(run, review.owner or f"(no owner of {review.kpi})")
    for channel, to in owner_targets:
        _enqueue(s, view, run, channel, to, subject, text, payload, item, "owner")
    for channel, to in channel_targets:
        if channel not in project.config.channels:  # validation names it; a run still tells the others
            _unreachable(run, f"channel:{channel}")
            continue
        _enqueue(s, view, run, channel, to, subject, text, payload, item, f"owner:{channel}")
    run.messages.append(view)
    after = settings.escalate_after
    if after is None or dt.timedelta(days=days) < after:
        return
    run.escalated += 1
    boss = objective_owner(project, review.kpi)
    targets, why = _reach(project, boss, "no objective owner")
    subject, text, payload = _compose(project, "escalation", item, since, days, boss)
    escalation = view.model_copy(
        update={"kind": "escalation", "to": boss, "queued": 0, "skipped": 0, "unreachable": why}
    )
    if why is not None:
        _unreachable(run, boss or f"(no objective owner of {review.kpi})")
    for channel, to in targets:
        _enqueue(s, escalation, run, channel, to, subject, text, payload, item, "escalation")
    run.messages.append(escalation)


def _enqueue(
    s: Session,
    view: ReminderView,
    run: RemindersRun,
    channel: str,
    to: str | None,
    subject: str,
    text: str,
    payload: dict[str, Any],
    item: _Due,
    suffix: str,
) -> None:
    base = _base(item)
    key = f"{base}:{suffix}"
    if len(key) > outbox.MAX_KEY:  # a very long channel name
        key = f"{base}:#{hashlib.sha256(suffix.encode()).hexdigest()[:16]}"
    found = outbox.enqueue(s, channel=channel, to=to, subject=subject, text=text, payload=payload, key=key, origin=base)
    if found is None:
        view.skipped += 1
        run.skipped += 1
    else:
        view.queued += 1
        run.queued += 1


def _unreachable(run: RemindersRun, name: str) -> None:
    if name not in run.unreachable:
        run.unreachable.append(name)


def _base(item: _Due) -> str:
    """``reminder:<kpi>:<segment>:<due day or never>``: the messages' origin, their keys' start; a
    segment too long for a key is hashed."""
    base = f"{ORIGIN}{item.review.kpi}:{item.segment}:{item.due_text}"
    if len(base) > MAX_BASE:
        digest = hashlib.sha256(item.segment.encode()).hexdigest()[:16]
        base = f"{ORIGIN}{item.review.kpi}:#{digest}:{item.due_text}"
    return base


def _first_reminder_day(s: Session, item: _Due) -> dt.date | None:
    """When a KPI never reviewed was first reminded of (the ``since`` of its messages' payload)."""
    if item.review.due is not None:
        return None
    base = _base(item)  # reminder:<kpi>:<segment>:never
    found = [
        m.payload["since"]
        for m in outbox.list_messages(s, origin=base, limit=1000)
        if m.origin == base and isinstance(m.payload, dict) and isinstance(m.payload.get("since"), str)
    ]
    return dt.date.fromisoformat(min(found)) if found else None


def _first_evaluated(s: Session, item: _Due, today: dt.date) -> dt.date:
    """Since when a KPI never reviewed (and never reminded of) has waited for its first review: its first
    evaluation, so that an owner nobody can reach is still escalated ``escalate_after`` later."""
    first = evaluations.first_evaluated(s, item.review.kpi, item.segment)
    return min(first.astimezone(dt.UTC).date(), today) if first is not None else today


def _reach(project: Project, person: str | None, missing: str) -> tuple[list[tuple[str, str | None]], str | None]:
    """Where ``person`` (an owner's name or email) is reached, or why they are not."""
    from onpace.services.delivery import resolve_recipients

    if not person:
        return [], missing
    try:
        return resolve_recipients(project, ["owner"], kpi_owner=person), None
    except ValueError as exc:
        return [], str(exc)


def objective_owner(project: Project, kpi: str) -> str | None:
    """The owner of the KPI's objective; when it has none, of the objective above it, and so on."""
    definition = project.kpis.get(kpi)
    name = definition.objective if definition is not None else None
    seen: set[str] = set()
    while name is not None and name not in seen and name in project.objectives:
        seen.add(name)
        objective = project.objectives[name]
        if objective.owner:
            return objective.owner
        name = objective.parent
    return None


# -- the message -------------------------------------------------------------------------------------


def review_link(kpi: str, segment: str) -> str:
    """The KPI page's review form: ``/kpis/NAME?segment=...#review``."""
    query = f"?{urlencode({'segment': segment})}" if segment else ""
    return f"/kpis/{quote(kpi)}{query}#review"


def _compose(
    project: Project, kind: str, item: _Due, since: dt.date, days: int, to: str | None
) -> tuple[str, str, dict[str, Any]]:
    """The subject, text and payload of a reminder or an escalation."""
    review, row = item.review, item.row
    shown = review.label + (f" ({review.segment})" if review.segment else "")
    link = review_link(review.kpi, item.segment)
    app_url = project.config.notifications.app_url
    absolute = app_url.rstrip("/") + link if app_url else link
    owner = review.owner or "nobody"
    if review.due is None:
        when = f"due since {since}, never reviewed" if days else "due now: it was never reviewed"
    else:
        when = f"due since {since}" if days else f"due today ({since})"
    if kind == "reminder":
        subject = f"Review due: {shown}"
        lead = f"The review of {shown} is {when}."
    else:
        subject = f"Overdue review: {shown}"
        lead = (
            f"Overdue review: {shown}, {when} ({days} day{'' if days == 1 else 's'}), owner {owner}. "
            f"You are told as the owner of its objective."
        )
    last = f"last reviewed {review.last_reviewed}" if review.last_reviewed else "never reviewed"
    state, facts = _state(project, review, row)
    lines = [
        lead,
        f"Owner: {owner} · reviewed {review.cadence} · {last}",
        "",
        state,
    ]
    if row is not None and row.reason:
        lines.append(row.reason)
    lines += ["", f"Record the review: {absolute}"]
    person = project.config.people.get(owner)
    mention = person.slack if person is not None and person.slack else None
    payload: dict[str, Any] = {
        "title": subject,
        "status": row.status if row is not None else "no_data",
        "facts": {
            "Owner": owner + (f" ({mention})" if mention else ""),
            "Due": str(review.due) if review.due else "now (never reviewed)",
            **facts,
        },
        "url": link,
        "kind": kind,
        "kpi": review.kpi,
        "segment": review.segment,
        "due": review.due.isoformat() if review.due else None,
        "since": since.isoformat(),
        "owner": review.owner,
        "to": to,
        "mention": mention,
    }
    return subject, "\n".join(lines) + "\n", payload


def _state(project: Project, review: ReviewDue, row: ScorecardRow | None) -> tuple[str, dict[str, str]]:
    """The KPI's state in one line (status, actual against target, period) and as facts."""
    if row is None:
        return "State: not evaluated yet.", {"Status": "not evaluated"}
    definition = project.kpis.get(review.kpi)
    metric = project.metrics.get(definition.metric or "") if definition is not None else None
    fmt = getattr(metric, "format", None)
    actual = format_value(row.actual, fmt)
    if row.target_low is not None and row.target_high is not None:
        target = f"between {format_value(row.target_low, fmt)} and {format_value(row.target_high, fmt)}"
    elif row.target is not None:
        target = format_value(row.target, fmt)
    else:
        target = row.target_unavailable or "none"
    status = row.status.replace("_", " ")
    line = f"State: {status} ({row.period}): actual {actual} against a target of {target}."
    return line, {"Status": status, "Actual": actual, "Target": target, "Period": row.period}
