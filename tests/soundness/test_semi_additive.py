"""Semi-additive balances: summed over warehouses, never over time.

A monthly stock level is the sum over warehouses of the snapshot at the latest
snapshot date of the month. Summing every snapshot of the month, or taking the
largest one, gives a number that never existed. Per-date totals are chosen so
that last, first, max, average and sum all differ.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SNAPSHOTS = [
    # January: per-date totals 110, 550, 240 (sum 900, max 550)
    {"snap_date": d("2024-01-01"), "warehouse": "W1", "on_hand": 10},
    {"snap_date": d("2024-01-01"), "warehouse": "W2", "on_hand": 100},
    {"snap_date": d("2024-01-15"), "warehouse": "W1", "on_hand": 50},
    {"snap_date": d("2024-01-15"), "warehouse": "W2", "on_hand": 500},
    {"snap_date": d("2024-01-31"), "warehouse": "W1", "on_hand": 20},
    {"snap_date": d("2024-01-31"), "warehouse": "W2", "on_hand": 220},
    # February: per-date totals 440, 70; the last snapshot is the 27th (not the 29th)
    {"snap_date": d("2024-02-01"), "warehouse": "W1", "on_hand": 40},
    {"snap_date": d("2024-02-01"), "warehouse": "W2", "on_hand": 400},
    {"snap_date": d("2024-02-27"), "warehouse": "W1", "on_hand": 70},
    {"snap_date": d("2024-02-27"), "warehouse": "W2", "on_hand": 0},
    # March: per-date totals 55, 15; W2 has no snapshot on the last date
    {"snap_date": d("2024-03-05"), "warehouse": "W1", "on_hand": 5},
    {"snap_date": d("2024-03-05"), "warehouse": "W2", "on_hand": 50},
    {"snap_date": d("2024-03-20"), "warehouse": "W1", "on_hand": 15},
]

MODELS = """
datasets:
  - name: inventory
    table: inventory
    time: snap_date
    dimensions:
      - {name: snap_date, column: snap_date, type: time}
      - {name: warehouse, column: warehouse}
    measures:
      - {name: on_hand, agg: sum, expr: on_hand}
metrics:
  - {name: stock, type: semi_additive, measure: inventory.on_hand}
  - {name: stock_first, type: semi_additive, measure: inventory.on_hand, over_time: first}
  - {name: stock_avg, type: semi_additive, measure: inventory.on_hand, over_time: avg}
  - {name: stock_w2, type: semi_additive, dataset: inventory, expr: on_hand, filter: "warehouse = 'W2'"}
"""

METRICS = ["stock", "stock_first", "stock_avg"]


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"inventory": SNAPSHOTS}, MODELS)


def test_month(project: SoundProject) -> None:
    table = project.query(METRICS, grain="month")
    assert_table(
        table,
        ["period", *METRICS],
        [
            # last 20 + 220 = 240 (sum of all snapshots: 900, max: 550); first 10 + 100; avg (110+550+240)/3
            # (average of the 6 rows: 150)
            (d("2024-01-01"), 240.0, 110.0, 300.0),
            # last on the 27th: 70 + 0 (sum: 510); first 40 + 400; avg (440 + 70) / 2
            (d("2024-02-01"), 70.0, 440.0, 255.0),
            # last date of March is the 20th for all rows: 15 (the last row of each warehouse: 15 + 50 = 65);
            # avg (55 + 15) / 2
            (d("2024-03-01"), 15.0, 55.0, 35.0),
        ],
    )
    # hand-written SQL for 'last': the rows at the latest date of each month, summed
    expected = project.reference(
        """
        select date_trunc('month', snap_date)::date as m, sum(on_hand)::double
        from inventory
        where snap_date = (select max(snap_date) from inventory i where date_trunc('month', i.snap_date)
                           = date_trunc('month', inventory.snap_date))
        group by 1 order by 1
        """
    )
    assert_table(table.select(["period", "stock"]), ["period", "stock"], expected)


def test_year(project: SoundProject) -> None:
    table = project.query(METRICS, grain="year")
    # last date of the year: 2024-03-20 -> 15; first: 2024-01-01 -> 110;
    # avg over the 7 dates: (110 + 550 + 240 + 440 + 70 + 55 + 15) / 7 = 1480 / 7 (over the 13 rows: 1480 / 13)
    assert_table(table, ["period", *METRICS], [(d("2024-01-01"), 15.0, 110.0, 1480 / 7)])


def test_total_over_a_range(project: SoundProject) -> None:
    table = project.query(METRICS, start=d("2024-01-01"), end=d("2024-02-15"))
    # dates in range: Jan 1, 15, 31, Feb 1. last: 440; first: 110; avg (110 + 550 + 240 + 440) / 4 = 335
    assert_table(table, METRICS, [(440.0, 110.0, 335.0)])


def test_by_warehouse(project: SoundProject) -> None:
    table = project.query(METRICS, dimensions=["warehouse"], grain="month", start=d("2024-01-01"), end=d("2024-02-29"))
    assert_table(
        table,
        ["period", "warehouse", *METRICS],
        [
            (d("2024-01-01"), "W1", 20.0, 10.0, 80 / 3),  # avg (10 + 50 + 20) / 3 (sum of snapshots: 80)
            (d("2024-01-01"), "W2", 220.0, 100.0, 820 / 3),  # avg (100 + 500 + 220) / 3 (max: 500)
            (d("2024-02-01"), "W1", 70.0, 40.0, 55.0),  # avg (40 + 70) / 2
            (d("2024-02-01"), "W2", 0.0, 400.0, 200.0),  # a real 0 at the last snapshot (max would be 400)
        ],
    )


def test_filter_comes_before_choosing_the_last_date(project: SoundProject) -> None:
    # W2 alone: its latest March snapshot is 2024-03-05 (50); the latest date over all warehouses (03-20)
    # has no W2 row and would give 0 or null
    where = project.query(METRICS, grain="month", where="warehouse = 'W2'")
    assert_table(
        where,
        ["period", *METRICS],
        [
            (d("2024-01-01"), 220.0, 100.0, 820 / 3),
            (d("2024-02-01"), 0.0, 400.0, 200.0),
            (d("2024-03-01"), 50.0, 50.0, 50.0),
        ],
    )
    metric_filter = project.query(["stock", "stock_w2"], grain="month")
    assert_table(
        metric_filter,
        ["period", "stock", "stock_w2"],
        [
            (d("2024-01-01"), 240.0, 220.0),
            (d("2024-02-01"), 70.0, 0.0),
            (d("2024-03-01"), 15.0, 50.0),
        ],
    )
