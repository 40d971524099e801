"""Median and percentiles are continuous (interpolated, like percentile_cont) over all rows of the group.

Not the discrete percentile (a value of the data), not the average, and not a
median of per-day or per-group medians.
"""

from __future__ import annotations

import pytest

from .helpers import MakeProject, SoundProject, assert_table, d

SCORES = [
    # January, team A: 1, 2, 3, 4, 10 (on several days)
    {"day": d("2024-01-02"), "team": "A", "value": 1.0},
    {"day": d("2024-01-02"), "team": "A", "value": 10.0},
    {"day": d("2024-01-03"), "team": "A", "value": 2.0},
    {"day": d("2024-01-03"), "team": "A", "value": 4.0},
    {"day": d("2024-01-04"), "team": "A", "value": 3.0},
    # January, team B: 5, 1, 3, 2
    {"day": d("2024-01-02"), "team": "B", "value": 5.0},
    {"day": d("2024-01-05"), "team": "B", "value": 1.0},
    {"day": d("2024-01-05"), "team": "B", "value": 3.0},
    {"day": d("2024-01-06"), "team": "B", "value": 2.0},
    # February, team A: 7
    {"day": d("2024-02-01"), "team": "A", "value": 7.0},
]

MODELS = """
datasets:
  - name: scores
    table: scores
    time: day
    dimensions:
      - {name: day, column: day, type: time}
      - {name: team, column: team}
    measures:
      - {name: median_value, agg: median, expr: value}
      - {name: p90_value, agg: percentile, percentile: 0.9, expr: value}
metrics:
  - {name: median_value, measure: scores.median_value}
  - {name: p90_value, measure: scores.p90_value}
  - {name: p25_value, dataset: scores, agg: percentile, percentile: 0.25, expr: value}
"""

METRICS = ["median_value", "p90_value", "p25_value"]

JAN, FEB = d("2024-01-01"), d("2024-02-29")


@pytest.fixture
def project(make_project: MakeProject) -> SoundProject:
    return make_project({"scores": SCORES}, MODELS)


def test_by_month_and_team(project: SoundProject) -> None:
    table = project.query(METRICS, dimensions=["team"], grain="month", start=JAN, end=FEB)
    assert_table(
        table,
        ["period", "team", *METRICS],
        [
            # A: 1 2 3 4 10. median 3 (average: 4); p90 at position 0.9*4 = 3.6: 4 + 0.6*(10 - 4) = 7.6
            # (discrete: 10); p25 at position 1: 2
            (d("2024-01-01"), "A", 3.0, 7.6, 2.0),
            # B: 1 2 3 5. median at position 1.5: 2 + 0.5*(3 - 2) = 2.5 (discrete: 2);
            # p90 at 2.7: 3 + 0.7*(5 - 3) = 4.4; p25 at 0.75: 1 + 0.75*(2 - 1) = 1.75
            (d("2024-01-01"), "B", 2.5, 4.4, 1.75),
            (d("2024-02-01"), "A", 7.0, 7.0, 7.0),
            (d("2024-02-01"), "B", None, None, None),  # no rows: null
        ],
    )


def test_by_month(project: SoundProject) -> None:
    table = project.query(METRICS, grain="month", start=JAN, end=FEB)
    assert_table(
        table,
        ["period", *METRICS],
        [
            # 1 1 2 2 3 3 4 5 10: median 3 (median of the teams' medians: 2.75; of the daily medians: other);
            # p90 at 0.9*8 = 7.2: 5 + 0.2*(10 - 5) = 6; p25 at 2: 2
            (d("2024-01-01"), 3.0, 6.0, 2.0),
            (d("2024-02-01"), 7.0, 7.0, 7.0),
        ],
    )
    expected = project.reference(
        """
        select date_trunc('month', day)::date, quantile_cont(value, 0.5), quantile_cont(value, 0.9),
               quantile_cont(value, 0.25)
        from scores group by 1 order by 1
        """
    )
    assert_table(table, ["period", *METRICS], expected)


def test_total(project: SoundProject) -> None:
    table = project.query(METRICS)
    # 1 1 2 2 3 3 4 5 7 10: median at 4.5: 3; p90 at 8.1: 7 + 0.1*(10 - 7) = 7.3; p25 at 2.25: 2 + 0.25*0 = 2
    assert_table(table, METRICS, [(3.0, 7.3, 2.0)])
    expected = project.reference(
        "select quantile_cont(value, 0.5), quantile_cont(value, 0.9), quantile_cont(value, 0.25) from scores"
    )
    assert_table(table, METRICS, expected)


def test_percentile_by_hand_on_a_single_group(project: SoundProject) -> None:
    table = project.query(["p90_value"], where="team = 'A'", start=d("2024-01-01"), end=d("2024-01-31"))
    # 1, 2, 3, 4, 10 -> 4 + 0.6 * (10 - 4) = 7.6
    assert_table(table, ["p90_value"], [(7.6,)])
