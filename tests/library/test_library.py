"""The KPI library: its entries, rendering onto the user's columns, adding to a project, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from onpace.catalog.project import load_project
from onpace.cli.main import app
from onpace.errors import DefinitionError, NotFoundError, UserError
from onpace.library import scaffold
from onpace.library.entries import Benchmark, Entry, Library, LibraryError, load_library
from onpace.library.industries import Category, Industry
from onpace.library.render import PATTERNS, describe, render_definitions, render_yaml, resolve_inputs
from onpace.library.sources import SOURCES, TITLES

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def said(output: str) -> str:
    """The output on one line (Rich wraps long messages at the terminal's width)."""
    return " ".join(output.split())


LIBRARY = load_library()
ENTRIES = list(LIBRARY.entries.values())


def project(tmp_path: Path, models: dict[str, str] | None = None) -> Path:
    """An empty project (no data: load_project checks definitions only)."""
    (tmp_path / "onpace.yml").write_text(
        "name: shop\nsources:\n  warehouse:\n    url: duckdb:///data/demo.duckdb\n", encoding="utf-8"
    )
    for name, text in (models or {}).items():
        path = tmp_path / "models" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------------ the entries


def test_at_least_forty_entries() -> None:
    assert len(ENTRIES) >= 40


def test_names_are_unique_across_the_files() -> None:
    from importlib import resources

    from onpace.library.entries import definition_files

    names = []
    for file in definition_files():
        data = yaml.safe_load((resources.files("onpace.library") / file).read_text(encoding="utf-8"))
        names += [e["name"] for e in data["entries"]]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert set(names) == set(LIBRARY.entries)


def test_a_name_defined_twice_is_a_library_error() -> None:
    entry = LIBRARY.get("conversion_rate")
    with pytest.raises(LibraryError, match="conversion_rate: defined twice"):
        Library([entry, entry], LIBRARY.inputs.values())


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_has_what_it_needs(entry: Entry) -> None:
    for text in (entry.label, entry.what_it_tells, entry.formula, entry.unit, entry.department):
        assert text.strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", entry.what_it_tells.strip()) if s]
    assert 1 <= len(sentences) <= 3, entry.what_it_tells
    assert entry.industries and entry.direction in ("higher", "lower") and entry.cadence
    assert entry.format["kind"] in ("number", "currency", "percent", "duration")
    assert entry.placeholders(), "an entry reads the user's tables through its inputs"
    assert any(LIBRARY.inputs[n].kind == "table" for n in entry.placeholders())
    assert entry.metric_type in ("simple", "ratio", "derived", "semi_additive")


def test_every_industry_of_the_templates_has_entries() -> None:
    for industry in Industry:
        assert LIBRARY.select(industry=industry), industry
    for category in Category:
        assert LIBRARY.select(category=category), category


def test_every_input_is_used_and_its_default_is_a_valid_name() -> None:
    used = {name for entry in ENTRIES for name in entry.placeholders()}
    assert used == set(LIBRARY.inputs)
    for spec in LIBRARY.inputs.values():
        assert PATTERNS[spec.kind].match(spec.default), spec


def test_sources_and_benchmarks_cite_the_background_articles() -> None:
    assert len(TITLES) == len(SOURCES) == 5
    for entry in ENTRIES:
        assert set(entry.sources) <= TITLES, entry.name
        for benchmark in entry.benchmarks:
            assert benchmark.source in TITLES and benchmark.figure.strip(), entry.name
    # the articles publish no benchmark figure for any of these KPIs, so none is given
    assert not [e.name for e in ENTRIES if e.benchmarks]


def test_a_benchmark_needs_a_known_source() -> None:
    title = "KPIs vs Metrics | Differences that Really Matters"
    assert Benchmark(figure="20-30 %", source=title, low=0.2, high=0.3).source == title
    with pytest.raises(ValueError, match="not one of the library's sources"):
        Benchmark(figure="2-3 %", source="Some blog")
    with pytest.raises(ValueError, match="above high"):
        Benchmark(figure="x", source=title, low=2, high=1)


def test_select_and_get() -> None:
    retail = LIBRARY.select(industry="retail")
    assert all(Industry.retail in e.industries for e in retail)
    assert {"total_sales_revenue", "conversion_rate", "inventory_turnover"} <= {e.name for e in retail}
    assert {e.name for e in LIBRARY.select(industry="healthcare", category="healthcare")} == {
        "patient_visits",
        "patient_throughput_time",
        "patient_satisfaction",
        "readmission_rate",
        "admission_rate",
    }
    with pytest.raises(NotFoundError, match="did you mean 'conversion_rate'"):
        LIBRARY.get("convertion_rate")


# ------------------------------------------------------------------ rendering


def test_defaults_are_the_demo_data_names() -> None:
    entry = LIBRARY.get("conversion_rate")
    assert resolve_inputs(LIBRARY, entry) == {
        "web_traffic_table": "web_traffic_daily",
        "traffic_date": "date",
        "session_orders": "orders",
        "sessions": "sessions",
    }


def test_render_maps_inputs_onto_columns() -> None:
    entry = LIBRARY.get("total_sales_revenue")
    mapping = {"orders_table": "shop.sales_orders", "order_subtotal": "gross", "currency": "USD"}
    rendered = render_definitions(LIBRARY, entry, mapping)
    dataset = rendered["datasets"][0]
    assert dataset["table"] == "shop.sales_orders"
    assert dataset["measures"][0]["expr"] == "gross - discount"
    metric = rendered["metrics"][-1]
    assert metric["name"] == "total_sales_revenue"
    assert metric["format"] == {"kind": "currency", "currency": "USD", "decimals": 0}
    assert metric["unit"] == "USD"
    assert metric["tags"] == ["library", "sales"]
    assert metric["description"] == entry.what_it_tells
    assert (metric["direction"], metric["cadence"], metric["default_grain"]) == ("higher", "monthly", "month")


def test_a_value_cannot_change_the_structure_of_the_file() -> None:
    # a YAML-looking name stays a string: values are put into the parsed template, never into its text
    rendered = render_definitions(LIBRARY, LIBRARY.get("website_traffic"), {"traffic_date": "yes"})
    assert rendered["datasets"][0]["dimensions"][0]["column"] == "yes"
    assert "column: 'yes'" in render_yaml(LIBRARY, LIBRARY.get("website_traffic"), {"traffic_date": "yes"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("order_date", "order_date; drop table orders"),
        ("order_date", "order-date"),
        ("order_date", "1st_date"),
        ("order_date", "order date"),
        ("order_date", "'order_date'"),
        ("order_date", "orders.order_date"),  # a column is a plain name
        ("order_date", ""),
        ("orders_table", "a.b.c.d"),
        ("orders_table", "orders)"),
        ("orders_table", "${orders_table}"),
        ("currency", "usd"),
        ("currency", "EURO"),
    ],
)
def test_render_rejects_values_that_are_not_names(name: str, value: str) -> None:
    with pytest.raises(UserError, match=rf"input '{name}' of library entry 'total_sales_revenue': .* is not allowed"):
        render_definitions(LIBRARY, LIBRARY.get("total_sales_revenue"), {name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [("order_date", "true"), ("order_date", "NULL"), ("order_date", "end"), ("orders_table", "shop.select")],
)
def test_render_rejects_keywords(name: str, value: str) -> None:
    with pytest.raises(UserError, match=rf"input '{name}' of library entry 'total_sales_revenue': .* is a keyword"):
        render_definitions(LIBRARY, LIBRARY.get("total_sales_revenue"), {name: value})


@pytest.mark.parametrize("value", ["shop.orders", "warehouse.shop.orders", "Orders_2024", "_orders"])
def test_render_accepts_plain_and_dotted_table_names(value: str) -> None:
    rendered = render_definitions(LIBRARY, LIBRARY.get("total_sales_revenue"), {"orders_table": value})
    assert rendered["datasets"][0]["table"] == value


def test_render_rejects_unknown_inputs() -> None:
    with pytest.raises(UserError, match=r"has no input 'order_dat' .*did you mean 'order_date'"):
        render_definitions(LIBRARY, LIBRARY.get("total_sales_revenue"), {"order_dat": "x"})
    with pytest.raises(UserError, match="has no input 'sessions'"):
        render_definitions(LIBRARY, LIBRARY.get("total_sales_revenue"), {"sessions": "visits"})


def test_rendered_file_says_where_it_comes_from() -> None:
    text = render_yaml(LIBRARY, LIBRARY.get("conversion_rate"), schema="../../schema/onpace.schema.json")
    assert text.startswith("# yaml-language-server: $schema=../../schema/onpace.schema.json\n")
    assert "onpace library show conversion_rate" in text
    assert "# Inputs: web_traffic_table=web_traffic_daily, traffic_date=date" in text
    assert max(len(line) for line in text.splitlines() if line.startswith("#")) <= 100


def test_describe_has_everything() -> None:
    info = describe(LIBRARY, LIBRARY.get("customer_lifetime_value"))
    assert info["metric_type"] == "derived"
    assert info["industries"] == ["saas"]
    assert {i["name"] for i in info["inputs"]} >= {"subscription_months_table", "order_items_table", "currency"}
    assert all(i["value"] == i["default"] for i in info["inputs"])
    assert info["benchmarks"] == []
    assert info["sources"] == ["Separating Your Metrics and KPIs: What They Are and How They Differ?"]
    assert [m["name"] for m in info["definitions"]["metrics"]][-1] == "customer_lifetime_value"


# ------------------------------------------------------------------ adding to a project


def test_all_entries_load_together_in_one_project(tmp_path: Path) -> None:
    root = project(tmp_path)
    written = scaffold.add_entries(root, list(LIBRARY.entries))
    assert {p.name for p in written} == {f"{name}.yml" for name in LIBRARY.entries}
    loaded = load_project(root)
    assert set(LIBRARY.entries) <= set(loaded.metrics)
    for entry in ENTRIES:
        metric = loaded.metrics[entry.name]
        assert metric.label == entry.label and metric.tags == ["library", entry.category.value]
        assert metric.direction.value == entry.direction and metric.cadence == entry.cadence


def test_add_never_overwrites(tmp_path: Path) -> None:
    root = project(tmp_path)
    [path] = scaffold.add_entries(root, ["conversion_rate"])
    assert path == root / "models" / "library" / "conversion_rate.yml"
    path.write_text(path.read_text(encoding="utf-8") + "# my change\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"models/library/conversion_rate\.yml already exists; pass --force"):
        scaffold.add_entries(root, ["bounce_rate", "conversion_rate"])
    assert path.read_text(encoding="utf-8").endswith("# my change\n")
    assert not (root / "models" / "library" / "bounce_rate.yml").exists(), "nothing is written when one exists"
    scaffold.add_entries(root, ["conversion_rate"], force=True)
    assert "# my change" not in path.read_text(encoding="utf-8")


def test_a_failing_add_leaves_no_file(tmp_path: Path) -> None:
    root = project(tmp_path, {"mine.yml": "metrics:\n  - {name: conversion_rate, type: manual}\n"})
    with pytest.raises(DefinitionError, match="duplicate metric name 'conversion_rate'"):
        scaffold.add_entries(root, ["bounce_rate", "conversion_rate"])
    assert not (root / "models" / "library").exists(), "not even the folder it made"
    load_project(root)  # the project is as it was


def test_a_failing_forced_add_gives_the_old_file_back(tmp_path: Path) -> None:
    root = project(tmp_path)
    [path] = scaffold.add_entries(root, ["website_traffic"])
    before = path.read_text(encoding="utf-8")
    # a dimension of the user's own now has the name the entry's would get: the project no longer loads
    (root / "models" / "mine.yml").write_text(
        "datasets:\n  - name: mine\n    table: orders\n    dimensions:\n      - {name: website_traffic_date, column: order_date}\n",
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError, match="duplicate dimension name 'website_traffic_date'"):
        scaffold.add_entries(root, ["website_traffic"], {"sessions": "visits"}, force=True)
    assert path.read_text(encoding="utf-8") == before


def test_a_mapping_applies_to_every_entry_that_has_the_input(tmp_path: Path) -> None:
    root = project(tmp_path)
    written = scaffold.add_entries(root, ["conversion_rate", "bounce_rate", "csat"], {"sessions": "visits"})
    texts = {p.stem: p.read_text(encoding="utf-8") for p in written}
    assert "expr: visits" in texts["conversion_rate"] and "expr: visits" in texts["bounce_rate"]
    assert "visits" not in texts["csat"]
    with pytest.raises(UserError, match=r"--map csat_scores: no input of that name in csat; did you mean 'csat_score'"):
        scaffold.add_entries(root, ["csat"], {"csat_scores": "score"})


def test_add_needs_a_project_and_known_names(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"no onpace\.yml"):
        scaffold.add_entries(tmp_path, ["csat"])
    with pytest.raises(NotFoundError, match="no library entry 'cast'; did you mean 'csat'"):
        scaffold.add_entries(project(tmp_path), ["cast"])


def test_entries_go_to_the_first_models_folder(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "onpace.yml").write_text("name: shop\nmodels: [definitions]\n", encoding="utf-8")
    (root / "definitions").mkdir()
    [path] = scaffold.add_entries(root, ["csat"])
    assert path == root / "definitions" / "library" / "csat.yml"


# ------------------------------------------------------------------ the CLI


def test_cli_list() -> None:
    result = runner.invoke(app, ["library", "list"])
    assert result.exit_code == 0, result.output
    assert "total_sales_revenue" in result.output and f"{len(ENTRIES)} entries" in result.output
    result = runner.invoke(app, ["library", "list", "--industry", "healthcare", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert {e["name"] for e in listed} == {e.name for e in LIBRARY.select(industry="healthcare")}
    assert all("healthcare" in e["industries"] for e in listed)
    result = runner.invoke(app, ["library", "list", "--category", "it", "-f", "json"])
    assert {e["name"] for e in json.loads(result.output)} == {"system_uptime", "incident_count", "mean_time_to_resolve"}
    assert runner.invoke(app, ["library", "list", "--industry", "banking"]).exit_code == 2


def test_cli_show() -> None:
    result = runner.invoke(app, ["library", "show", "inventory_turnover"])
    assert result.exit_code == 0, result.output
    info = yaml.safe_load(result.output)
    assert info["metric_type"] == "ratio" and info["formula"]
    assert info["definitions"]["metrics"][-1]["name"] == "inventory_turnover"
    result = runner.invoke(app, ["library", "show", "arpu", "--format", "json", "--map", "currency=USD"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["definitions"]["metrics"][-1]["format"]["currency"] == "USD"
    result = runner.invoke(app, ["library", "show", "arpo"])
    assert result.exit_code == 1 and "did you mean 'arpu'" in said(result.output)
    result = runner.invoke(app, ["library", "show", "arpu", "--map", "currency"])
    assert result.exit_code == 2 and "INPUT=NAME" in result.output


def test_cli_add(tmp_path: Path) -> None:
    root = project(tmp_path)
    args = ["library", "add", "csat", "ticket_volume", "--map", "tickets_table=helpdesk.tickets", "-p", str(root)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Added csat" in result.output and "Added ticket_volume" in result.output
    assert "table: helpdesk.tickets" in (root / "models" / "library" / "ticket_volume.yml").read_text(encoding="utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "already exist; pass --force" in said(result.output)
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    result = runner.invoke(app, ["library", "add", "csat", "--map", "currency=EUR", "-p", str(root), "--force"])
    assert result.exit_code == 1 and "--map currency: no input of that name in csat" in said(result.output)


@pytest.fixture
def fast_demo_data(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``onpace init --template`` with a copy of the session's demo data instead of generating it again."""
    import onpace.examples.demo_data as demo_data

    def copy(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_db, path)
        Path(path).chmod(0o644)
        return path

    monkeypatch.setattr(demo_data, "generate", copy)


@pytest.mark.parametrize("industry", list(Industry))
@pytest.mark.usefixtures("fast_demo_data")
def test_cli_init_template(industry: Industry, tmp_path: Path) -> None:
    target = tmp_path / "proj"
    result = runner.invoke(app, ["init", str(target), "--template", industry.value])
    assert result.exit_code == 0, result.output
    written = sorted(p.stem for p in (target / "models" / "library").glob("*.yml"))
    assert written == sorted(e.name for e in LIBRARY.select(industry=industry))
    assert (target / "data" / "demo.duckdb").is_file() and (target / "schema" / "onpace.schema.json").is_file()
    assert (target / ".gitignore").read_text(encoding="utf-8") == "data/\n.onpace/\n"
    loaded = load_project(target)
    assert loaded.config.name == f"{industry.value}_demo"
    assert loaded.sources["warehouse"].url == "duckdb:///data/demo.duckdb"
    result = runner.invoke(app, ["validate", "-p", str(target)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["init", str(target), "--template", industry.value])
    assert result.exit_code == 1 and "is not empty" in said(result.output)


def test_cli_init_template_generates_the_demo_data(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "clinic"), "--template", "healthcare"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["query", "patient_visits", "--grain", "year", "-f", "json", "-p", str(tmp_path / "clinic")]
    )
    assert result.exit_code == 0, result.output
    assert [row["period"] for row in json.loads(result.output)] == [
        "2023-01-01",
        "2024-01-01",
        "2025-01-01",
        "2026-01-01",
    ]


def test_cli_init_without_template_is_unchanged(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "models" / "sales.yml").is_file() and not (tmp_path / "p" / "models" / "library").exists()


def test_docs_list_every_entry() -> None:
    doc = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    missing = [e.name for e in ENTRIES if f"`{e.name}`" not in doc]
    assert not missing, f"docs/library.md does not list {missing}"


def test_init_template_never_replaces_a_project(tmp_path: Path) -> None:
    (tmp_path / "onpace.yml").write_text("name: mine\n", encoding="utf-8")
    with pytest.raises(UserError, match="holds a project already"):
        scaffold.create_from_template(tmp_path, "retail", force=True)
    assert (tmp_path / "onpace.yml").read_text(encoding="utf-8") == "name: mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onpace.yml"]


def test_cli_list_search() -> None:
    result = runner.invoke(app, ["library", "list", "--search", "CHURN", "--format", "json"])
    assert result.exit_code == 0, result.output
    names = {e["name"] for e in json.loads(result.output)}
    assert "churn_rate" in names and "headcount" not in names
    assert all("churn" in f"{e.name} {e.label} {e.what_it_tells}".lower() for e in map(LIBRARY.get, names))
