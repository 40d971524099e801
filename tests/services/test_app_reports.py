"""Reports made in the web app or the API are kept as code in models/app.yml, checked before they land."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from onpace.catalog.project import load_project
from onpace.errors import ConflictError, DefinitionError
from onpace.examples.tpch_data import copy_project
from onpace.services import app_definitions
from onpace.store.db import Store

APP = Path("models") / "app.yml"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "tpch"
    copy_project(root, 1)
    return root


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}").ensure_current()


def test_a_report_made_in_the_app_is_written_as_code(project_dir: Path, store: Store) -> None:
    text = "name: ops_weekly\naudience: {owner: Head of Operations}\nschedule: {cron: '0 8 * * mon'}\n"
    changed = app_definitions.save_text(load_project(project_dir), store, "report", text, actor="ana")
    assert changed.reports["ops_weekly"].audience.owner == "Head of Operations"
    written = yaml.safe_load((project_dir / APP).read_text(encoding="utf-8"))
    assert written["reports"] == [
        {"name": "ops_weekly", "audience": {"owner": "Head of Operations"}, "schedule": {"cron": "0 8 * * mon"}}
    ]
    assert load_project(project_dir).reports["ops_weekly"].schedule is not None  # it loads as code


def test_a_bad_report_is_refused_and_nothing_is_written(project_dir: Path, store: Store) -> None:
    with pytest.raises(DefinitionError) as info:
        app_definitions.save_text(
            load_project(project_dir), store, "report", "name: pack\naudience: {objective: grow_sale}\n", actor="ana"
        )
    assert "unknown objective 'grow_sale'" in str(info.value)
    assert "did you mean 'grow_sales'" in str(info.value)
    assert not (project_dir / APP).exists()


def test_a_report_defined_in_a_model_file_is_managed_as_code(project_dir: Path, store: Store) -> None:
    (project_dir / "models" / "reports.yml").write_text("reports:\n  - name: pack\n", encoding="utf-8")
    with pytest.raises(ConflictError) as info:
        app_definitions.save_text(load_project(project_dir), store, "report", "name: pack\n", actor="ana", name="pack")
    assert "models/reports.yml" in str(info.value)
    app_definitions.save_text(load_project(project_dir), store, "report", "name: other\n", actor="ana")
    app_definitions.delete(load_project(project_dir), store, "report", "other", actor="ana")
    assert set(load_project(project_dir).reports) == {"pack"}


def test_an_objective_without_kpis_yet_is_a_valid_audience(project_dir: Path, store: Store) -> None:
    (project_dir / "models" / "new.yml").write_text(
        "objectives:\n  - {name: expand_asia, owner: Head of Sales}\nreports:\n  - {name: asia, audience: {objective: expand_asia}}\n",
        encoding="utf-8",
    )
    assert load_project(project_dir).reports["asia"].audience.objective == "expand_asia"
