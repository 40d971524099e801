"""Promote a metric to a KPI and demote it back: the YAML changes, the store records who, when and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.errors import DefinitionError, QueryError, UserError
from onpace.services.lifecycle import demote, promote
from onpace.store import audit, lifecycle
from onpace.store.db import Store

runner = CliRunner()

DEFINITION = {
    "objective": "grow",
    "owner": "Marketing",
    "timeframe": "month",
    "review_cadence": "monthly",
    "target": {"at_least": 2500},
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def test_promote_then_demote_round_trip(shop: Path, store: Store) -> None:
    models = shop / "models" / "shop.yml"
    original = models.read_text(encoding="utf-8")
    done = promote(load_project(shop), store, "visits", DEFINITION, actor="ana", reason="visits lead revenue")
    assert done.file == shop / "models" / "promoted.yml"
    kpi = load_project(shop).kpis["visits"]
    assert (kpi.metric, kpi.objective, kpi.owner, kpi.target and kpi.target.at_least) == (
        "visits",
        "grow",
        "Marketing",
        2500,
    )

    demote(load_project(shop), store, "q_growth", actor="bob", reason="growth is tracked by the board pack")
    after = load_project(shop)
    assert "q_growth" not in after.kpis and "revenue" in after.metrics  # the metric stays
    assert set(after.kpis) == {"q_revenue", "q1_done", "by_region", "lateness", "nowhere", "later", "visits"}
    # only the KPI's block went: every other line of the file is still there, in order
    lines = original.splitlines()
    first = lines.index("  - name: q_growth")
    last = lines.index("  - name: q1_done")  # the next KPI
    assert models.read_text(encoding="utf-8").splitlines() == lines[:first] + lines[last:]

    with store.session(readonly=True) as s:
        events = [(e.metric, e.action, e.actor, e.reason) for e in lifecycle.list_lifecycle(s)]
        actions = [(a.action, a.object_name, a.actor) for a in audit.list_audit(s)]
    assert events == [
        ("visits", "promote", "ana", "visits lead revenue"),
        ("revenue", "demote", "bob", "growth is tracked by the board pack"),
    ]
    assert ("kpi.demote", "q_growth", "bob") in actions and ("kpi.promote", "visits", "ana") in actions


def test_demoting_the_last_kpi_of_a_file_leaves_a_valid_file(shop: Path, store: Store) -> None:
    promote(load_project(shop), store, "visits", DEFINITION, actor="ana", reason="r")
    demote(load_project(shop), store, "visits", actor="ana", reason="r")
    assert "visits" not in load_project(shop).kpis


def test_a_bad_promotion_changes_nothing(shop: Path, store: Store) -> None:
    with pytest.raises(QueryError, match="unknown metric 'visit'"):
        promote(load_project(shop), store, "visit", DEFINITION, actor="ana", reason="r")
    with pytest.raises(DefinitionError, match="unknown objective 'growth'"):
        promote(load_project(shop), store, "visits", {**DEFINITION, "objective": "growth"}, actor="ana", reason="r")
    with pytest.raises(UserError, match="already a KPI named 'q_revenue'"):
        promote(load_project(shop), store, "revenue", {**DEFINITION, "name": "q_revenue"}, actor="ana", reason="r")
    assert not (shop / "models" / "promoted.yml").exists()
    with store.session(readonly=True) as s:
        assert lifecycle.list_lifecycle(s) == []


def test_demote_needs_a_known_kpi_and_a_reason(shop: Path, store: Store) -> None:
    with pytest.raises(QueryError, match="did you mean 'q_revenue'"):
        demote(load_project(shop), store, "q_revenu", actor="ana", reason="r")
    with pytest.raises(UserError, match="needs a reason"):
        demote(load_project(shop), store, "q_revenue", actor="ana", reason=" ")


def test_cli_promote_and_demote(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("ONPACE_USER", "carla")
    args = ["promote", "visits", "--objective", "grow", "--owner", "Marketing", "--timeframe", "quarter"]
    done = runner.invoke(app, [*args, "--change", "+5%", "--vs", "previous_period", "--project", str(shop)])
    assert done.exit_code == 0, done.output
    assert load_project(shop).kpis["visits"].target.change == pytest.approx(0.05)  # type: ignore[union-attr]
    two = runner.invoke(app, [*args, "--at-least", "1", "--at-most", "2", "--project", str(shop)])
    assert two.exit_code == 2 and "give one target" in two.output
    gone = runner.invoke(app, ["demote", "visits", "--reason", "not a lever", "--project", str(shop)])
    assert gone.exit_code == 0, gone.output
    assert "visits" not in load_project(shop).kpis
