"""docs/definitions.md is tested: every YAML example in it is a real file of a real project.

Markers in the Markdown (HTML comments, invisible when rendered) say what each block is:

- ``<!-- file: PATH -->`` before a ```yaml block: a complete file of the doc's example
  project. All of them together must load without a problem.
- ``<!-- file: PATH project: NAME -->``: a variant: the example project with this file
  added (or replaced). It must load, unless an ``errors of: NAME`` block follows.
- ``<!-- errors of: NAME -->`` before a ```text block: the exact error that loading
  variant NAME raises.
- ``<!-- expressions -->`` before a ```text block: one valid expression per line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest
import yaml

from onpace.catalog import models as m
from onpace.catalog.expr import FUNCTIONS, parse
from onpace.catalog.project import load_project
from onpace.catalog.schema import FIELD_DOCS, json_ready, models_schema, project_schema
from onpace.errors import DefinitionError

DOC = Path(__file__).resolve().parents[2] / "docs" / "definitions.md"
TEXT = DOC.read_text(encoding="utf-8")

FILE_BLOCK = re.compile(r"<!-- file: (?P<path>\S+)(?: project: (?P<project>\w+))? -->\n```yaml\n(?P<body>.*?)```", re.S)
ERRORS_BLOCK = re.compile(r"<!-- errors of: (?P<project>\w+) -->\n```text\n(?P<body>.*?)```", re.S)
EXPRESSIONS_BLOCK = re.compile(r"<!-- expressions -->\n```text\n(?P<body>.*?)```", re.S)

#: The environment the examples are loaded with (credentials always come from it).
ENV = {"PGUSER": "analyst", "PGPASSWORD": "not-a-secret", "MYSQL_PASSWORD": "not-a-secret"}

MAIN = "main"


def _projects() -> dict[str, dict[str, str]]:
    """Project name -> {path: content}; variants start from the main project's files."""
    files: dict[str, dict[str, str]] = defaultdict(dict)
    for match in FILE_BLOCK.finditer(TEXT):
        project = match["project"] or MAIN
        assert match["path"] not in files[project], f"{match['path']} is given twice for project {project}"
        files[project][match["path"]] = match["body"]
    return {name: {**files[MAIN], **own} if name != MAIN else own for name, own in files.items()}


PROJECTS = _projects()
ERRORS = {match["project"]: match["body"].rstrip("\n") for match in ERRORS_BLOCK.finditer(TEXT)}


def _write(root: Path, files: dict[str, str]) -> Path:
    for path, body in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    return root


def test_every_yaml_example_is_a_marked_file() -> None:
    assert TEXT.count("```yaml") == len(FILE_BLOCK.findall(TEXT)), "a ```yaml block without <!-- file: ... -->"
    assert "onpace.yml" in PROJECTS[MAIN]


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_example_project_loads(name: str, tmp_path: Path) -> None:
    root = _write(tmp_path, PROJECTS[name])
    if name not in ERRORS:
        project = load_project(root, env=ENV)
        assert project.metrics or name != MAIN
        return
    with pytest.raises(DefinitionError) as info:
        load_project(root, env=ENV)
    assert str(info.value) == ERRORS[name]


def test_the_main_example_has_every_metric_type(tmp_path: Path) -> None:
    project = load_project(_write(tmp_path, PROJECTS[MAIN]), env=ENV)
    assert {metric.type for metric in project.metrics.values()} == {
        "simple",
        "ratio",
        "derived",
        "cumulative",
        "conversion",
        "semi_additive",
    }
    assert project.default_source == "warehouse"  # no sources: the embedded DuckDB file
    assert project.sources["warehouse"].url == "duckdb:///data/warehouse.duckdb"


def test_every_error_block_belongs_to_a_project() -> None:
    assert set(ERRORS) <= set(PROJECTS)


def test_yaml_examples_match_the_json_schemas() -> None:
    for match in FILE_BLOCK.finditer(TEXT):
        schema = project_schema() if match["path"] == "onpace.yml" else models_schema()
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json_ready(yaml.safe_load(match["body"]))))
        shape_error = match["project"] in ERRORS and not _loader_accepts_shape(match["path"], match["body"])
        if shape_error:
            assert errors, f"{match['path']} ({match['project']}) should not match the schema"
        else:
            assert not errors, f"{match['path']}: {errors[0].message}"


def _loader_accepts_shape(path: str, body: str) -> bool:
    """Whether the file has the right shape (its references may still be wrong)."""
    from pydantic import ValidationError

    from onpace.catalog import files

    model = m.ProjectConfig if path == "onpace.yml" else files.ModelFile
    data = yaml.safe_load(body)
    try:
        model.model_validate(files.default_type(data) if model is files.ModelFile else data)
    except ValidationError:
        return False
    return True


def test_expression_examples_parse() -> None:
    lines = [line for block in EXPRESSIONS_BLOCK.findall(TEXT) for line in block.splitlines() if line.strip()]
    assert len(lines) >= 10
    for line in lines:
        parse(line)


def test_every_function_is_documented() -> None:
    for name in FUNCTIONS:
        assert f"`{name}(" in TEXT, f"function {name} is not in docs/definitions.md"


def test_every_key_is_documented() -> None:
    for model in FIELD_DOCS:
        for name, info in model.model_fields.items():
            field = info.alias or name
            assert f"`{field}`" in TEXT or f".{field}`" in TEXT, f"{model.__name__}.{field} is not documented"


@pytest.mark.parametrize(
    "values",
    [list(m.Agg), list(m.Grain), list(m.Cadence), list(m.Direction)],
    ids=["agg", "grain", "cadence", "direction"],
)
def test_every_choice_is_documented(values: list[m.Agg | m.Grain | m.Cadence | m.Direction]) -> None:
    for value in values:
        assert f"`{value.value}`" in TEXT, f"{value.value} is not documented"


def test_every_metric_type_has_a_section() -> None:
    for tag in ("simple", "ratio", "derived", "cumulative", "conversion", "semi_additive"):
        assert f"\n### {tag}\n" in TEXT


# -- the example project against data: its tables exist and every metric runs -----------------------------

STOCK_METRICS = {"stock_on_hand", "average_stock", "warehouse_stock"}


def _warehouse(root: Path) -> Path:
    """The tables the doc's datasets read, in the default source data/warehouse.duckdb."""
    import duckdb

    (root / "data").mkdir(exist_ok=True)
    con = duckdb.connect(str(root / "data" / "warehouse.duckdb"))
    try:
        for statement in (
            "create table orders (order_id integer, customer_id integer, ordered_at date, channel varchar,"
            " amount decimal(12, 2), discount decimal(12, 2), delivered_at timestamp, promised_at timestamp,"
            " delivery_hours double)",
            "insert into orders values"
            " (1, 1, date '2024-01-05', 'web', 120, 10, timestamp '2024-01-07 10:00', timestamp '2024-01-08 00:00', 48),"
            " (2, 2, date '2024-01-20', 'shop', 40, null, timestamp '2024-01-25 10:00', timestamp '2024-01-22 00:00', 120),"
            " (3, 1, date '2024-02-03', 'web', 60, 0, null, timestamp '2024-02-06 00:00', null),"
            " (4, 3, date '2023-02-10', 'web', 80, 5, timestamp '2023-02-11 09:00', timestamp '2023-02-12 00:00', 24)",
            "create schema crm",
            "create table crm.customers (customer_id integer, region varchar, signed_up_at date)",
            "insert into crm.customers values (1, 'EU', date '2023-01-01'), (2, 'US', date '2024-01-10'),"
            " (3, 'EU', date '2023-02-01')",
            "create table stock_counts (warehouse_name varchar, product_id integer, counted_on date, units integer,"
            " is_test_warehouse boolean)",
            "insert into stock_counts values ('north', 1, date '2024-01-31', 10, false),"
            " ('south', 1, date '2024-01-31', 5, false), ('north', 1, date '2024-01-15', 7, false),"
            " ('test', 1, date '2024-01-31', 99, true), ('north', 1, date '2024-02-29', 3, false)",
        ):
            con.execute(statement)
    finally:
        con.close()
    return root


@pytest.fixture(scope="module")
def with_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The main example project with a small database behind it."""
    return _warehouse(_write(tmp_path_factory.mktemp("example"), PROJECTS[MAIN]))


def test_the_main_example_matches_its_data(with_data: Path) -> None:
    from onpace.engine.check import check_sources

    project = load_project(with_data, env=ENV)
    assert [str(issue) for issue in check_sources(project)] == []


@pytest.mark.parametrize(
    "metric",
    [
        name
        for match in FILE_BLOCK.finditer(TEXT)
        if not match["project"]
        for name in [metric["name"] for metric in (yaml.safe_load(match["body"]) or {}).get("metrics", [])]
    ],
)
def test_every_example_metric_runs(metric: str, with_data: Path) -> None:

    from onpace.engine import Engine, Query

    project = load_project(with_data, env=ENV)
    by = ["warehouse"] if metric in STOCK_METRICS else ["region"]
    query = Query(metrics=[metric], dimensions=by, grain="month", start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 29))
    with Engine(project) as engine:
        table = engine.query(query)
    assert table.column_names == ["period", by[0], metric]
    assert table.num_rows > 0
