"""`onpace refresh` and `onpace status` on the hand-computed shop (see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()

STATUS_KEYS = {
    "kpi", "metric", "objective", "owner", "period_start", "period_end", "target", "actual", "expected_to_date",
    "attainment", "forecast", "forecast_low", "forecast_high", "probability", "status",
}  # fmt: skip


def test_refresh_then_status(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    done = runner.invoke(app, ["refresh", "--project", str(shop)])
    assert done.exit_code == 0, done.output
    assert "succeeded" in done.output
    assert (shop / ".onpace" / "store.db").is_file()

    shown = runner.invoke(app, ["status", "--project", str(shop), "--format", "json"])
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert all(set(row) >= STATUS_KEYS for row in rows)
    by_kpi = {(r["kpi"], r["segment"]): r for r in rows}
    assert by_kpi[("q_revenue", None)]["actual"] == pytest.approx(450.0)
    assert by_kpi[("q_revenue", None)]["period_start"] == "2025-04-01"
    assert {r["status"] for r in rows} <= {"on_track", "at_risk", "off_track", "achieved", "missed", "no_data"}

    table = runner.invoke(app, ["status", "--project", str(shop)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "grow" in table.output and "on track" in table.output and "missed" in table.output


def test_status_before_any_refresh_says_what_to_do(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    shown = runner.invoke(app, ["status", "--project", str(shop)])
    assert shown.exit_code == 1
    assert "onpace refresh" in shown.output


def test_unknown_objective_and_metric_are_named(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["refresh", "--project", str(shop), "--metric", "revenue"]).exit_code == 0
    bad = runner.invoke(app, ["refresh", "--project", str(shop), "--metric", "revenu"])
    assert bad.exit_code == 1 and "unknown metric 'revenu'" in bad.output and "revenue" in bad.output
    shown = runner.invoke(app, ["status", "--project", str(shop), "--objective", "grwo"])
    assert shown.exit_code == 1 and "unknown objective 'grwo'" in shown.output


def test_compact_values_for_the_scorecard() -> None:
    from onpace.catalog.models import Format
    from onpace.cli.output import compact_value

    usd = Format(kind="currency", currency="USD", decimals=0)
    assert compact_value(290_797_718.1, usd) == "290.8M USD"
    assert compact_value(3_181_225_864.5, usd) == "3.2B USD"
    assert compact_value(1528.767, None) == "1,529"
    assert compact_value(0.36007, Format(kind="percent", decimals=1)) == "36.0%"
    assert compact_value(None, usd) == "–"
