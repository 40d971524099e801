"""Commands of continuous review: record a KPI review, list the reviews, send the reminders of reviews due.

``onpace reviews`` is a group whose default command lists the reviews (``onpace reviews [KPI]`` is
``onpace reviews list [KPI]``); ``onpace reviews remind`` queues the review reminders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from onpace.cli.common import (
    ProjectOpt,
    ViewFormat,
    ViewFormatOpt,
    console,
    parse_date,
    project_and_store,
    store_only,
    user_errors,
)
from onpace.cli.kpis import STATUS_STYLE


class _ListByDefault(TyperGroup):
    """A group whose arguments go to its ``list`` command unless they name one of its commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a typer (vendored click) Context
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)


reviews_app = typer.Typer(
    cls=_ListByDefault,
    help="The reviews of the KPIs (onpace reviews [KPI]), and the reminders of reviews due (onpace reviews remind).",
)


def review(
    kpi: Annotated[str, typer.Argument(help="The KPI reviewed.")],
    assessment: Annotated[
        str,
        typer.Option(help="Your assessment of its status: on_track, at_risk, off_track, achieved or missed."),
    ],
    comment: Annotated[str, typer.Option(help="What was concluded, and why.")],
    action: Annotated[
        list[str] | None, typer.Option("--action", help="An action agreed in the review (repeatable).")
    ] = None,
    segment: Annotated[
        str | None, typer.Option(help="The segment reviewed, for KPIs with segment_by; omit for the whole KPI.")
    ] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Record a review of a KPI: your assessment, a comment and the actions agreed."""
    from onpace.services.refresh import actor
    from onpace.services.reviews import record_review

    with user_errors(), project_and_store(project) as (loaded, store):
        done = record_review(
            loaded,
            store,
            kpi,
            reviewer=actor(),
            assessment=assessment,
            commentary=comment,
            actions=action or (),
            segment=segment,
        )
    period = f", period from {done.period_start}" if done.period_start else ""
    console.print(
        f"[green]Recorded[/green] review {done.id} of {_label(done)}: {_assessment(done.assessment)} "
        f"by {escape(done.reviewer)} on {done.reviewed_at:%Y-%m-%d %H:%M} UTC{period}",
        highlight=False,
    )
    console.print(f"  {done.commentary}", highlight=False, markup=False)
    for todo in done.actions:
        console.print(f"  action: {todo}", highlight=False, markup=False)


def list_reviews(
    kpi: Annotated[str | None, typer.Argument(help="Only the reviews of this KPI.")] = None,
    limit: Annotated[int, typer.Option(help="How many reviews at most (the newest).", min=1)] = 100,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The reviews of the KPIs (or of one), newest first."""
    from onpace.services import feedback

    if kpi is None:  # every review: the store only (the definitions tell a KPI's name from a typo)
        with user_errors(), store_only(project) as store:
            found = feedback.reviews(None, store, None, limit)
    else:
        with user_errors(), project_and_store(project) as (loaded, store):
            found = feedback.reviews(loaded, store, kpi, limit)
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in found], indent=2) + "\n")
        return
    if not found:
        console.print(f"no review{' of ' + kpi if kpi else ''} yet: record one with 'onpace review KPI'", markup=False)
        return
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    for column in ("reviewed (UTC)", "KPI", "assessment", "reviewer", "period", "comment", "actions"):
        table.add_column(column)
    for r in found:
        table.add_row(
            f"{r.reviewed_at:%Y-%m-%d %H:%M}",
            _label(r),
            _assessment(r.assessment),
            escape(r.reviewer),
            str(r.period_start or "–"),
            escape(r.commentary),
            escape("\n".join(r.actions)),
        )
    console.print(table)


def remind(
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="The day taken as today (YYYY-MM-DD); default: today.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Queue nothing: show what would be queued.")] = False,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Queue the reminders of the reviews due (and the escalations of overdue ones), once each."""
    from onpace.services.reminders import send_reminders

    day = parse_date(as_of, "--as-of")
    with user_errors(), project_and_store(project) as (loaded, store):
        run = send_reminders(loaded, store, today=day, dry_run=dry_run)
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps(run.model_dump(mode="json"), indent=2) + "\n")
        return
    if run.messages:
        table = Table(box=None, pad_edge=False, header_style="bold dim")
        for column in ("KPI", "message", "to", "due", "overdue (days)", "queued", "already sent", "not reached"):
            table.add_column(column)
        for m in run.messages:
            table.add_row(
                escape(m.kpi + (f" [{m.segment}]" if m.segment else "")),
                m.kind,
                escape(m.to or "–"),
                str(m.due or "never reviewed"),
                str(m.days_overdue),
                str(m.queued),
                str(m.skipped),
                escape(m.unreachable or ""),
            )
        console.print(table)
    verb = "would queue" if run.dry_run else "queued"
    console.print(
        f"{run.today}: {run.due} review(s) due, {run.overdue} overdue, {run.escalated} escalated; "
        f"{verb} {run.queued} message(s), {run.skipped} already sent",
        highlight=False,
        markup=False,
    )
    if run.unreachable:
        console.print(f"not reached (no email): {', '.join(run.unreachable)}", highlight=False, markup=False)


reviews_app.command("list")(list_reviews)
reviews_app.command("remind")(remind)


def _label(review: Any) -> str:
    return escape(review.kpi + (f" [{review.segment}]" if review.segment else ""))


def _assessment(word: str) -> str:
    text, colour = STATUS_STYLE[word]
    return f"[{colour}]{text}[/{colour}]"
