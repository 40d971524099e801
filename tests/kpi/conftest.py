"""A small project for the tests of the KPI rules that read definitions (instances, targets, periods).

No data and no store: the tests build the KPI's values (:class:`onpace.kpi.series.KpiSeries`) by hand.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from onpace.catalog.project import Project, load_project

MODELS = """
datasets:
  - name: sales
    table: sales
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
      - {name: channel, column: channel}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: lines, agg: count}
      - {name: buyers, agg: count_distinct, expr: customer}

metrics:
  - {name: revenue, measure: revenue}
  - {name: lines, measure: lines}
  - {name: buyers, measure: buyers}
  - {name: ticket, type: ratio, numerator: revenue, denominator: lines, direction: lower}
  - {name: budget, type: manual, grain: month, over_time: sum}
  - {name: headcount, type: manual, grain: month, over_time: last}

objectives:
  - {name: grow, owner: CEO}

kpis:
  - name: q_revenue
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {at_least: 900}
      - {from: 2025-01-01, at_least: 1200}
  - name: growth
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {change: "+10%", vs: previous_period}
  - name: by_region
    metric: revenue
    segment: "channel  =  'web'"
    segment_by: region
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    targets:
      - {segment: SOUTH, at_least: 20}
      - {segment: "O'HARE", at_least: 10}
  - name: q_buyers
    metric: buyers
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 50}
  - name: cheap_tickets
    metric: ticket
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {at_most: 30}
  - name: ticket_level
    metric: revenue
    accumulation: level
    direction: lower
    objective: grow
    owner: Sales
    timeframe: 2025-Q3
    review_cadence: monthly
    target: {at_most: 5000}
  - name: spend
    metric: budget
    objective: grow
    owner: Finance
    timeframe: fiscal_year
    review_cadence: monthly
    target: {at_least: 1}
  - name: from_2025
    metric: lines
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {from: 2025-01-01, at_least: 5}
  - name: staff
    metric: headcount
    objective: grow
    owner: People
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 1}
"""


@pytest.fixture
def load(tmp_path: Path) -> Callable[[str], Project]:
    """The project above, with ``evaluation.as_of`` set to the argument (``today`` or ``latest_data``)."""

    def loaded(as_of: str = "today") -> Project:
        root = tmp_path / as_of
        (root / "models").mkdir(parents=True)
        (root / "onpace.yml").write_text(
            f"name: rules\nevaluation:\n  as_of: {as_of}\ncalendar:\n  fiscal_year_start: 4\n", encoding="utf-8"
        )
        (root / "models" / "shop.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
        return load_project(root, env={})

    return loaded
