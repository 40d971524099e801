"""Sending a report: render it, record the run and queue one message per recipient, exactly once per key.

:func:`send_report` renders the report (:mod:`onpace.services.report_render`) with what the last
succeeded run showed (``since`` its start, ``previous`` its KPIs: what changed since), then, in
ONE store transaction, records the run under its key and queues its messages in the outbox:

- the key is ``scheduled:<tick>`` for the scheduler's tick and ``manual:<uuid>`` for a send by
  hand; the run is inserted with ON CONFLICT DO NOTHING, so a second send with the same key (two
  schedulers, a retry) queues nothing and returns the run that was recorded: once per tick;
- an email channel gets the subject "<title> — as of <date>", the plain text, the HTML with its
  charts inline (PNG images with a Content-ID) and the PDF and CSV as attachments (the report's
  ``formats``); the files are kept in the outbox once per run, and every recipient's message
  refers to them (:func:`onpace.store.outbox.keep_files`); an email over the email channel's cap
  (:func:`onpace.notify.email.check_size`) fails the run with why, and queues nothing; Slack,
  Teams, webhook and file channels get the summary: each KPI's status and value, and a link to
  the report in onpace;
- each message's outbox key is ``report:<name>:<run key>:<channel>:<address>``: a retry never
  sends it twice;
- a render that fails records the run as failed, with the error, and queues nothing; a recipient
  that cannot be reached (an owner without an email) is left out and named in the run's error.

The messages are delivered by the outbox's deliverer (:func:`onpace.services.delivery.deliver_due`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from onpace.catalog.channels import EMAIL, EmailChannel
from onpace.catalog.project import Project
from onpace.catalog.reports import Report
from onpace.catalog.schedule import Timing, parse_cron
from onpace.catalog.validate_reports import covered_kpis
from onpace.errors import OnpaceError, UserError
from onpace.kpi.types import STATUS_LABELS
from onpace.notify.email import EmailTooLarge, check_size
from onpace.notify.message import Attachment
from onpace.services.delivery import resolve_recipients
from onpace.services.report_render import RenderedReport, get_report, render_report
from onpace.services.scheduler.triggers import trigger_of
from onpace.services.views.reports import ReportRunView, ReportView
from onpace.store import outbox, report_runs
from onpace.store.coltypes import utcnow
from onpace.store.db import Store
from onpace.store.models import ReportRun

if TYPE_CHECKING:
    from onpace.engine import Engine

log = logging.getLogger("onpace.reports")

ORIGIN = "report:"  # the outbox origin of a report's messages: report:<name>
RECENT_RUNS = 5
# the order a chat message's colour is picked in: the worst status of the report's KPIs
WORST_FIRST = ("off_track", "missed", "at_risk", "no_data", "on_track", "achieved")
STATUS_WORDS = {status: label.lower() for status, label in STATUS_LABELS.items()}
CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv"}

Target = tuple[str, str | None]  # (channel, address): the address for an email channel, else None


def send_report(
    project: Project,
    store: Store,
    engine: Engine | None,
    name: str,
    *,
    as_of: dt.date | None = None,
    to: str | None = None,
    key: str | None = None,
    requested_by: str,
) -> ReportRunView:
    """Render report ``name`` and queue it to its recipients (``to``: to this email address instead).

    ``key``: the run's key (``scheduled:<tick>``; default a new ``manual:<uuid>``, or ``oneoff:<uuid>``
    with ``to`` or ``as_of``: not the baseline of the next report). A run with
    this key already recorded is returned as it is, and nothing is queued. UserError for an
    unknown report, a ``to`` that is no email address, or a ``to`` without an email channel.
    """
    report = get_report(project, name)
    # a send to one address or as of a past date is a one-off: the next report does not count from it
    key = key or (f"{report_runs.ONE_OFF}{uuid.uuid4()}" if to or as_of else f"manual:{uuid.uuid4()}")
    if len(key) > 200:
        raise ValueError(f"a report run's key has at most 200 characters, got {len(key)}")
    targets, problems = recipients_of(project, report, to)
    with store.session(readonly=True) as s:
        existing = report_runs.find_run(s, name, key)
        if existing is not None:
            return ReportRunView.model_validate(existing)
    last = report_runs.last_run(store, name)  # the last that succeeded: what changed since
    since, previous = (last.started_at, last.kpis) if last is not None else (None, None)
    started = utcnow()
    rendered: RenderedReport | None = None
    error: str | None = None
    try:
        rendered = render_report(
            project,
            store,
            engine,
            name,
            as_of=as_of,
            since=since,
            previous=previous,
            formats=list(report.formats),
        )
    except Exception as exc:  # recorded on the run: a report that cannot be rendered is a failed run
        if not isinstance(exc, OnpaceError):
            log.exception("rendering report %s failed", name)
        error = f"the report could not be rendered: {_reason(exc)}"
    if rendered is not None and any(_is_email(project, c) for c, _ in targets):
        try:  # the email channel's cap, asked now: not after the deliverer's tries
            check_size(attachments_of(report, rendered))
        except EmailTooLarge as exc:
            error = f"{exc}; cover fewer KPIs (audience) or drop the pdf from formats"
            rendered = None
    with store.session() as s:
        run_id = report_runs.start_run(
            s,
            name,
            key,
            as_of=rendered.as_of if rendered is not None else as_of,
            requested_by=requested_by,
            started_at=started,
        )
        if run_id is None:  # another sender recorded this key meanwhile: it queued the messages
            found = report_runs.find_run(s, name, key)
            assert found is not None
            return ReportRunView.model_validate(found)
        run: ReportRun
        if rendered is None:
            run = report_runs.finish_run(s, run_id, "failed", error=error)
        elif not targets:
            run = report_runs.finish_run(
                s,
                run_id,
                "failed",
                pages=rendered.pages,
                kpis=rendered.kpis,
                error="nobody to send it to: "
                + ("; ".join(problems) if problems else "the report lists no recipients (send it with --to ADDRESS)"),
            )
        else:
            queued = _enqueue(project, s, report, rendered, key, targets)
            run = report_runs.finish_run(
                s,
                run_id,
                "succeeded",
                messages=queued,
                pages=rendered.pages,
                kpis=rendered.kpis,
                error=("not sent to: " + "; ".join(problems)) if problems else None,
            )
        return ReportRunView.model_validate(run)


def _is_email(project: Project, channel: str) -> bool:
    return isinstance(project.config.channels.get(channel), EmailChannel)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OnpaceError):
        return exc.public_message
    return f"{type(exc).__name__}: {exc}"


def recipients_of(project: Project, report: Report, to: str | None = None) -> tuple[list[Target], list[str]]:
    """The (channel, address) pairs a report goes to, without repeats, and the recipients that cannot be reached.

    ``owner``: the owner of each KPI the report covers, once each. ``to``: only this address,
    through the project's email channel (UserError when it has none, or ``to`` is no address).
    """
    if to is not None:
        address = to.strip()
        if not EMAIL.match(address):
            raise UserError(f"to: '{to}' is not an email address; expected name@example.com")
        channel = next((n for n, c in project.config.channels.items() if isinstance(c, EmailChannel)), None)
        if channel is None:
            raise UserError(
                f"to: sending to '{address}' needs an email channel in onpace.yml (channels: of type email)"
            )
        return [(channel, address)], []
    found: list[Target] = []
    problems: list[str] = []
    owners = list(dict.fromkeys(k.owner for k in covered_kpis(project, report.audience) if k.owner))
    for recipient in report.recipients:
        if recipient == "owner" and not owners:
            problems.append("recipient 'owner': no KPI of the report has an owner")
        for owner in owners if recipient == "owner" else [None]:
            try:
                pairs = resolve_recipients(project, [recipient], kpi_owner=owner)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            found += [pair for pair in pairs if pair not in found]
    return found, problems


def _enqueue(
    project: Project, s: Session, report: Report, rendered: RenderedReport, run_key: str, targets: Sequence[Target]
) -> int:
    """Queue the report's message for each target (in the caller's transaction); how many were queued.

    The email's files are kept once for the run, and each email refers to them."""
    subject = f"{rendered.title} — as of {rendered.as_of.isoformat()}"
    emails = any(_is_email(project, c) for c, _ in targets)
    files = outbox.keep_files(s, attachments_of(report, rendered)) if emails else []
    summary_text, payload = summary(report, rendered, run_key)
    queued = 0
    for channel, address in targets:
        is_email = _is_email(project, channel)
        found = outbox.enqueue(
            s,
            channel=channel,
            to=address,
            subject=subject,
            text=rendered.text if is_email else summary_text,
            html=rendered.html if is_email else None,
            payload=payload,
            key=outbox_key(report.name, run_key, channel, address),
            origin=f"{ORIGIN}{report.name}",
            attachments=files if is_email else (),
        )
        queued += found is not None
    return queued


def outbox_key(report: str, run_key: str, channel: str, address: str | None) -> str:
    """``report:<name>:<run key>:<channel>:<address>``; a longer one keeps its start and a hash of the whole."""
    key = f"{ORIGIN}{report}:{run_key}:{channel}:{address or ''}"
    if len(key) <= outbox.MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"{key[: outbox.MAX_KEY - len(digest) - 1]}:{digest}"


def attachments_of(report: Report, rendered: RenderedReport) -> list[Attachment]:
    """The email's files: each chart as an inline PNG (its Content-ID the ``cid:`` the HTML names),
    then the PDF and the CSV the report's formats ask for."""
    files = [
        Attachment(f"{cid}.png" if not cid.endswith(".png") else cid, "image/png", data, content_id=cid)
        for cid, data in rendered.images.items()
    ]
    base = f"{report.name}-{rendered.as_of.isoformat()}"
    for fmt in report.formats:
        data = rendered.pdf if fmt == "pdf" else rendered.csv
        if data is not None:
            files.append(Attachment(f"{base}.{fmt}", CONTENT_TYPES[fmt], data))
    return files


def summary(report: Report, rendered: RenderedReport, run_key: str) -> tuple[str, dict[str, Any]]:
    """What a chat channel gets: a short text (the KPIs by status) and the payload (title, the
    worst status for the colour, one fact per KPI, the link to the report as of its date)."""
    items = list(rendered.summary)
    counts: dict[str, int] = {}
    for item in items:
        status = str(item.get("status") or "no_data")
        counts[status] = counts.get(status, 0) + 1
    statuses = [s for s in WORST_FIRST if s in counts] + sorted(s for s in counts if s not in WORST_FIRST)
    title = f"{rendered.title} — as of {rendered.as_of.isoformat()}"
    if items:
        text = f"{len(items)} KPI{'s' if len(items) != 1 else ''}: " + ", ".join(
            f"{counts[s]} {STATUS_WORDS.get(s, s.replace('_', ' '))}" for s in statuses
        )
    else:
        text = "The report covers no KPI."
    facts = [[_fact_label(item), _fact_value(item)] for item in items]
    payload: dict[str, Any] = {
        "title": title,
        "status": statuses[0] if statuses else "no_data",
        "facts": facts,
        "url": report_url(report.name, rendered.as_of),
        "report": report.name,
        "as_of": rendered.as_of.isoformat(),
        "run": run_key,
    }
    return text + ".", payload


def report_url(name: str, as_of: dt.date) -> str:
    """The report's preview in onpace as of ``as_of``, relative to ``notifications.app_url``."""
    return f"/reports/{quote(name)}/preview?as_of={as_of.isoformat()}"


def _fact_label(item: dict[str, Any]) -> str:
    """The line's title (the renderer's names the segment); without one, the KPI and its segment."""
    if item.get("label"):
        return str(item["label"])
    segment = item.get("segment")
    return f"{item.get('kpi') or ''} ({segment})" if segment else str(item.get("kpi") or "")


def _fact_value(item: dict[str, Any]) -> str:
    value = item.get("value") or item.get("value_text") or item.get("text") or "–"
    status = str(item.get("status") or "no_data")
    return f"{value} · {STATUS_WORDS.get(status, status.replace('_', ' '))}"


# -- reading ---------------------------------------------------------------------------------------


def list_reports(project: Project, store: Store, runs: int = RECENT_RUNS) -> list[ReportView]:
    """Every report of the project, in its order, with its ``runs`` most recent runs."""
    with store.session(readonly=True) as s:
        found = {name: report_runs.runs_of(s, name, runs) for name in project.reports}
        return [_report_view(project, report, found[name]) for name, report in project.reports.items()]


def report_view(project: Project, store: Store, name: str, runs: int = RECENT_RUNS) -> ReportView:
    report = get_report(project, name)
    with store.session(readonly=True) as s:
        return _report_view(project, report, report_runs.runs_of(s, name, runs))


def run_view(store: Store, run_id: int) -> ReportRunView:
    """One run of a report (NotFoundError when there is none of that id)."""
    with store.session(readonly=True) as s:
        return ReportRunView.model_validate(report_runs.get_run(s, run_id))


def list_runs(project: Project, store: Store, name: str, limit: int = 50) -> list[ReportRunView]:
    """The runs of report ``name``, newest first."""
    get_report(project, name)
    with store.session(readonly=True) as s:
        return [ReportRunView.model_validate(r) for r in report_runs.runs_of(s, name, limit)]


def _report_view(project: Project, report: Report, runs: Sequence[ReportRun]) -> ReportView:
    views = [ReportRunView.model_validate(r) for r in runs]
    timing = report.schedule
    return ReportView(
        name=report.name,
        title=report.title,
        description=report.description,
        audience=report.audience.text,
        kpis=[k.name for k in covered_kpis(project, report.audience)],
        schedule=schedule_words(timing) if timing is not None else None,
        cron=timing.cron if timing is not None else None,
        timezone=timing.timezone if timing is not None else None,
        next_at=trigger_of(timing).next_after(utcnow()) if timing is not None else None,
        recipients=list(report.recipients),
        formats=list(report.formats),
        paper=report.paper,
        last_run=views[0] if views else None,
        runs=views,
    )


_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def schedule_words(timing: Timing) -> str:
    """A report's schedule in words: 'every Monday at 07:00 (Europe/London)', 'on day 1 of every month at
    07:00 (UTC)'; a cron this does not put in words is shown as it is ("cron '*/5 9-17 * * *' (UTC)")."""
    if timing.cron is None:
        return f"every {timing.every} ({timing.timezone})"
    spec = parse_cron(timing.cron)
    shown = f"cron '{timing.cron}' ({timing.timezone})"
    if len(spec.seconds) != 1 or len(spec.minutes) != 1 or len(spec.hours) != 1 or spec.day_or_weekday:
        return shown
    at = f"at {spec.hours[0]:02d}:{spec.minutes[0]:02d}" + (f":{spec.seconds[0]:02d}" if spec.seconds[0] else "")
    every_day, every_weekday, every_month = (
        spec.days == tuple(range(1, 32)),
        spec.weekdays == tuple(range(7)),
        spec.months == tuple(range(1, 13)),
    )
    months = "" if every_month else " in " + _listed([_MONTHS[m - 1] for m in spec.months])
    if every_day and every_weekday:
        when = "every day" + months
    elif every_day:
        when = "every " + _listed([_DAYS[d] for d in spec.weekdays]) + months
    elif every_weekday:
        days = _listed([str(d) for d in spec.days])
        when = f"on day{'s' if len(spec.days) > 1 else ''} {days} of " + (
            "every month" if every_month else _listed([_MONTHS[m - 1] for m in spec.months])
        )
    else:
        return shown
    return f"{when} {at} ({timing.timezone})"


def _listed(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
