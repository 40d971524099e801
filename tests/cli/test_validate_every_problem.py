"""`onpace validate` lists every problem in one run (issue 16, "the other problems seen").

1. Reproduction: ``onpace library add conversion_rate csat`` into a project made by ``onpace
   init`` (which has no web traffic or support tickets tables). ``validate`` reported the two
   missing tables and then the project's own, valid ``orders`` dataset with DuckDB's
   "Resource In Use ... unfinished result": looking for a "did you mean" table had left a
   result unread on the connection. Only the two missing tables are problems.
2. A YAML syntax error in one file, an unknown metric in another and an unknown column in a
   third: the three are listed together, each with its file and line (the column used to be
   checked only once the definitions had no problem left).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onpace.cli.main import app

runner = CliRunner()

BROKEN_YAML = """\
metrics:
  - name: refunds
    measure: orders.revenue
     label: oops
"""

BAD_REFERENCE = """\
metrics:
  - name: revenue_per_customer
    type: ratio
    numerator: revenue
    denominator: active_customer
"""

MISSING_COLUMN = """\
datasets:
  - name: shipments
    table: orders
    time: shipped_on
    dimensions:
      - {name: shipped_on, column: order_date, type: time}
    measures:
      - {name: shipped_amount, agg: sum, expr: amont}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    done = runner.invoke(app, ["init", str(root)])
    assert done.exit_code == 0, done.output
    return root


def _validate(project: Path, *options: str) -> tuple[int, str]:
    done = runner.invoke(app, ["validate", "--project", str(project), *options], env={"COLUMNS": "400"})
    return done.exit_code, done.output


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_library_entries_without_their_tables(project: Path) -> None:
    added = runner.invoke(app, ["library", "add", "conversion_rate", "csat", "--project", str(project)])
    assert added.exit_code == 0, added.output
    library = project / "models" / "library"
    traffic = _line_of(library / "conversion_rate.yml", "table: web_traffic_daily")
    tickets = _line_of(library / "csat.yml", "table: support_tickets")

    code, output = _validate(project)
    assert code == 1
    lines = [line.strip() for line in output.splitlines()]
    assert lines == [
        f"2 problems in {project}:",
        f"models/library/conversion_rate.yml:{traffic}: datasets[0].table: dataset 'conversion_rate_traffic': "
        "table 'web_traffic_daily' does not exist (expected an existing table)",
        f"models/library/csat.yml:{tickets}: datasets[0].table: dataset 'csat_tickets': "
        "table 'support_tickets' does not exist (expected an existing table)",
    ]
    assert "Resource In Use" not in output and "sales.yml" not in output

    code, output = _validate(project, "--format", "json")
    report = json.loads(output)
    assert code == 1 and report["ok"] is False
    assert [(i["file"], i["line"]) for i in report["issues"]] == [
        ("models/library/conversion_rate.yml", traffic),
        ("models/library/csat.yml", tickets),
    ]


def test_a_misspelt_table_gets_a_suggestion_and_spoils_nothing_else(project: Path) -> None:
    models = project / "models" / "sales.yml"
    models.write_text(models.read_text(encoding="utf-8").replace("table: orders", "table: order"), encoding="utf-8")
    (project / "models" / "more.yml").write_text(MISSING_COLUMN, encoding="utf-8")
    code, output = _validate(project, "--format", "json")
    issues = json.loads(output)["issues"]
    assert code == 1
    assert [(i["file"], i["message"], i["suggestion"]) for i in issues] == [
        ("models/more.yml", "unknown column or dimension 'amont' (dataset 'shipments')", "amount"),
        ("models/sales.yml", "dataset 'orders': table 'order' does not exist", "orders"),
    ]


def test_syntax_references_and_columns_in_one_run(project: Path) -> None:
    models = project / "models"
    (models / "broken.yml").write_text(BROKEN_YAML, encoding="utf-8")
    (models / "refs.yml").write_text(BAD_REFERENCE, encoding="utf-8")
    (models / "columns.yml").write_text(MISSING_COLUMN, encoding="utf-8")

    code, output = _validate(project)
    assert code == 1
    assert f"3 problems in {project}:" in output
    assert "models/broken.yml:4: YAML syntax error at column 11" in output
    assert (
        "models/refs.yml:5: metrics[0].denominator: unknown metric 'active_customer' in ratio metric "
        "'revenue_per_customer'"
    ) in output
    assert "did you mean 'active_customers'?" in output
    assert "models/columns.yml:8: datasets[0].measures[0].expr: unknown column or dimension 'amont'" in output
    assert "did you mean 'amount'?" in output

    code, output = _validate(project, "--format", "json")
    assert code == 1
    assert [(i["file"], i["line"], i["path"]) for i in json.loads(output)["issues"]] == [
        ("models/broken.yml", 4, None),
        ("models/refs.yml", 5, "metrics[0].denominator"),
        ("models/columns.yml", 8, "datasets[0].measures[0].expr"),
    ]

    # without the data, the column cannot be checked
    code, output = _validate(project, "--offline", "--format", "json")
    assert [i["file"] for i in json.loads(output)["issues"]] == ["models/broken.yml", "models/refs.yml"]


def test_a_source_problem_is_listed_once(project: Path) -> None:
    config = project / "onpace.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("duckdb:///data/warehouse.duckdb", "duckdb:///data/${NO_SUCH_VARIABLE}.duckdb"))
    (project / "models" / "refs.yml").write_text(BAD_REFERENCE, encoding="utf-8")
    code, output = _validate(project, "--format", "json")
    issues = json.loads(output)["issues"]
    assert code == 1
    assert [(i["file"], i["message"]) for i in issues] == [
        ("onpace.yml", "environment variable NO_SUCH_VARIABLE is not set (source 'warehouse')"),
        ("models/refs.yml", "unknown metric 'active_customer' in ratio metric 'revenue_per_customer'"),
    ]


def test_a_valid_project_is_ok(project: Path) -> None:
    code, output = _validate(project)
    assert code == 0, output
    assert output.startswith("OK: 1 datasets, 6 metrics, 0 objectives, 0 KPIs")
