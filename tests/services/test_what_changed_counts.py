"""What changed for a count: its values and moves are whole numbers, written without decimals.

Data (DuckDB), one row per ticket, every day from 2025-01-01 to 2025-04-10; each ticket has
``points`` 1.0. Per day: EU 2 tickets and US 1 before April, EU 3 and US 5 from April. As of
2025-04-10 a quarterly KPI compares 2025-04-01..04-10 with 2025-01-01..01-10 (10 days):

- tickets (a count): before EU 20 + US 10 = 30, now EU 30 + US 50 = 80; +50 (+166.7%), of
  which US +40 (80%) and EU +10 (20%);
- points (a sum of 1.0 per ticket: the same numbers, but not a count): written with the
  decimals of a plain number, 80.00 vs 30.00, +40.00.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator

import duckdb
import pytest

from onpace.config import Settings
from onpace.services.refresh import refresh
from onpace.services.what_changed import what_changed
from onpace.services.workspace import Workspace

FIRST, APRIL, LAST = dt.date(2025, 1, 1), dt.date(2025, 4, 1), dt.date(2025, 4, 10)
PER_DAY = {"before": {"EU": 2, "US": 1}, "now": {"EU": 3, "US": 5}}

MODELS = """
datasets:
  - name: tickets
    table: tickets
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: tickets, agg: count}
      - {name: points, agg: sum, expr: points}
metrics:
  - {name: tickets, label: Tickets, measure: tickets}
  - {name: points, label: Points, measure: points}
objectives:
  - {name: serve, owner: Support}
kpis:
  - name: q_tickets
    metric: tickets
    objective: serve
    owner: Support
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 500}
  - name: q_points
    metric: points
    objective: serve
    owner: Support
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 500}
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("counts") / "desk"
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / ".onpace").mkdir()
    (root / "onpace.yml").write_text("name: desk\nevaluation:\n  as_of: latest_data\n", encoding="utf-8")
    (root / "models" / "desk.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    rows = []
    day = FIRST
    while day <= LAST:
        for region, count in PER_DAY["now" if day >= APRIL else "before"].items():
            rows += [(day, region, 1.0)] * count
        day += dt.timedelta(days=1)
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE tickets (day DATE, region VARCHAR, points DOUBLE)")
        con.executemany("INSERT INTO tickets VALUES (?, ?, ?)", rows)
    finally:
        con.close()
    ws = Workspace(root, Settings(database_url=f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}"))
    try:
        result = refresh(ws.project(), ws.store)
        assert not result.failures, result.failures
        yield ws
    finally:
        ws.close()


def test_a_count_is_written_without_decimals(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_tickets")
    assert (found.value_now, found.value_before, found.change) == (80, 30, 50)
    assert found.paragraph == (
        "Tickets this quarter is up 166.7% on the same 10 days of last quarter (80 vs 30). "
        "By region, US contributed most: +40 (80% of the change), then EU +10 (20%)."
    )


def test_a_sum_of_the_same_numbers_keeps_its_decimals(workspace: Workspace) -> None:
    found = what_changed(workspace, "q_points")
    assert (found.value_now, found.value_before, found.change) == (80, 30, 50)
    assert found.paragraph == (
        "Points this quarter is up 166.7% on the same 10 days of last quarter (80.00 vs 30.00). "
        "By region, US contributed most: +40.00 (80% of the change), then EU +10.00 (20%)."
    )
