"""Traps found in review, each pinned: numbers that would be wrong with no error, and edits that would go too far.

Uses the hand-computed shop of conftest.py: 30 of revenue a day (10 NORTH + 20 SOUTH) from
2024-01-01 to 2025-04-15; 100 visits a day.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.errors import DefinitionError, UserError
from onpace.services import scorecard
from onpace.services.evaluate import evaluate_all
from onpace.services.lifecycle import demote, promote
from onpace.services.refresh import refresh
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store

from .conftest import LAST, write_data


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def _rows(root: Path, store: Store) -> dict[tuple[str, str | None], dict[str, object]]:
    return {(r["kpi"], r["segment"]): r for r in scorecard.kpi_rows(load_project(root), store)}


def _sql(root: Path, statement: str) -> None:
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        con.execute(statement)
    finally:
        con.close()


def test_as_of_today_with_data_until_yesterday_is_on_pace(shop: Path, store: Store) -> None:
    """Data loaded up to yesterday: the share of the target due is yesterday's, not today's."""
    (shop / "onpace.yml").write_text("name: shop\nevaluation: {as_of: today}\n", encoding="utf-8")
    refresh(load_project(shop), store, requested_by="test", evaluate=False)
    results = {
        r.instance.kpi.name: r.evaluation
        for r in evaluate_all(load_project(shop), store, today=LAST + dt.timedelta(days=1))
    }
    q = results["q_revenue"]
    assert q.as_of == LAST and q.actual == pytest.approx(450.0)
    assert q.expected_to_date == pytest.approx(2700 * 15 / 91)  # 15 days of 91, not 16
    assert q.status == "on_track"
    assert any("data ends on 2025-04-15" in note for note in q.notes)
    # a one-off period the data does not cover to its end is not called achieved or missed yet
    done = results["q1_done"]
    assert (done.actual, done.status) == (2700.0, "missed")  # 2025-Q1 is fully covered: 2,700 < 2,800
    late = evaluate_all(load_project(shop), store, today=dt.date(2025, 7, 2))
    assert {r.instance.kpi.name: r.evaluation.status for r in late}["q_revenue"] == "no_data"  # Q3: nothing yet


def test_a_changed_definition_is_recomputed_in_full(shop: Path, store: Store) -> None:
    refresh(load_project(shop), store, requested_by="test")
    models = shop / "models" / "shop.yml"
    models.write_text(
        models.read_text(encoding="utf-8").replace("expr: amount}", "expr: amount * 2}"), encoding="utf-8"
    )
    again = refresh(load_project(shop), store, requested_by="test")  # incremental
    assert again.mode == "incremental"
    with store.session(readonly=True) as s:
        months = dict(obs.read_series(s, "revenue", "month"))
    assert months[dt.date(2024, 1, 1)] == pytest.approx(2 * 31 * 30)  # old history doubled too
    rows = _rows(shop, store)
    assert rows[("q_growth", None)]["target"] == pytest.approx(2 * 2970.0)


def test_a_dataset_that_ends_earlier_is_not_zero_filled(shop: Path, store: Store) -> None:
    _sql(shop, "DELETE FROM visits WHERE day > DATE '2025-04-05'")
    refresh(load_project(shop), store, requested_by="test")
    with store.session(readonly=True) as s:
        visits = obs.get_series(s, "visits", "day")
        revenue = obs.get_series(s, "revenue", "day")
        assert visits is not None and revenue is not None
        assert (visits.data_until, revenue.data_until) == (dt.date(2025, 4, 5), LAST)
        assert max(d for d, _ in obs.read_series(s, "visits", "day")) == dt.date(2025, 4, 5)


def test_a_scoped_full_refresh_does_not_end_the_duty_of_an_unfinished_full_one(shop: Path, store: Store) -> None:
    refresh(load_project(shop), store, requested_by="test")
    write_data(shop / "data" / "warehouse.duckdb", scale=2.0)  # all history changes
    with store.session() as s:
        dead = runs.start_run(s, "full", "test", pid=None)
        runs.finish_run(s, dead, "interrupted", 0, 0)
    refresh(load_project(shop), store, full=True, metrics=["visits"], requested_by="test")
    refresh(load_project(shop), store, requested_by="test")
    with store.session(readonly=True) as s:
        months = dict(obs.read_series(s, "revenue", "month"))
    assert months[dt.date(2024, 1, 1)] == pytest.approx(2 * 31 * 30)


def test_a_baseline_the_data_covers_in_part_gives_no_target(shop: Path, store: Store) -> None:
    """Data from 2025-01-10: Q1 2025 is only partly there, so '+10% vs the previous quarter' has no baseline."""
    _sql(shop, "DELETE FROM sales WHERE day < DATE '2025-01-10'")
    refresh(load_project(shop), store, requested_by="test")
    growth = _rows(shop, store)[("q_growth", None)]
    assert growth["target"] is None and growth["status"] == "no_data"


def test_milestones_near_the_end_and_one_bad_kpi_do_not_stop_the_others(shop: Path, store: Store) -> None:
    (shop / "models" / "extra.yml").write_text(
        textwrap.dedent(
            """
            kpis:
              - name: nearly_at_the_end
                metric: revenue
                objective: grow
                owner: Sales
                timeframe: month
                review_cadence: monthly
                phasing: {milestones: [{elapsed: 0.98, share: 0.9}, {elapsed: 0.99, share: 0.95}]}
                target: {at_least: 900}
            """
        ),
        encoding="utf-8",
    )
    result = refresh(load_project(shop), store, requested_by="test")
    assert result.status == "succeeded", result.errors
    assert ("nearly_at_the_end", None) in _rows(shop, store)


def test_a_milestone_on_the_last_day_needs_the_whole_target(shop: Path) -> None:
    (shop / "models" / "extra.yml").write_text(
        textwrap.dedent(
            """
            kpis:
              - name: q3_push
                metric: revenue
                objective: grow
                owner: Sales
                timeframe: 2025-Q3
                review_cadence: monthly
                phasing: {milestones: [{date: 2025-09-30, share: 0.8}]}
                target: {at_least: 900}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match="last day of the period"):
        load_project(shop)


def test_stale_segments_are_dropped_and_segments_share_their_kpis_weight(shop: Path, store: Store) -> None:
    refresh(load_project(shop), store, requested_by="test")
    models = shop / "models" / "shop.yml"
    models.write_text(
        models.read_text(encoding="utf-8").replace("      - {segment: SOUTH, at_least: 1820}\n", ""), encoding="utf-8"
    )
    rows = _rows(shop, store)
    assert ("by_region", "NORTH") in rows and ("by_region", "SOUTH") not in rows
    assert rows[("by_region", "NORTH")]["rollup_weight"] == pytest.approx(1.0)
    models.write_text(
        models.read_text(encoding="utf-8").replace(
            "      - {segment: NORTH, at_least: 1000}\n",
            "      - {segment: NORTH, at_least: 1000}\n      - {segment: SOUTH, at_least: 1820}\n",
        ),
        encoding="utf-8",
    )
    assert _rows(shop, store)[("by_region", "NORTH")]["rollup_weight"] == pytest.approx(0.5)


def test_demote_refuses_inline_lists_and_changes_nothing(shop: Path, store: Store) -> None:
    (shop / "models" / "inline.yml").write_text(
        textwrap.dedent(
            """
            metrics:
              - {name: spare, measure: sales.lines}
            kpis: [
              {name: fa, metric: revenue, objective: grow, owner: S, timeframe: month, review_cadence: weekly,
               target: {at_least: 1}},
              {name: fb, metric: revenue, objective: grow, owner: S, timeframe: month, review_cadence: weekly,
               target: {at_least: 2}}
            ]
            """
        ),
        encoding="utf-8",
    )
    before = (shop / "models" / "inline.yml").read_text(encoding="utf-8")
    with pytest.raises(UserError, match="inline"):
        demote(load_project(shop), store, "fb", actor="ana", reason="r")
    assert (shop / "models" / "inline.yml").read_text(encoding="utf-8") == before


def test_promote_after_the_last_promoted_kpi_was_demoted(shop: Path, store: Store) -> None:
    definition = {"objective": "grow", "owner": "M", "timeframe": "month", "review_cadence": "monthly",
                  "target": {"at_least": 1}}  # fmt: skip
    promote(load_project(shop), store, "visits", definition, actor="ana", reason="r")
    demote(load_project(shop), store, "visits", actor="ana", reason="r")
    promote(load_project(shop), store, "visits", definition, actor="ana", reason="again")
    assert "visits" in load_project(shop).kpis


def test_error_messages_are_not_read_as_markup(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    done = CliRunner().invoke(app, ["refresh", "--project", str(shop), "--metric", "rev[/]"])
    assert done.exit_code == 1 and "unknown metric 'rev[/]'" in done.output
