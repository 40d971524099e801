"""A scorecard as of a past date equals the one computed on a copy of the data cut at that date.

One project, two stores: the first is refreshed on the whole data (2023-01-01..2025-06-30) and
evaluated ``as_of`` 2025-05-14; the second is refreshed on a copy without the rows after
2025-05-14 and evaluated with today = 2025-05-14. Every number of every KPI is the same: a flow
(sums of days, seasonal phasing), a rate (its value to date from the engine), a distinct count,
a change target against last year, and a KPI split by region whose SOUTH data stops on
2025-05-10. So are the past periods each store keeps up to then.

And by hand: as of 2025-03-31, the quarterly revenue of 2025-Q1 is over (90 days of NORTH's 10
and SOUTH's 20 a day: 2,700 against at least 2,600, achieved), and the monthly late rate of May
2025 to 2025-05-14 is 4 late lines (NORTH and SOUTH, days 5 and 10) of 24 (NORTH's 14, SOUTH's 10).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest

from onpace.catalog.project import load_project
from onpace.services import scorecard
from onpace.services.evaluate import evaluate_all
from onpace.services.refresh import refresh
from onpace.store.db import Store

FIRST, LAST, SOUTH_LAST = dt.date(2023, 1, 1), dt.date(2025, 6, 30), dt.date(2025, 5, 10)
CUT = dt.date(2025, 5, 14)

MODELS = """
datasets:
  - name: orders
    table: orders
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: region, column: region}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: lines, agg: count}
      - {name: late_lines, agg: count, filter: late = 1}
      - {name: buyers, agg: count_distinct, expr: customer}

metrics:
  - {name: revenue, measure: revenue}
  - {name: lines, measure: lines}
  - {name: late_lines, measure: late_lines}
  - {name: buyers, measure: buyers}
  - {name: late_rate, type: ratio, numerator: late_lines, denominator: lines, direction: lower}

objectives:
  - {name: grow, owner: CEO}

kpis:
  - name: q_revenue
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    phasing: seasonal
    target: {at_least: 2600}
  - name: m_growth
    metric: revenue
    objective: grow
    owner: Sales
    timeframe: month
    review_cadence: monthly
    target: {change: "+5%", vs: same_period_last_year}
  - name: lateness
    metric: late_rate
    objective: grow
    owner: Operations
    timeframe: month
    review_cadence: monthly
    target: {at_most: 0.12}
  - name: q_buyers
    metric: buyers
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 40}
  - name: by_region
    metric: revenue
    segment_by: region
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {segment: NORTH, at_least: 880}
      - {segment: SOUTH, at_least: 1900}
"""


def _project(root: Path, as_of: str, last: dt.date) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(f"name: cut\nevaluation:\n  as_of: {as_of}\n", encoding="utf-8")
    (root / "models" / "shop.yml").write_text(textwrap.dedent(MODELS), encoding="utf-8")
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute("CREATE TABLE orders (day DATE, region VARCHAR, customer VARCHAR, amount DOUBLE, late INTEGER)")
        # NORTH 10 a day (12 on Saturdays), SOUTH 20 a day up to SOUTH_LAST; late on days 5 and 10 of a
        # month; customers c0..c60 by day of the year
        con.execute(
            """
            INSERT INTO orders
            SELECT d::DATE, r.region, 'c' || ((dayofyear(d) * r.k) % 61)::VARCHAR,
                   r.amount + CASE WHEN dayofweek(d) = 6 AND r.region = 'NORTH' THEN 2 ELSE 0 END,
                   CASE WHEN day(d) IN (5, 10) THEN 1 ELSE 0 END
            FROM range(?::DATE, ?::DATE + 1, INTERVAL 1 DAY) AS t(d),
                 (VALUES ('NORTH', 10.0, 7), ('SOUTH', 20.0, 11)) AS r(region, amount, k)
            WHERE r.region = 'NORTH' OR d <= ?::DATE
            """,
            [FIRST, last, SOUTH_LAST],
        )
    finally:
        con.close()
    return root


def _numbers(result: Any) -> dict[str, Any]:
    e = dataclasses.asdict(result.evaluation)
    return {**e, "data_until": result.data_until}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same fields, numbers equal to 1e-9 (relative), everything else equal."""
    if a.keys() != b.keys():
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, float) and isinstance(other, float):
            if not math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif value != other:
            return False
    return True


@pytest.mark.parametrize("as_of", ["latest_data", "today"])
def test_as_of_a_date_equals_the_data_cut_there(tmp_path: Path, as_of: str) -> None:
    whole = _project(tmp_path / "whole", as_of, LAST)
    cut = _project(tmp_path / "cut", as_of, CUT)
    stores = Store.open(f"sqlite:///{tmp_path / 'whole.db'}"), Store.open(f"sqlite:///{tmp_path / 'cut.db'}")
    try:
        assert refresh(load_project(whole), stores[0], requested_by="test").status == "succeeded"
        assert refresh(load_project(cut), stores[1], requested_by="test", as_of=CUT).status == "succeeded"
        then = evaluate_all(load_project(whole), stores[0], as_of=CUT, history=True)
        there = evaluate_all(load_project(cut), stores[1], today=CUT, history=True)
        assert [(r.instance.kpi.name, r.instance.key) for r in then] == [
            (r.instance.kpi.name, r.instance.key) for r in there
        ]
        assert len(then) == 6
        for a, b in zip(then, there, strict=True):
            assert _same(_numbers(a), _numbers(b)), (_numbers(a), _numbers(b))
            assert [dataclasses.asdict(e) for e, _ in a.past] == [dataclasses.asdict(e) for e, _ in b.past]
        late = next(r for r in then if r.instance.kpi.name == "lateness").evaluation
        assert (late.period_start, late.as_of, late.actual) == (dt.date(2025, 5, 1), CUT, pytest.approx(4 / 24))
        south = next(r for r in then if r.instance.key == "SOUTH")
        assert south.evaluation.as_of == SOUTH_LAST  # judged as of its own last day with data, either way
        # the scorecard rows, computed as of then, equal the rows the cut store keeps
        rows_then = scorecard.kpi_rows(load_project(whole), stores[0], as_of=CUT)
        rows_there = scorecard.kpi_rows(load_project(cut), stores[1])
        skip = {"evaluated_at"}
        for a_row, b_row in zip(rows_then, rows_there, strict=True):
            a_values = {k: v for k, v in a_row.model_dump().items() if k not in skip}
            b_values = {k: v for k, v in b_row.model_dump().items() if k not in skip}
            assert _same(a_values, b_values), (a_values, b_values)
    finally:
        for store in stores:
            store.close()


def test_as_of_by_hand(tmp_path: Path) -> None:
    root = _project(tmp_path / "shop", "latest_data", LAST)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test")
        project = load_project(root)
        quarter = dt.date(2025, 3, 31)
        rows = {(r.instance.kpi.name, r.instance.key): r for r in evaluate_all(project, store, as_of=quarter)}
        q1 = rows[("q_revenue", "")].evaluation
        # 90 days x 30, and NORTH's 2 more on each of Q1's 13 Saturdays
        assert (q1.period_start, q1.as_of, q1.actual) == (dt.date(2025, 1, 1), quarter, 2700.0 + 13 * 2)
        assert q1.status.value == "achieved" and q1.reason == "ended at 2,726 vs target 2,600"
        assert rows[("q_revenue", "")].data_until == quarter
        # the same, shown by the scorecard as of then
        [row] = [r for r in scorecard.kpi_rows(project, store, as_of=quarter) if r.kpi == "q_revenue"]
        assert (row.period, row.status, row.elapsed_share, row.data_until) == ("2025-Q1", "achieved", 1.0, quarter)
        # its quarter is over as of its last day: it is also its last period that is over
        assert row.last_period is not None and (row.last_period.period, row.last_period.actual) == ("2025-Q1", 2726.0)
        # as of the data's last day, 2025-06-30, the same KPI's 2025-Q2 is over too: SOUTH stopped selling
        # on 2025-05-10, so it ended at 1,736 (91 x 10 + 13 Saturdays x 2 + 40 days x 20), missed
        [now] = [r for r in scorecard.kpi_rows(project, store) if r.kpi == "q_revenue"]
        assert (now.period, now.status, now.actual) == ("2025-Q2", "missed", 91 * 10 + 13 * 2 + 40 * 20)
        assert now.last_period is not None and (now.last_period.period, now.streak) == ("2025-Q2", 1)
    finally:
        store.close()


def test_the_whole_copy_is_not_needed(tmp_path: Path) -> None:
    """Data that ends by the as-of date is taken as it is: as of its last day, the same as today."""
    root = _project(tmp_path / "shop", "latest_data", LAST)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        refresh(load_project(root), store, requested_by="test")
        project = load_project(root)
        now = evaluate_all(project, store)
        then = evaluate_all(project, store, as_of=LAST + dt.timedelta(days=30))
        assert [_numbers(r) for r in now] == [_numbers(r) for r in then]
        shutil.rmtree(root / "data")  # no engine query either: the data is not read
        assert [_numbers(r) for r in evaluate_all(project, store, as_of=LAST)] == [_numbers(r) for r in now]
    finally:
        store.close()


def test_with_as_of_today_rows_dated_after_today_do_not_count(tmp_path: Path) -> None:
    """``as_of: today`` and rows dated after today (orders booked ahead): the late rate and the distinct
    buyers read their whole stored month and quarter, the rows after today included, and
    ``data_until`` was after the as-of date, so ``onpace status`` and ``status --as-of <today>``
    disagreed. Judged with today = 2025-05-14 on the whole data (to 2025-06-30), every number equals
    the store refreshed on the data cut there; the late rate of May to the 14th is 4 / 24 by hand."""
    whole = _project(tmp_path / "whole", "today", LAST)
    cut = _project(tmp_path / "cut", "today", CUT)
    stores = Store.open(f"sqlite:///{tmp_path / 'whole.db'}"), Store.open(f"sqlite:///{tmp_path / 'cut.db'}")
    try:
        assert refresh(load_project(whole), stores[0], requested_by="test").status == "succeeded"
        assert refresh(load_project(cut), stores[1], requested_by="test").status == "succeeded"
        ahead = evaluate_all(load_project(whole), stores[0], today=CUT, history=True)
        there = evaluate_all(load_project(cut), stores[1], today=CUT, history=True)
        assert len(ahead) == len(there) == 6
        for a, b in zip(ahead, there, strict=True):
            assert _same(_numbers(a), _numbers(b)), (_numbers(a), _numbers(b))
            assert a.data_until is not None and a.data_until <= CUT
        late = next(r for r in ahead if r.instance.kpi.name == "lateness").evaluation
        assert (late.as_of, late.actual) == (CUT, pytest.approx(4 / 24))  # was 4 / 41 (all of May)
    finally:
        for store in stores:
            store.close()


def test_the_last_period_as_of_a_date_does_not_depend_on_the_last_refreshs_date(tmp_path: Path) -> None:
    """After ``onpace refresh --as-of 2025-01-15`` (the store keeps the periods over by then),
    ``status --as-of 2025-05-14`` showed 2024-Q4 as the quarterly KPIs' last period, with its streak,
    where 2025-Q1 was over by then: the periods over by the date are judged as of it, as the store of
    a refresh on the data cut there keeps them."""
    whole = _project(tmp_path / "whole", "latest_data", LAST)
    cut = _project(tmp_path / "cut", "latest_data", CUT)
    stores = Store.open(f"sqlite:///{tmp_path / 'whole.db'}"), Store.open(f"sqlite:///{tmp_path / 'cut.db'}")
    try:
        early = dt.date(2025, 1, 15)
        assert refresh(load_project(whole), stores[0], requested_by="test", as_of=early).status == "succeeded"
        assert refresh(load_project(cut), stores[1], requested_by="test", as_of=CUT).status == "succeeded"
        then = scorecard.kpi_rows(load_project(whole), stores[0], as_of=CUT)
        there = scorecard.kpi_rows(load_project(cut), stores[1])
        assert len(then) == len(there) == 6
        for a_row, b_row in zip(then, there, strict=True):
            a_last = a_row.last_period.model_dump() if a_row.last_period else None
            b_last = b_row.last_period.model_dump() if b_row.last_period else None
            assert (a_row.kpi, a_row.segment, a_last, a_row.streak) == (b_row.kpi, b_row.segment, b_last, b_row.streak)
        q = next(r for r in then if r.kpi == "q_revenue")
        assert q.last_period is not None and q.last_period.period == "2025-Q1"  # it said 2024-Q4
        # 90 days x 30 and NORTH's 2 more on each of Q1's 13 Saturdays, by hand
        assert (q.last_period.status, q.last_period.actual) == ("achieved", 2700.0 + 13 * 2)
    finally:
        for store in stores:
            store.close()


def test_a_segment_whose_data_stopped_before_its_running_period_has_no_data_yet(tmp_path: Path) -> None:
    """With today = 2025-06-05, SOUTH's data stops on 2025-05-10: its June was said "the period starts on
    2025-06-01" (and noted "the period has not started") although June had started; its data has not
    reached it. NORTH, with data every day, is judged as of June 5."""
    root = _project(tmp_path / "shop", "today", LAST)
    (root / "models" / "monthly.yml").write_text(
        "kpis:\n  - name: m_by_region\n    metric: revenue\n    segment_by: region\n    objective: grow\n"
        "    owner: Sales\n    timeframe: month\n    review_cadence: monthly\n    targets:\n"
        "      - {segment: NORTH, at_least: 300}\n      - {segment: SOUTH, at_least: 600}\n",
        encoding="utf-8",
    )
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert refresh(load_project(root), store, requested_by="test").status == "succeeded"
        today = dt.date(2025, 6, 5)
        rows = {
            r.instance.key: r.evaluation
            for r in evaluate_all(load_project(root), store, today=today)
            if r.instance.kpi.name == "m_by_region"
        }
        south, north = rows["SOUTH"], rows["NORTH"]
        assert (south.period_start, south.as_of, south.actual) == (dt.date(2025, 6, 1), SOUTH_LAST, None)
        assert south.reason == "no data for the period yet: the data ends on 2025-05-10"
        assert not any("has not started" in n for n in south.notes)
        assert "no data in the period yet: the data ends on 2025-05-10" in south.notes
        assert (north.as_of, north.actual) == (today, 5 * 10.0)  # June 1-5, no Saturday in them: 10 a day
    finally:
        store.close()
