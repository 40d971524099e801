"""``onpace outbox list|retry``: the messages queued for delivery, and sending a failed one again."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, project_and_store, user_errors

outbox_app = typer.Typer(help="The outbox: notifications queued, sent, failing or dead.", no_args_is_help=True)

STATUSES = ("queued", "sending", "failed", "delivered", "dead")
STYLE = {"delivered": "green", "failed": "yellow", "dead": "bold red", "sending": "cyan", "queued": "dim"}


@outbox_app.command("list")
def list_messages(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only this status (repeatable): " + ", ".join(STATUSES) + ".")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only the messages of this channel.")] = None,
    origin: Annotated[str | None, typer.Option(help="Only messages whose origin starts so, e.g. alert:.")] = None,
    limit: Annotated[int, typer.Option(help="How many messages at most (the newest).", min=1, max=10000)] = 50,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The messages of the outbox, newest first: where they go, their status, tries and last error."""
    from onpace.services import delivery

    for value in status or []:
        if value not in STATUSES:
            raise typer.BadParameter(f"{value!r}; expected one of {', '.join(STATUSES)}", param_hint="--status")
    with user_errors(), project_and_store(project) as (_, store):
        found = delivery.list_outbox(
            store, status=status, channel=channel, origin=origin, limit=limit, with_tries=fmt == ViewFormat.json
        )
    if fmt == ViewFormat.json:
        sys.stdout.write(json.dumps([m.model_dump(mode="json") for m in found], indent=2) + "\n")
        return
    if not found:
        console.print("the outbox is empty" + (" for these filters" if status or channel or origin else ""))
        return
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    for column in (
        "id",
        "created (UTC)",
        "channel",
        "to",
        "subject",
        "status",
        "tries",
        "next try / delivered",
        "error",
    ):
        table.add_column(column)
    for m in found:
        when = m.delivered_at if m.status == "delivered" else m.next_attempt_at
        table.add_row(
            str(m.id),
            f"{m.created_at:%Y-%m-%d %H:%M}",
            escape(m.channel),
            escape(m.to or "-"),
            escape(m.subject[:60]),
            f"[{STYLE.get(m.status, '')}]{m.status}[/]",
            str(m.attempts),
            f"{when:%Y-%m-%d %H:%M}" if when else "",
            escape((m.last_error or "")[:80]),
        )
    console.print(table)


@outbox_app.command("retry")
def retry(
    message_id: Annotated[int, typer.Argument(help="The message's id (see onpace outbox list).", min=1)],
    project: ProjectOpt = Path("."),
) -> None:
    """Make a failed or dead message due now; the next delivery sends it (a delivered one is refused)."""
    from onpace.services import delivery
    from onpace.services.refresh import actor

    with user_errors(), project_and_store(project) as (_, store):
        done = delivery.retry(store, message_id, by=actor())
    console.print(
        f"[green]Queued again[/green] message {done.id} ({escape(done.subject)}) to {escape(done.channel)}: "
        "it is sent by the next delivery (onpace serve, onpace worker)",
        highlight=False,
    )
