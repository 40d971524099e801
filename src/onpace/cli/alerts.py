"""``onpace alert list|history|mute|unmute|test|run``: alert rules, their state and their history."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from onpace.cli.common import ProjectOpt, ViewFormat, ViewFormatOpt, console, parse_date, project_and_store, user_errors

alert_app = typer.Typer(help="Alert rules: their state, history, mutes; test and run them.", no_args_is_help=True)

STATE_STYLE = {
    "firing": "bold red",
    "pending": "yellow",
    "error": "red",
    "no_data": "dim",
    "resolved": "green",
    "normal": "green",
}


def _state(state: str) -> str:
    return f"[{STATE_STYLE.get(state, '')}]{state}[/]"


def _json(value: Any) -> None:
    from onpace.services.views.base import json_of

    sys.stdout.write(json.dumps(json_of(value), indent=2) + "\n")


@alert_app.command("list")
def list_rules(
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Every alert rule: what it watches, its state (the worst of its series) and its mutes."""
    from onpace.services import alert_rules  # not the rules' evaluation (services.alerts)

    with user_errors(), project_and_store(project) as (loaded, store):
        rules = alert_rules.list_rules(loaded, store)
    if fmt == ViewFormat.json:
        _json(rules)
        return
    if not rules:
        console.print("no alert rules (add them under 'alerts:' in a model file; see docs/alerts.md)")
        return
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    for column in ("rule", "kind", "state", "series", "recipients", "rule in words"):
        table.add_column(column)
    for rule in rules:
        firing = sum(1 for s in rule.series if s.state == "firing")
        muted = " (muted)" if rule.mutes else ""
        table.add_row(
            escape(rule.name),
            rule.kind,
            _state(rule.state) + muted,
            f"{len(rule.series)}" + (f" ({firing} firing)" if firing else ""),
            escape(", ".join(rule.recipients) or "-"),
            escape(rule.description),
        )
    console.print(table)


@alert_app.command("history")
def history(
    rule: Annotated[str | None, typer.Argument(help="Only this rule's transitions.")] = None,
    kpi: Annotated[str | None, typer.Option(help="Only the transitions of series of this KPI.")] = None,
    limit: Annotated[int, typer.Option(help="How many transitions at most (the newest).", min=1, max=100000)] = 100,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """The transitions of the alert series, newest first, with the values that caused them."""
    from onpace.services import alerts

    with user_errors(), project_and_store(project) as (loaded, store):
        found = alerts.history(loaded, store, rule=rule, kpi=kpi, limit=limit)
    if fmt == ViewFormat.json:
        _json(found)
        return
    if not found:
        console.print("no transitions yet")
        return
    table = Table(box=None, pad_edge=False, header_style="bold dim")
    for column in ("id", "as of", "rule", "series", "transition", "told", "detail"):
        table.add_column(column)
    for t in found:
        table.add_row(
            str(t.id),
            str(t.as_of or f"{t.at:%Y-%m-%d}"),
            escape(t.rule),
            escape(t.series),
            f"{t.from_state} → {_state(t.to_state)}",
            "yes" if t.notified else "-",
            escape(t.detail),
        )
    console.print(table)


@alert_app.command("mute")
def mute(
    rule: Annotated[str, typer.Argument(help="The rule to mute.")],
    why: Annotated[str, typer.Option("--why", help="Why it is muted (kept with the mute).")],
    until: Annotated[
        str | None, typer.Option(help="Until this time (ISO, e.g. 2026-12-01T09:00; without an offset: UTC).")
    ] = None,
    lasting: Annotated[str | None, typer.Option("--for", help="For this long: '2 hours', '3 days', '1 week'.")] = None,
    series: Annotated[str | None, typer.Option(help="Only this series of the rule (see 'alert list').")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Silence a rule until a time: no message while it lasts; its transitions are still recorded."""
    from onpace.services import alerts
    from onpace.services.alert_mute import mute_end
    from onpace.services.refresh import actor

    at = None
    if until is not None:
        try:
            at = dt.datetime.fromisoformat(until)
        except ValueError:
            raise typer.BadParameter(
                f"{until!r} is not a time (expected e.g. 2026-12-01T09:00)", param_hint="--until"
            ) from None
    with user_errors():
        end = mute_end(until=at, lasting=lasting)
        with project_and_store(project) as (loaded, store):
            made = alerts.mute(loaded, store, rule, until=end, by=actor(), why=why, series=series)
    what = f"series {made.series} of {made.rule}" if made.series else made.rule
    console.print(f"[green]Muted[/green] {escape(what)} until {made.until:%Y-%m-%d %H:%M} UTC (mute {made.id})")


@alert_app.command("unmute")
def unmute(
    mute_id: Annotated[
        int, typer.Argument(help="The mute's id (shown by 'alert mute' and 'alert list --format json').")
    ],
    project: ProjectOpt = Path("."),
) -> None:
    """End a mute now."""
    from onpace.services import alerts
    from onpace.services.refresh import actor

    with user_errors(), project_and_store(project) as (loaded, store):
        said = alerts.unmute(loaded, store, mute_id, by=actor())
    console.print(said, style="green" if said.startswith("Ended") else None, markup=False)  # a name may hold [ ]


@alert_app.command("test")
def test(
    rule: Annotated[str, typer.Argument(help="The rule to try.")],
    send: Annotated[bool, typer.Option(help="Also queue a test message to its recipients.")] = False,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Judge a rule now, without recording anything: what each of its series would be."""
    from onpace.services import alerts

    with user_errors(), project_and_store(project) as (loaded, store):
        found = alerts.test_rule(loaded, store, rule, send=send)
    if fmt == ViewFormat.json:
        _json(found)
        return
    for s in found:
        console.print(f"{escape(s.series)}: {_state(s.state)}  {escape(s.detail)}", highlight=False)
    if send:
        console.print("[green]Queued[/green] a test message (see 'onpace outbox list')")


@alert_app.command("run")
def run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Judge the data known on this date.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Replay day by day from this date ...")] = None,
    end: Annotated[str | None, typer.Option("--to", help="... to this date (inclusive).")] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")] = None,
    fmt: ViewFormatOpt = ViewFormat.table,
    project: ProjectOpt = Path("."),
) -> None:
    """Evaluate the alert rules now (or as of a date, or day by day over a range) and queue their messages."""
    from onpace.services import alerts

    day = parse_date(as_of, "--as-of")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if (first is None) != (last is None):
        raise typer.BadParameter("give both --from and --to", param_hint="--from/--to")
    if first is not None and day is not None:
        raise typer.BadParameter("give --as-of or --from/--to, not both", param_hint="--as-of")
    with user_errors(), project_and_store(project) as (loaded, store):
        if first is not None and last is not None:
            done = alerts.replay_alerts(loaded, store, first, last, rules=rule)
        else:
            done = alerts.evaluate_alerts(loaded, store, as_of=day, rules=rule)
    if fmt == ViewFormat.json:
        _json(done)
        return
    console.print(
        f"{done.rules} rule(s), {done.series} series: {done.transitions} transition(s), "
        f"{done.messages} message(s) queued"
    )
    for name, why in done.errors.items():
        console.print(f"[red]{escape(name)}[/red]: {escape(why)}", highlight=False)
