"""Demoting and promoting edit the YAML round trip: comments, quoting, order and the other KPIs stay."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.services.lifecycle import demote, promote
from onpace.store.db import Store

GOALS = textwrap.dedent(
    """\
    # Marketing's KPIs, agreed at the offsite.
    kpis:
      - name: m_visits   # the traffic goal
        metric: visits
        label: "Visits, this quarter"
        objective: grow
        owner: 'Marketing'
        timeframe: quarter
        review_cadence: monthly
        target: {at_least: 9000}
      # under review: may go
      - name: m_late
        metric: late_rate
        objective: grow
        owner: Operations
        timeframe: month
        review_cadence: weekly
        target: {at_most: 0.2}  # was 0.25
      - name: m_lines
        metric: lines
        description: >-
          Order lines of the month,
          all regions.
        objective: grow
        owner: "Sales ops"
        timeframe: month
        review_cadence: monthly
        target: {at_least: 50}

    # Objectives are in shop.yml.
    """
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def test_demoting_keeps_comments_quoting_order_and_the_other_kpis(shop: Path, store: Store) -> None:
    goals = shop / "models" / "goals.yml"
    goals.write_text(GOALS, encoding="utf-8")
    demote(load_project(shop), store, "m_late", actor="ana", reason="not a lever")

    lines = GOALS.splitlines()
    first = lines.index("  # under review: may go")
    last = lines.index("  - name: m_lines")
    assert goals.read_text(encoding="utf-8").splitlines() == lines[:first] + lines[last:]
    project = load_project(shop)
    assert "m_late" not in project.kpis and "late_rate" in project.metrics
    assert project.kpis["m_visits"].label == "Visits, this quarter"
    assert project.kpis["m_lines"].description == "Order lines of the month, all regions."


def test_demoting_the_last_kpi_keeps_what_follows_the_list(shop: Path, store: Store) -> None:
    goals = shop / "models" / "goals.yml"
    goals.write_text(GOALS, encoding="utf-8")
    demote(load_project(shop), store, "m_lines", actor="ana", reason="r")
    text = goals.read_text(encoding="utf-8")
    assert text.startswith(
        "# Marketing's KPIs, agreed at the offsite.\nkpis:\n  - name: m_visits   # the traffic goal\n"
    )
    assert "target: {at_most: 0.2}  # was 0.25\n\n# Objectives are in shop.yml.\n" in text
    assert "m_lines" not in text and "all regions" not in text


def test_promoting_keeps_the_promoted_file_s_comments(shop: Path, store: Store) -> None:
    promoted = shop / "models" / "promoted.yml"
    definition = {
        "objective": "grow",
        "owner": "no",  # text, though YAML 1.1 reads a bare no as false
        "timeframe": "month",
        "review_cadence": "monthly",
        "target": {"at_least": 1},
    }
    promote(load_project(shop), store, "visits", definition, actor="ana", reason="r")
    promoted.write_text(promoted.read_text(encoding="utf-8") + "# keep this note\n", encoding="utf-8")
    promote(load_project(shop), store, "lines", definition, actor="ana", reason="r")
    text = promoted.read_text(encoding="utf-8")
    assert text.startswith("# KPIs promoted from metrics with 'onpace promote'.\nkpis:\n  - name: visits\n")
    assert "# keep this note\n" in text and text.index("name: visits") < text.index("name: lines")
    assert "    owner: 'no'\n" in text
    kpis = load_project(shop).kpis
    assert (kpis["visits"].owner, kpis["lines"].owner) == ("no", "no")
