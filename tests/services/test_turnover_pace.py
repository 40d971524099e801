"""A rate that grows through its period (leavers per head: turnover) is phased as a flow by the pace
and the forecast alike.

Found on the served demo: ``employee_turnover`` (leavers / average headcount, a quarter, at most 4%)
35% into the quarter showed an expected value to date of 4.0% (the whole quarter's target, as for
a level) and "138% of pace" beside a forecast of 4.3% with a 27% chance: the pace read the KPI as
a level (:func:`onpace.kpi.instances.accumulation`), the forecast as a flow
(:func:`onpace.kpi.kind.kind_of`).

By hand: headcount 100 every day; one leaver on 2025-07-05, 2025-07-20 and 2025-08-10; data up to
2025-08-15 (``as_of: latest_data``). Q3 has 92 days, 46 of them to 2025-08-15: the actual to
date is 3 / 100 = 3.0%, the expected value to date 4% x 46 / 92 = 2.0%. Worse than the pace
(more leavers than 2% by now) and the forecast ends above 4%: off track, chance under a half.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.kpi.instances import accumulation
from onpace.kpi.kind import kind_of
from onpace.services import scorecard
from onpace.services.refresh import refresh
from onpace.store.db import Store

MODELS = """
datasets:
  - name: leavers
    table: leavers
    time: left_on
    keys: [{name: employee, column: employee_id}]
    dimensions: [{name: left_on, column: day, type: time}]
    measures: [{name: leavers, agg: count}]
  - name: headcount
    table: headcount
    time: counted_on
    dimensions: [{name: counted_on, column: day, type: time}]
    measures: [{name: heads, agg: sum, expr: heads}]
metrics:
  - {name: leavers, measure: leavers.leavers}
  - name: average_headcount
    type: semi_additive
    measure: headcount.heads
    over_time: avg
  - name: turnover
    type: derived
    expr: leavers / average_headcount
    inputs: [{metric: leavers}, {metric: average_headcount}]
    format: {kind: percent, decimals: 1}
    direction: lower
objectives:
  - {name: people, owner: CEO}
kpis:
  - name: turnover
    metric: turnover
    objective: people
    owner: People
    timeframe: quarter
    review_cadence: monthly
    target: {at_most: 0.04}
"""

LAST = dt.date(2025, 8, 15)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "people"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(
        textwrap.dedent(
            """
            name: people
            sources:
              warehouse: {url: "duckdb:///data/warehouse.duckdb"}
            evaluation:
              as_of: latest_data
            """
        ),
        encoding="utf-8",
    )
    (root / "models" / "people.yml").write_text(MODELS, encoding="utf-8")
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE leavers (day DATE, employee_id INTEGER)")
        con.executemany(
            "INSERT INTO leavers VALUES (?, ?)",
            [(dt.date(2025, 7, 5), 1), (dt.date(2025, 7, 20), 2), (dt.date(2025, 8, 10), 3)],
        )
        con.execute("CREATE TABLE headcount (day DATE, heads INTEGER)")
        days = [dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range((LAST - dt.date(2025, 1, 1)).days + 1)]
        con.executemany("INSERT INTO headcount VALUES (?, ?)", [(day, 100) for day in days])
    finally:
        con.close()
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield opened
    finally:
        opened.close()


def test_leavers_per_head_are_a_flow_for_the_pace_and_the_forecast(root: Path) -> None:
    project = load_project(root)
    kpi = project.kpis["turnover"]
    assert kind_of(project, kpi) == "flow"
    assert accumulation(project, kpi) == "flow"  # was "level": the full target expected on day one


def test_the_expected_value_to_date_is_the_phased_target(root: Path, store: Store) -> None:
    project = load_project(root)
    result = refresh(project, store, requested_by="test")
    assert result.status == "succeeded", result.errors
    (row,) = scorecard.kpi_rows(load_project(root), store)
    assert row["as_of"] == LAST
    assert row["actual"] == pytest.approx(0.03)  # 3 leavers / 100 heads
    assert row["expected_to_date"] == pytest.approx(0.04 * 46 / 92)  # was 0.04
    assert row["status"] == "off_track"
    assert row["forecast"] > 0.04 and row["probability"] < 0.5  # the pace and the forecast agree
