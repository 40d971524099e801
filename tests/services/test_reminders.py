"""Review reminders on a small team (SQLite and PostgreSQL): due, overdue, escalation after the delay
and not before, never twice, a new reminder once reviewed, a dry run, segments, the CLI.

The team (``write_team``): a manual metric ``signups``, 10 a day from 2026-03-01 to 2026-03-19, and

- ``weekly_signups`` (Ana Ruiz, reviewed weekly, last on 2026-03-10): due 2026-03-10 + 7 days =
  2026-03-17; objective ``reach`` has no owner, so it escalates to its parent ``grow``'s, Bo Chen;
- ``monthly_signups`` (Cy Dube, who has no email; never reviewed): due now, reached only through
  the ``team_chat`` channel; it counts as due from the day of its first reminder;
- ``reviewed_lately`` (Ana Ruiz, monthly, last on 2026-03-15): due 2026-03-15 + 31 days = 2026-04-15.

``escalate_after`` is 5 days. The numbers in the messages, by hand: the month's actual is 19 x 10 =
190 against 300 (expected to date 300 x 19/31 = 183.87: on track); the quarter's 190 against 900.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.site_fixtures import Site
from typer.testing import CliRunner

from onpace.catalog.project import Project, load_project
from onpace.cli.reviews import reviews_app
from onpace.services.evaluate import evaluate_and_store
from onpace.services.reminders import send_reminders
from onpace.store import observations as obs
from onpace.store import reviews
from onpace.store.db import Store
from onpace.store.models import OutboxMessage

DAY = dt.date(2026, 3, 20)
CONFIG = """
name: team
sources: {warehouse: {url: "duckdb:///data/none.duckdb"}}
channels:
  mail: {type: email, host: 127.0.0.1, port: 2525, security: none, from: onpace@team.example}
  team_chat: {type: file, folder: outbox}
people:
  Ana Ruiz: {email: ana@team.example, user: ana, slack: "@ana"}
  Bo Chen: {email: bo@team.example, user: bo}
  Cy Dube: {user: cy}
notifications: {app_url: "https://onpace.team.example"}
reminders:
  escalate_after: 5 days
  channels: [channel:team_chat]
"""
MODELS = """
metrics:
  - {name: signups, type: manual, grain: day}
objectives:
  - {name: grow, label: Grow, owner: Bo Chen}
  - {name: reach, label: Reach more people, parent: grow}
kpis:
  - name: weekly_signups
    label: Signups this month
    metric: signups
    objective: reach
    owner: Ana Ruiz
    timeframe: month
    review_cadence: weekly
    target: {at_least: 300}
  - name: monthly_signups
    label: Signups this quarter
    metric: signups
    objective: grow
    owner: Cy Dube
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 900}
  - name: reviewed_lately
    metric: signups
    objective: grow
    owner: Ana Ruiz
    timeframe: month
    review_cadence: monthly
    target: {at_least: 1}
"""
OWNER = "reminder:weekly_signups::2026-03-17:owner"
OWNER_CHAT = "reminder:weekly_signups::2026-03-17:owner:team_chat"
NEVER_CHAT = "reminder:monthly_signups::never:owner:team_chat"
FIRST_KEYS = {OWNER, OWNER_CHAT, NEVER_CHAT}


def write_team(root: Path, extra_config: str = "") -> Path:
    """The team's project (see the module's docstring) in ``root``."""
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(textwrap.dedent(CONFIG) + extra_config, encoding="utf-8")
    (root / "models" / "team.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    return root


def fill_team(project: Project, store: Store, *, reviewed: bool = True, evaluate: bool = True) -> None:
    """The signups, the two past reviews (``reviewed``), and the KPIs evaluated on 2026-03-20."""
    with store.session() as s:
        series = obs.get_or_create_series(s, "signups", "day", "", origin="manual")
        obs.write_observations(s, series, [(dt.date(2026, 3, 1) + dt.timedelta(days=i), 10.0) for i in range(19)])
        if reviewed:
            for kpi, day in (("weekly_signups", 10), ("reviewed_lately", 15)):
                at = dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC)
                reviews.add_review(s, kpi, "ana", "on_track", "fine", reviewed_at=at)
    if evaluate:
        evaluate_and_store(project, store, today=DAY)


def outbox_rows(store: Store) -> dict[str, OutboxMessage]:
    with store.session(readonly=True) as s:
        return {m.key: m for m in s.scalars(select(OutboxMessage))}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return load_project(write_team(tmp_path / "team"))


@pytest.fixture
def store(store_url: str, project: Project) -> Iterator[Store]:
    opened = Store.open(store_url)
    fill_team(project, opened)
    yield opened
    opened.close()


def test_due_reviews_reach_their_owner_once(project: Project, store: Store) -> None:
    run = send_reminders(project, store, today=DAY)
    # weekly_signups (due 2026-03-17) and monthly_signups (never reviewed); reviewed_lately is due 2026-04-15
    assert (run.due, run.overdue, run.escalated) == (2, 2, 0)
    assert (run.queued, run.skipped, run.unreachable) == (3, 0, ["Cy Dube"])
    found = outbox_rows(store)
    assert set(found) == FIRST_KEYS
    mail = found[OWNER]
    assert (mail.channel, mail.recipient, mail.subject) == (
        "mail",
        "ana@team.example",
        "Review due: Signups this month",
    )
    assert mail.text.splitlines()[:4] == [
        "The review of Signups this month is due since 2026-03-17.",
        "Owner: Ana Ruiz · reviewed weekly · last reviewed 2026-03-10",
        "",
        "State: on track (2026-03): actual 190.00 against a target of 300.00.",
    ]
    assert "Record the review: https://onpace.team.example/kpis/weekly_signups#review" in mail.text
    assert mail.payload["url"] == "/kpis/weekly_signups#review"  # channels make it absolute with app_url
    assert mail.payload["mention"] == "@ana" and mail.payload["facts"]["Owner"] == "Ana Ruiz (@ana)"
    assert (mail.payload["status"], mail.payload["due"], mail.payload["kind"]) == ("on_track", "2026-03-17", "reminder")
    chat = found[NEVER_CHAT]  # Cy has no email: the channel still hears of it
    assert (chat.channel, chat.recipient, chat.subject) == ("team_chat", None, "Review due: Signups this quarter")
    assert "is due now: it was never reviewed" in chat.text
    assert "State: off track (2026-Q1): actual 190.00 against a target of 900.00." in chat.text
    cy = next(m for m in run.messages if m.kpi == "monthly_signups")
    assert "Cy Dube" in (cy.unreachable or "") and (cy.queued, cy.since) == (1, DAY)

    again = send_reminders(project, store, today=DAY)  # the same day again: never twice
    assert (again.queued, again.skipped, again.due) == (0, 3, 2)
    assert set(outbox_rows(store)) == FIRST_KEYS


def test_escalation_after_the_delay_and_not_before(project: Project, store: Store) -> None:
    send_reminders(project, store, today=DAY)
    # 2026-03-21: weekly_signups is 4 days overdue (< 5): no escalation
    day4 = send_reminders(project, store, today=dt.date(2026, 3, 21))
    assert (day4.escalated, day4.queued, day4.skipped) == (0, 0, 3)
    # 2026-03-22: 5 days: the objective's owner hears of it (reach has none: its parent grow's, Bo Chen)
    day5 = send_reminders(project, store, today=dt.date(2026, 3, 22))
    assert (day5.escalated, day5.queued, day5.skipped) == (1, 1, 3)
    found = outbox_rows(store)
    escalation = found["reminder:weekly_signups::2026-03-17:escalation"]
    assert (escalation.channel, escalation.recipient) == ("mail", "bo@team.example")
    assert escalation.subject == "Overdue review: Signups this month"
    assert escalation.text.startswith(
        "Overdue review: Signups this month, due since 2026-03-17 (5 days), owner Ana Ruiz."
    )
    # monthly_signups was first reminded on 2026-03-20: due since then, it escalates on 2026-03-25, not 03-24
    day24 = send_reminders(project, store, today=dt.date(2026, 3, 24))
    assert (day24.escalated, day24.queued) == (1, 0)
    day25 = send_reminders(project, store, today=dt.date(2026, 3, 25))
    assert (day25.escalated, day25.queued) == (2, 1)
    never = outbox_rows(store)["reminder:monthly_signups::never:escalation"]
    assert never.recipient == "bo@team.example"
    assert "due since 2026-03-20, never reviewed (5 days), owner Cy Dube" in never.text
    assert len(outbox_rows(store)) == 5


def test_a_review_moves_the_due_day_and_the_next_one_is_a_new_reminder(project: Project, store: Store) -> None:
    send_reminders(project, store, today=DAY)
    with store.session() as s:
        at = dt.datetime(2026, 3, 23, 9, tzinfo=dt.UTC)
        reviews.add_review(s, "weekly_signups", "ana", "on_track", "better", reviewed_at=at)
    # reviewed on 2026-03-23: next due 2026-03-30; the overdue one is gone, no escalation on 03-25
    later = send_reminders(project, store, today=dt.date(2026, 3, 25))
    assert [m.kpi for m in later.messages if m.kind == "reminder"] == ["monthly_signups"]
    assert not any(k.startswith("reminder:weekly_signups::2026-03-17:escalation") for k in outbox_rows(store))
    due = send_reminders(project, store, today=dt.date(2026, 3, 30))
    assert {m.kpi for m in due.messages} >= {"weekly_signups"}
    keys = set(outbox_rows(store))
    assert {"reminder:weekly_signups::2026-03-30:owner", "reminder:weekly_signups::2026-03-30:owner:team_chat"} <= keys
    fresh = next(m for m in due.messages if m.kpi == "weekly_signups")
    assert (fresh.due, fresh.days_overdue, fresh.queued) == (dt.date(2026, 3, 30), 0, 2)
    assert outbox_rows(store)["reminder:weekly_signups::2026-03-30:owner"].text.startswith(
        "The review of Signups this month is due today (2026-03-30)."
    )


def test_a_dry_run_queues_nothing(project: Project, store: Store) -> None:
    dry = send_reminders(project, store, today=DAY, dry_run=True)
    assert (dry.dry_run, dry.queued, dry.skipped) == (True, 3, 0)
    assert outbox_rows(store) == {}
    assert send_reminders(project, store, today=DAY).queued == 3


def test_without_escalation_and_disabled(tmp_path: Path, store_url: str) -> None:
    root = write_team(tmp_path / "quiet")
    text = (root / "onpace.yml").read_text(encoding="utf-8").replace("escalate_after: 5 days", "escalate_after: null")
    (root / "onpace.yml").write_text(text, encoding="utf-8")
    project = load_project(root)
    with Store.open(store_url) as store:
        fill_team(project, store, evaluate=False)
        run = send_reminders(project, store, today=dt.date(2026, 6, 1))  # months overdue, never escalated
        assert (run.escalated, run.queued) == (0, 5)  # now reviewed_lately is due too (2026-04-15)
        unevaluated = outbox_rows(store)["reminder:reviewed_lately::2026-04-15:owner"]
        assert "State: not evaluated yet." in unevaluated.text


def test_segments_are_in_the_keys_and_the_links(site: Site) -> None:
    """The TPC-H site: orders_by_region has one instance per region; only the Head of Sales has an email."""
    with (site.root / "onpace.yml").open("a", encoding="utf-8") as config:
        config.write(
            "\nchannels:\n  mail: {type: email, host: 127.0.0.1, port: 2525, security: none}\n"
            "people:\n  Head of Sales: {email: sales@tpch.example, user: strategist}\n"
        )
    project = load_project(site.root)
    run = send_reminders(project, site.workspace.store, today=dt.date(1998, 8, 3))
    # never reviewed: every instance is due: 7 KPIs of one instance, orders_by_region's 5 regions
    assert (run.due, run.overdue, run.escalated) == (12, 12, 0)
    # the Head of Sales owns quarterly_revenue, revenue_growth, order_value_band and the 5 regions
    assert run.queued == 8
    assert sorted(run.unreachable) == ["Head of Marketing", "Head of Operations", "Head of Sales Europe"]
    found = outbox_rows(site.workspace.store)
    middle = found["reminder:orders_by_region:MIDDLE EAST:never:owner"]
    assert middle.subject == "Review due: Orders this fiscal year, by region (MIDDLE EAST)"
    assert middle.payload["url"] == "/kpis/orders_by_region?segment=MIDDLE+EAST#review"
    assert {k for k in found if k.startswith("reminder:orders_by_region:")} == {
        f"reminder:orders_by_region:{region}:never:owner"
        for region in ("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST")
    }


def test_the_cli(project: Project, store: Store, store_url: str) -> None:
    runner = CliRunner()
    env = {"ONPACE_DATABASE_URL": store_url}
    args = ["remind", "--as-of", "2026-03-20", "-p", str(project.root)]
    dry = runner.invoke(reviews_app, [*args, "--dry-run", "--format", "json"], env=env)
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.output)
    assert (shown["dry_run"], shown["queued"], shown["due"], shown["unreachable"]) == (True, 3, 2, ["Cy Dube"])
    assert outbox_rows(store) == {}
    table = runner.invoke(reviews_app, args, env={**env, "COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "2 review(s) due, 2 overdue, 0 escalated; queued 3 message(s), 0 already sent" in table.output
    assert "not reached (no email): Cy Dube" in table.output
    assert set(outbox_rows(store)) == FIRST_KEYS
    bad = runner.invoke(reviews_app, ["remind", "--as-of", "20/03/2026", "-p", str(project.root)], env=env)
    assert bad.exit_code != 0 and "is not a date" in bad.output


def test_an_owner_nobody_can_reach_is_still_escalated(tmp_path: Path, store_url: str) -> None:
    """monthly_signups (Cy Dube, no email) never reviewed, no reminder channel: nothing reaches Cy, yet the
    objective's owner hears of it escalate_after (5 days) after the KPI was first evaluated (2026-03-20)."""
    from sqlalchemy import update

    from onpace.store.models import KpiEvaluation

    root = write_team(tmp_path / "unreached")
    text = (root / "onpace.yml").read_text(encoding="utf-8").replace("  channels: [channel:team_chat]\n", "")
    (root / "onpace.yml").write_text(text, encoding="utf-8")
    project = load_project(root)
    with Store.open(store_url) as store:
        fill_team(project, store)
        with store.session() as s:  # evaluated on DAY (the clock of this test is its own)
            s.execute(update(KpiEvaluation).values(evaluated_at=dt.datetime(2026, 3, 20, 6, tzinfo=dt.UTC)))
        day4 = send_reminders(project, store, today=dt.date(2026, 3, 24))
        assert "reminder:monthly_signups::never:escalation" not in outbox_rows(store)
        assert any(u.startswith("Cy Dube") or "Cy Dube" in u for u in day4.unreachable), day4.unreachable
        send_reminders(project, store, today=dt.date(2026, 3, 25))
        escalation = outbox_rows(store)["reminder:monthly_signups::never:escalation"]
        assert escalation.recipient == "bo@team.example"
        assert "due since 2026-03-20, never reviewed (5 days), owner Cy Dube" in escalation.text
