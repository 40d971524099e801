"""`onpace values list METRIC`: the values stored for a metric, by period, with who and when.

A project made by ``onpace init`` gets a manual metric ``nps`` (by month). Alice imports
January and February, then Bob imports February again and March: February is Bob's (his value
replaced hers), January stays Alice's. The computed metric ``revenue`` lists what refresh stored
by month, checked against a hand-written SQL query on the sample data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ONPACE_DATABASE_URL", raising=False)
    root = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    with (root / "models" / "sales.yml").open("a", encoding="utf-8") as f:
        f.write("  - {name: nps, label: Net promoter score, type: manual, grain: month, over_time: last}\n")
    return root


def _import(project: Path, who: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project / f"{who}.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ONPACE_USER", who)
    done = runner.invoke(app, ["values", "import", str(path), "--project", str(project)])
    assert done.exit_code == 0, done.output


def _list(project: Path, *args: str) -> str:
    done = runner.invoke(app, ["values", "list", *args, "--project", str(project)], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    return done.output


def test_manual_values_with_who_and_when(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = dt.datetime.now(dt.UTC)
    _import(project, "alice", "metric,period,value\nnps,2025-01-01,40\nnps,2025-02-01,41\n", monkeypatch)
    _import(project, "bob", "metric;period;value\nnps;2025-02-01;42,5\nnps;2025-03-01;43\n", monkeypatch)

    listing = json.loads(_list(project, "nps", "--format", "json"))
    assert (listing["metric"], listing["label"], listing["kind"], listing["grain"]) == (
        "nps",
        "Net promoter score",
        "manual",
        "month",
    )
    assert [(v["period"], v["label"], v["value"], v["entered_by"], v["segment"]) for v in listing["values"]] == [
        ("2025-01-01", "2025-01", 40.0, "alice", None),
        ("2025-02-01", "2025-02", 42.5, "bob", None),
        ("2025-03-01", "2025-03", 43.0, "bob", None),
    ]
    for value in listing["values"]:
        assert dt.datetime.fromisoformat(value["updated_at"]) >= before
        assert value["run_id"] is None

    rows = list(csv.DictReader(io.StringIO(_list(project, "nps", "--format", "csv"))))
    assert [(r["metric"], r["period"], r["value"], r["segment"], r["entered_by"]) for r in rows] == [
        ("nps", "2025-01-01", "40.0", "", "alice"),
        ("nps", "2025-02-01", "42.5", "", "bob"),
        ("nps", "2025-03-01", "43.0", "", "bob"),
    ]

    table = _list(project, "nps")
    assert "Net promoter score: 3 values by month, entered by hand" in table
    assert [line.split()[:3] for line in table.splitlines() if line.startswith("2025-")] == [
        ["2025-01", "40.00", dt.datetime.fromisoformat(listing["values"][0]["updated_at"]).strftime("%Y-%m-%d")],
        ["2025-02", "42.50", dt.datetime.fromisoformat(listing["values"][1]["updated_at"]).strftime("%Y-%m-%d")],
        ["2025-03", "43.00", dt.datetime.fromisoformat(listing["values"][2]["updated_at"]).strftime("%Y-%m-%d")],
    ]
    assert [line.split()[-1] for line in table.splitlines() if line.startswith("2025-")] == ["alice", "bob", "bob"]


def test_computed_values_are_those_refresh_stored(project: Path) -> None:
    assert "no stored values of revenue by month" in _list(project, "revenue")
    assert runner.invoke(app, ["refresh", "--project", str(project)]).exit_code == 0

    listing = json.loads(_list(project, "revenue", "--format", "json"))
    assert (listing["kind"], listing["grain"]) == ("computed", "month")
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        expected = con.sql(
            "SELECT date_trunc('month', order_date)::DATE, sum(amount)::DOUBLE FROM orders GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    got = [(dt.date.fromisoformat(v["period"]), v["value"]) for v in listing["values"]]
    assert [p for p, _ in got] == [p for p, _ in expected]
    assert [v for _, v in got] == pytest.approx([v for _, v in expected])
    assert all(v["run_id"] is not None and v["entered_by"] is None for v in listing["values"])

    # refresh stores a metric by day only for the KPIs that read it: this project has none
    assert "no stored values of revenue by day (computed by refresh)" in _list(project, "revenue", "--grain", "day")


def test_unknown_metric_and_wrong_grain(project: Path) -> None:
    unknown = runner.invoke(app, ["values", "list", "nsp", "--project", str(project)])
    assert unknown.exit_code == 1 and "no metric named 'nsp'; did you mean 'nps'?" in unknown.output
    wrong = runner.invoke(app, ["values", "list", "nps", "--grain", "week", "--project", str(project)])
    assert wrong.exit_code == 1 and "metric 'nps' is entered by month" in wrong.output
    bad = runner.invoke(app, ["values", "list", "nps", "--grain", "fortnight", "--project", str(project)])
    assert bad.exit_code == 2 and "expected one of day, week" in bad.output
