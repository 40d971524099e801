"""The JSON Schemas: never stale, documented, and in agreement with the loader."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from onpace.catalog import files
from onpace.catalog import models as m
from onpace.catalog.schema import (
    MODELS_SCHEMA_FILE,
    PROJECT_SCHEMA_FILE,
    json_ready,
    main,
    models_schema,
    project_schema,
    render,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schema"
BROKEN = Path(__file__).parent / "broken"
TPCH = resources.files("onpace.examples") / "tpch"


def _errors(schema: dict[str, Any], data: Any) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(json_ready(data))]


@pytest.mark.parametrize(
    ("file", "schema"),
    [(PROJECT_SCHEMA_FILE, project_schema()), (MODELS_SCHEMA_FILE, models_schema())],
)
def test_committed_schema_is_up_to_date(file: str, schema: dict[str, Any]) -> None:
    committed = (SCHEMA_DIR / file).read_text(encoding="utf-8")
    assert committed == render(schema), f"schema/{file} is stale: run python -m onpace.catalog.schema"


def test_the_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    assert main(["--out", str(SCHEMA_DIR), "--check"]) == 0


@pytest.mark.parametrize("schema", [project_schema(), models_schema()], ids=["project", "models"])
def test_schemas_are_valid_and_documented(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    undocumented = []
    for name, definition in {"(root)": schema, **schema["$defs"]}.items():
        if "description" not in definition:
            undocumented.append(name)
        for key, prop in definition.get("properties", {}).items():
            if not prop.get("description"):
                undocumented.append(f"{name}.{key}")
    assert not undocumented, "add descriptions in onpace/catalog/schema.py: " + ", ".join(undocumented)


def test_the_tpch_example_matches_the_schemas() -> None:
    project = yaml.safe_load((TPCH / "onpace.yml").read_text(encoding="utf-8"))
    assert _errors(project_schema(), project) == []
    files = [f for f in (TPCH / "models").iterdir() if f.name.endswith((".yml", ".yaml"))]
    assert files
    for file in files:
        assert _errors(models_schema(), yaml.safe_load(file.read_text(encoding="utf-8"))) == [], file.name


def test_a_metric_without_type_is_simple() -> None:
    schema = models_schema()
    assert _errors(schema, {"metrics": [{"name": "revenue", "measure": "orders.revenue"}]}) == []
    assert _errors(schema, {"metrics": [{"name": "revenue", "type": "simple", "measure": "orders.revenue"}]}) == []
    # a ratio needs its numerator; the keys of one type are not allowed on another
    assert _errors(schema, {"metrics": [{"name": "aov", "type": "ratio", "denominator": "orders"}]})
    assert _errors(schema, {"metrics": [{"name": "aov", "numerator": "revenue", "denominator": "orders"}]})
    assert _errors(schema, {"metrics": [{"name": "aov", "type": "ration"}]})


def _loader_accepts(model: type[BaseModel], data: Any) -> bool:
    try:
        model.model_validate(files.default_type(data) if model is files.ModelFile else data)
    except ValidationError:
        return False
    return True


def _is_yaml(path: Path) -> bool:
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return True


BROKEN_FILES = sorted(p for p in BROKEN.rglob("*.yml") if _is_yaml(p))


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.relative_to(BROKEN).as_posix())
def test_schema_and_loader_agree_on_shape(path: Path) -> None:
    """A file the loader rejects for its shape, the schema rejects too, and the other way round."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    model: type[BaseModel] = m.ProjectConfig if path.name == "onpace.yml" else files.ModelFile
    schema = project_schema() if path.name == "onpace.yml" else models_schema()
    assert (not _errors(schema, data)) == _loader_accepts(model, data)


def test_shape_errors_are_caught_by_the_schema() -> None:
    def rejected(path: Path) -> bool:
        model: type[BaseModel] = m.ProjectConfig if path.name == "onpace.yml" else files.ModelFile
        return not _loader_accepts(model, yaml.safe_load(path.read_text(encoding="utf-8")))

    assert {p.relative_to(BROKEN).as_posix() for p in BROKEN_FILES if rejected(p)} == {
        "kpi_problems/models/shape.yml",
        "several_at_once/models/targets.yml",
        "unknown_key/models/datasets.yml",
        "unknown_key/models/metrics.yml",
        "unknown_key_project/onpace.yml",
        "unknown_metric_type/models/metrics.yml",
        "wrong_types/models/metrics.yml",
    }
