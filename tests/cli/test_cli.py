"""The command line on a project made by `onpace init`, checked against hand-written SQL."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "shop"
    result = runner.invoke(app, ["init", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def sql(project: Path, text: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(text).fetchall()
    finally:
        con.close()


def test_init_refuses_a_non_empty_directory(project: Path) -> None:
    result = runner.invoke(app, ["init", str(project)])
    assert result.exit_code == 1
    assert "not empty" in result.output


def test_init_writes_the_schemas_the_yaml_points_at(project: Path) -> None:
    first_line = (project / "models" / "sales.yml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schema/onpace.schema.json"
    assert json.loads((project / "schema" / "onpace.schema.json").read_text())["title"]


def test_validate_ok(project: Path) -> None:
    result = runner.invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_query_json_matches_hand_written_sql(project: Path) -> None:
    result = runner.invoke(
        app,
        [
            "query",
            "revenue",
            "orders",
            "avg_order_value",
            "--by",
            "region",
            "--grain",
            "month",
            "--start",
            "2024-03-01",
            "--end",
            "2024-05-31",
            "--format",
            "json",
            "--project",
            str(project),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert all(list(row) == ["period", "region", "revenue", "orders", "avg_order_value"] for row in rows)
    expected = sql(
        project,
        """select strftime(date_trunc('month', order_date), '%Y-%m-%d'), region, sum(amount)::double, count(*),
                  sum(amount)::double / count(*)
           from orders where order_date between date '2024-03-01' and date '2024-05-31'
           group by all order by 1, 2""",
    )
    assert len(rows) == len(expected) == 9
    for row, (period, region, revenue, orders, aov) in zip(rows, expected, strict=True):
        assert (row["period"], row["region"], row["orders"]) == (period, region, orders)
        assert row["revenue"] == pytest.approx(revenue, rel=1e-12)
        assert row["avg_order_value"] == pytest.approx(aov, rel=1e-12)


def test_query_without_grain_gives_totals(project: Path) -> None:
    result = runner.invoke(
        app, ["query", "orders", "--start", "2024-01-01", "--end", "2024-12-31", "-f", "json", "-p", str(project)]
    )
    assert result.exit_code == 0, result.output
    [(count,)] = sql(project, "select count(*) from orders where year(order_date) = 2024")
    assert json.loads(result.output) == [{"orders": count}]


def test_query_csv(project: Path) -> None:
    result = runner.invoke(
        app, ["query", "orders", "--grain", "year", "--by", "channel", "-f", "csv", "-p", str(project)]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()  # the note on a partial last year goes to stderr
    assert lines[0] == "period,channel,orders"
    expected = sql(project, "select year(order_date), channel, count(*) from orders group by all order by 1, 2")
    assert [line.split(",") for line in lines[1:]] == [[f"{y}-01-01", c, str(n)] for y, c, n in expected]


def test_query_table_shows_labels(project: Path) -> None:
    result = runner.invoke(app, ["query", "revenue", "--grain", "year", "-p", str(project)])
    assert result.exit_code == 0, result.output
    assert "Revenue" in result.output and "USD" in result.output


def test_sql_runs_on_its_own_and_gives_the_query_s_numbers(project: Path) -> None:
    args = [
        "revenue_mtd",
        "orders",
        "--by",
        "region",
        "--grain",
        "week",
        "--start",
        "2024-03-01",
        "--end",
        "2024-03-31",
    ]
    printed = runner.invoke(app, ["sql", *args, "-p", str(project)])
    assert printed.exit_code == 0, printed.output
    assert "onpace_days_" in printed.output  # the days of the cumulative window, written in as a CTE
    rows = sorted(sql(project, printed.output))
    queried = runner.invoke(app, ["query", *args, "-f", "json", "-p", str(project)])
    expected = [(r["period"], r["region"], r["revenue_mtd"], r["orders"]) for r in json.loads(queried.output)]
    got = [(p.isoformat(), region, mtd, n) for p, region, mtd, n in rows]
    assert [(p, r, n) for p, r, _, n in got] == [(p, r, n) for p, r, _, n in expected]
    assert [m for _, _, m, _ in got] == pytest.approx([m for _, _, m, _ in expected], rel=1e-12)
    # the week of Monday 26 February (1-3 March, partial) and the 4 weeks starting in March x 3 regions
    assert len(got) == 15


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "revenu"], "did you mean 'revenue'"),
        (["query", "revenue", "--by", "regon"], "did you mean 'region'"),
        (["query", "revenue", "--grain", "montly"], "did you mean 'month'"),
        (["query", "revenue", "--start", "2024-02-30"], "not a date"),
        (["query", "revenue", "--where", "region = "], "unexpected end"),
        (["query", "revenue", "--start", "2025-01-01", "--end", "2024-01-01"], "is after end"),
        (["query", "revenue_growth_yoy"], "need a grain"),
    ],
)
def test_bad_queries_get_clear_errors(project: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--project", str(project)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_validate_lists_every_problem_and_fails(tmp_path: Path, project: Path) -> None:
    broken = tmp_path / "broken"
    runner.invoke(app, ["init", str(broken)])
    models = broken / "models" / "sales.yml"
    text = models.read_text()
    text = text.replace("numerator: revenue", "numerator: revenu").replace("expr: amount}", "expr: amont}")
    models.write_text(text)
    result = runner.invoke(app, ["validate", "--project", str(broken), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    messages = [issue["message"] for issue in report["issues"]]
    assert any("unknown metric 'revenu'" in msg for msg in messages), messages
    offline = runner.invoke(app, ["validate", "--project", str(broken), "--offline"])
    assert offline.exit_code == 1
    assert "models/sales.yml:" in offline.output


def test_unknown_column_is_found_against_the_data(tmp_path: Path) -> None:
    broken = tmp_path / "cols"
    runner.invoke(app, ["init", str(broken)])
    models = broken / "models" / "sales.yml"
    models.write_text(models.read_text().replace("expr: amount}", "expr: amont}"))
    result = runner.invoke(app, ["validate", "--project", str(broken), "--format", "json"])
    assert result.exit_code == 1
    [issue] = json.loads(result.output)["issues"]
    assert issue["file"] == "models/sales.yml"
    assert issue["suggestion"] == "amount"
    assert "unknown column or dimension 'amont'" in issue["message"]
    line = models.read_text().splitlines()[issue["line"] - 1]
    assert "amont" in line


def test_validate_counts_objectives_and_kpis(tmp_path: Path) -> None:
    from onpace.examples.tpch_data import copy_project

    copy_project(tmp_path / "tpch", 1.0)  # definitions only: --offline needs no data
    result = runner.invoke(app, ["validate", "--offline", "--project", str(tmp_path / "tpch")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "5 datasets, 13 metrics, 3 objectives, 8 KPIs" in result.output
