"""``change`` targets against a fixed baseline period, refreshed and evaluated on every engine.

The project and its data are in tests/services/fixed_baseline_project.py. By hand, as of
2025-05-15 in Q2 2025 (91 days, 45 elapsed); the baseline of every quarterly KPI is
2024-Q4 (2024-10-01..2024-12-31, 92 days; the popup sells on its last 61 days only):

- ``growth`` (revenue, a flow; +15% vs 2024-Q4): baseline 92 x 10 + 92 x 20 + 61 x 5 =
  3,065; target 3,065 x 1.15 = 3,524.75; actual 45 x 35 = 1,575; expected to date
  3,524.75 x 45/91 = 1,743.01; attainment 0.904: at risk.
- ``avg_sale_growth`` (revenue / number of sales, a level; +15% vs the quarter holding
  2024-11-20, 2024-Q4): baseline 3,065 / 245 = 12.5102 (the quarter's own ratio, not a
  sum of days); target 14.3867; actual 1,575 / 135 = 11.6667; expected to date = the
  target (a level); attainment 0.811: off track.
- ``by_channel`` (segment_by ch), each segment against its own 2024-Q4: web 920, +5% =
  966, actual 450, expected 966 x 45/91 = 477.69, attainment 0.942, at risk; store 1,840,
  -10% = 1,656, actual 900, expected 818.90, attainment 1.099, on track; popup: its data
  starts on 2024-11-01, so it does not cover 2024-Q4: no target (no data), and the status
  says why.
- ``from_september`` (monthly, vs the month holding 2024-09-15): the data starts on
  2024-10-01, so September 2024 is not covered: no target.

Lint judges the same targets: ``target_beyond_history`` for growth (best quarter before:
Q1 2025, 90 x 35 = 3,150), ``target_already_met`` for the store (Q1 2025: 1,800 >= 1,656),
and nothing for the popup, whose stored 2024-Q4 value (305) covers only part of the quarter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.services.fixed_baseline_project import LAST, create_sql, rows, spark_fields, write_project
from tests.soundness.helpers import load_rows_into

from onpace.catalog.project import load_project
from onpace.engine import Engine
from onpace.services import scorecard
from onpace.services.lint import lint
from onpace.services.refresh import refresh
from onpace.store.db import Store

Q2_START, Q2_END = dt.date(2025, 4, 1), dt.date(2025, 6, 30)
ELAPSED, DAYS = 45, 91
Q4_DAYS, POPUP_Q4_DAYS = 92, 61
Q4_REVENUE = Q4_DAYS * 10 + Q4_DAYS * 20 + POPUP_Q4_DAYS * 5  # 3,065
Q4_SALES = Q4_DAYS + Q4_DAYS + POPUP_Q4_DAYS  # 245 rows


@dataclass
class Evaluated:
    root: Path
    store: Store
    rows: dict[tuple[str, str | None], dict[str, Any]]


@pytest.fixture(scope="module", params=["duckdb", "postgres", "mysql", "spark"])
def evaluated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evaluated]:
    """The project refreshed and evaluated on one engine; the store is SQLite."""
    backend: str = request.param
    root = tmp_path_factory.mktemp(f"h_base-{backend}")
    table = f"h_base_{uuid.uuid4().hex[:10]}"
    url, injected, cleanup = load_rows_into(backend, request, root, table, create_sql, rows(), spark_fields())
    store = Store.open(f"sqlite:///{root / 'store.db'}")
    try:
        write_project(root, url, table)
        engine = Engine(load_project(root, env={}), backends=injected)
        try:
            result = refresh(engine.project, store, requested_by="test", engine=engine)
        finally:
            engine.close()  # an injected Spark connection is left open: the session is shared
        assert result.status == "succeeded", result.errors
        found = {(r["kpi"], r["segment"]): r for r in scorecard.kpi_rows(load_project(root, env={}), store)}
        yield Evaluated(root, store, found)
    finally:
        store.close()
        for step in cleanup:
            step()


def test_a_flow_kpi_against_a_fixed_quarter(evaluated: Evaluated) -> None:
    row = evaluated.rows[("growth", None)]
    target = Q4_REVENUE * 1.15  # 3,524.75
    expected = target * ELAPSED / DAYS  # 1,743.01
    assert (row["period_start"], row["period_end"], row["as_of"]) == (Q2_START, Q2_END, LAST)
    assert row["target"] == pytest.approx(3524.75) == pytest.approx(target)
    assert row["actual"] == pytest.approx(1575.0)  # 45 days x (10 + 20 + 5)
    assert row["expected_to_date"] == pytest.approx(expected)
    assert row["attainment"] == pytest.approx(1575.0 / expected)  # 0.904: at risk by pace
    # the verdict (docs/kpi-evaluation.md, "One verdict"): at 35 a day the quarter ends near
    # 1,575 + 46 x 35 = 3,185, short of 3,524.75, with under a 10% chance: off track
    assert row["probability"] < 0.10 and row["status"] == "off_track"
    assert (row["target_basis"], row["target_unavailable"]) == ("+15% vs 2024-Q4", None)


def test_a_level_kpi_takes_the_whole_baseline_period_s_own_value(evaluated: Evaluated) -> None:
    row = evaluated.rows[("avg_sale_growth", None)]
    target = Q4_REVENUE / Q4_SALES * 1.15  # 12.5102 x 1.15 = 14.3867
    actual = 1575.0 / (ELAPSED * 3)  # 11.6667
    assert row["target"] == pytest.approx(target)
    assert row["actual"] == pytest.approx(actual)
    assert row["expected_to_date"] == pytest.approx(target)  # a level's target holds all period
    assert row["attainment"] == pytest.approx(actual / target)  # 0.811
    assert row["status"] == "off_track"
    assert row["target_basis"] == "+15% vs 2024-Q4"  # 2024-11-20 is in 2024-Q4


def test_each_segment_has_its_own_baseline(evaluated: Evaluated) -> None:
    web = evaluated.rows[("by_channel", "web")]
    assert web["target"] == pytest.approx(Q4_DAYS * 10 * 1.05)  # 966
    assert web["actual"] == pytest.approx(450.0)
    assert web["expected_to_date"] == pytest.approx(966.0 * ELAPSED / DAYS)  # 477.69
    assert web["attainment"] == pytest.approx(450.0 / (966.0 * ELAPSED / DAYS))  # 0.942: at risk by pace
    # the verdict: at 10 a day the quarter ends near 450 + 46 x 10 = 910 < 966, under a 10% chance
    assert web["probability"] < 0.10
    assert (web["status"], web["target_basis"]) == ("off_track", "+5% vs 2024-Q4")

    store = evaluated.rows[("by_channel", "store")]
    assert store["target"] == pytest.approx(Q4_DAYS * 20 * 0.9)  # 1,656
    assert store["actual"] == pytest.approx(900.0)
    assert store["expected_to_date"] == pytest.approx(1656.0 * ELAPSED / DAYS)  # 818.90
    assert store["attainment"] == pytest.approx(900.0 / (1656.0 * ELAPSED / DAYS))  # 1.099
    assert (store["status"], store["target_basis"]) == ("on_track", "-10% vs 2024-Q4")


def test_a_baseline_the_data_covers_in_part_gives_no_target_and_says_why(evaluated: Evaluated) -> None:
    popup = evaluated.rows[("by_channel", "popup")]  # from 2024-11-01: 2024-Q4 only in part
    assert popup["actual"] == pytest.approx(225.0)  # 45 x 5
    assert (popup["target"], popup["expected_to_date"], popup["attainment"]) == (None, None, None)
    assert popup["status"] == "no_data"
    assert popup["target_basis"] == "+15% vs 2024-Q4"
    assert popup["target_unavailable"] == "no baseline: the data does not cover the whole of 2024-Q4"

    september = evaluated.rows[("from_september", None)]  # the data starts on 2024-10-01
    assert (september["period_start"], september["target"], september["status"]) == (
        dt.date(2025, 5, 1),
        None,
        "no_data",
    )
    assert september["target_basis"] == "+10% vs 2024-09"
    assert september["target_unavailable"] == "no baseline: the data does not cover the whole of 2024-09"


def test_lint_judges_the_target_the_status_judges(evaluated: Evaluated) -> None:
    project = load_project(evaluated.root, env={})
    findings = lint(project, evaluated.store, today=LAST + dt.timedelta(days=1))
    by_kpi: dict[str, dict[str, str]] = {}
    for f in findings:
        if f.rule in ("target_already_met", "target_beyond_history"):
            by_kpi.setdefault(f.name, {})[f.rule] = f.message

    # the same numbers as the evaluation's targets, in lint's words
    growth = evaluated.rows[("growth", None)]["target"]
    assert f"at least {growth:,.4g}" == "at least 3,525"
    assert by_kpi["growth"] == {
        "target_beyond_history": "at least 3,525 needs a pace no period in the history showed (best: 3,150)"
    }
    assert by_kpi["avg_sale_growth"] == {
        "target_beyond_history": "at least 14.39 needs a pace no period in the history showed (best: 12.51)"
    }
    assert by_kpi["by_channel [web]"] == {
        "target_beyond_history": "at least 966 needs a pace no period in the history showed (best: 920)"
    }
    assert by_kpi["by_channel [store]"] == {
        "target_already_met": "the period before (2025-01-01) already reached at least 1,656 with 1,800"
    }
    # no target for the status, none for lint (the stored 2024-Q4 value of 305 covers two months of three)
    assert "by_channel [popup]" not in by_kpi
    assert "from_september" not in by_kpi
