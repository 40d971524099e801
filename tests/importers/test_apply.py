"""`onpace import dbt`: the files it writes, re-imports that keep KPIs, --check, and errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.errors import DefinitionError, UserError
from onpace.importers.apply import apply_import, plan_import
from onpace.importers.dbt_project import read_dbt_project

runner = CliRunner()


def semantic_manifest(metrics: list[str]) -> dict[str, Any]:
    return {
        "semantic_models": [
            {
                "name": "orders",
                "node_relation": {"alias": "orders", "schema_name": "main", "relation_name": "orders"},
                "defaults": {"agg_time_dimension": "ds"},
                "entities": [{"name": "order", "type": "primary", "expr": "order_id"}],
                "dimensions": [{"name": "ds", "type": "time", "type_params": {"time_granularity": "day"}}],
                "measures": [{"name": "revenue", "agg": "sum", "expr": "amount"}],
            }
        ],
        "metrics": [
            {"name": name, "type": "simple", "type_params": {"measure": {"name": "revenue"}}} for name in metrics
        ],
        "project_configuration": {"time_spine_table_configurations": []},
    }


def dbt_project(folder: Path, metrics: list[str], profile: dict[str, Any] | None = None) -> Path:
    (folder / "target").mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text("name: shop_dbt\nprofile: shop\n", encoding="utf-8")
    output = profile or {"type": "duckdb", "path": "warehouse.duckdb"}
    (folder / "profiles.yml").write_text(
        yaml.safe_dump({"shop": {"target": "dev", "outputs": {"dev": output}}}), encoding="utf-8"
    )
    (folder / "target" / "semantic_manifest.json").write_text(json.dumps(semantic_manifest(metrics)), encoding="utf-8")
    return folder


KPIS = """\
objectives:
  - {name: grow, owner: CEO}
kpis:
  - name: revenue_kpi
    metric: revenue
    objective: grow
    owner: CEO
    timeframe: quarter
    review_cadence: monthly
    target: {at_least: 100}
"""


def test_a_new_project_gets_the_source_and_the_definitions(tmp_path: Path) -> None:
    dbt = dbt_project(tmp_path / "dbt", ["revenue"])
    apply_import(plan_import(dbt, tmp_path / "op"))
    project = load_project(tmp_path / "op")
    assert project.config.sources["dbt"].url == f"duckdb:///{(dbt / 'warehouse.duckdb').resolve()}"
    assert set(project.metrics) == {"revenue"} and set(project.datasets) == {"orders"}
    assert (tmp_path / "op" / "models" / "dbt.yml").read_text(encoding="utf-8").startswith("# Written by")


def test_reimporting_updates_the_imported_file_and_keeps_kpis_and_user_files(tmp_path: Path) -> None:
    dbt = dbt_project(tmp_path / "dbt", ["revenue", "sales"])
    target = tmp_path / "op"
    apply_import(plan_import(dbt, target))
    (target / "models" / "goals.yml").write_text(KPIS, encoding="utf-8")
    config = target / "onpace.yml"
    config.write_text("# our project\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    dbt_project(dbt, ["revenue", "turnover"])  # sales dropped, turnover added
    plan = plan_import(dbt, target)
    assert {(c.action, c.kind, c.name) for c in plan.changes} == {
        ("created", "metric", "turnover"),
        ("removed", "metric", "sales"),
    }
    apply_import(plan)
    project = load_project(target)
    assert set(project.metrics) == {"revenue", "turnover"}
    assert set(project.kpis) == {"revenue_kpi"}
    assert (target / "models" / "goals.yml").read_text(encoding="utf-8") == KPIS
    assert config.read_text(encoding="utf-8").startswith("# our project\n")  # unchanged: the source is the same


def test_an_import_that_would_break_a_kpi_writes_nothing(tmp_path: Path) -> None:
    dbt = dbt_project(tmp_path / "dbt", ["revenue"])
    target = tmp_path / "op"
    apply_import(plan_import(dbt, target))
    (target / "models" / "goals.yml").write_text(KPIS, encoding="utf-8")
    before = (target / "models" / "dbt.yml").read_text(encoding="utf-8")
    dbt_project(dbt, ["turnover"], profile={"type": "duckdb", "path": "other.duckdb"})
    with pytest.raises(DefinitionError, match="revenue"):
        apply_import(plan_import(dbt, target))
    assert (target / "models" / "dbt.yml").read_text(encoding="utf-8") == before
    assert "other.duckdb" not in (target / "onpace.yml").read_text(encoding="utf-8")  # put back


def test_check_prints_the_changes_and_writes_nothing(tmp_path: Path) -> None:
    dbt = dbt_project(tmp_path / "dbt", ["revenue"])
    result = runner.invoke(app, ["import", "dbt", str(dbt), "--project", str(tmp_path / "op"), "--check"])
    assert result.exit_code == 0, result.output
    assert "created  metric revenue" in result.output
    assert "created  dataset orders" in result.output
    assert "nothing was written" in result.output
    assert not (tmp_path / "op").exists()


def test_bad_input_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no dbt_project\.yml"):
        read_dbt_project(tmp_path)
    dbt = dbt_project(tmp_path / "dbt", ["revenue"])
    (dbt / "target" / "semantic_manifest.json").write_text('{"metrics": 3}', encoding="utf-8")
    with pytest.raises(UserError, match=r"semantic_manifest.json is not a dbt semantic manifest"):
        read_dbt_project(dbt)
    (dbt / "target" / "semantic_manifest.json").unlink()
    result = runner.invoke(app, ["import", "dbt", str(dbt), "--project", str(tmp_path / "op")])
    assert result.exit_code == 1
    assert "run 'dbt parse'" in " ".join(result.output.split())


def test_postgres_profiles_never_copy_a_password(tmp_path: Path) -> None:
    profile = {"type": "postgres", "host": "db", "port": 5432, "user": "{{ env_var('PGUSER') }}",
               "password": "s3cret", "dbname": "shop"}  # fmt: skip
    project = read_dbt_project(dbt_project(tmp_path, ["revenue"], profile=profile))
    assert project.source_url == "postgresql://${PGUSER}:${DBT_PASSWORD}@db:5432/shop"
    assert any("password is not copied" in note for note in project.notes)
