"""`onpace apply` and `onpace export`: YAML into the store with a diff, and back without losing anything."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from onpace.catalog.project import Project, load_project
from onpace.cli.main import app
from onpace.examples.tpch_data import copy_project
from onpace.services.definitions import ApplyPlan, apply, changed_keys, plan_apply
from onpace.services.export import ExportError, export_definitions
from onpace.store import audit
from onpace.store import definitions as defs
from onpace.store import targets as target_history
from onpace.store.db import Store
from onpace.store.models import AppliedDefinition, AuditEntry, TargetChange

runner = CliRunner()

DOCS = Path(__file__).resolve().parents[2] / "docs" / "definitions.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>\S+)(?: project: (?P<project>\w+))? -->\n```yaml\n(?P<body>.*?)```", re.S)
DOCS_ENV = {"PGUSER": "analyst", "PGPASSWORD": "not-a-secret", "MYSQL_PASSWORD": "not-a-secret"}

CONFIG = """
name: crm
description: Deals — Ümlaut and all.
sources:
  warehouse: {url: "duckdb:///${DATA_DIR:-data}/crm.duckdb"}
calendar: {fiscal_year_start: 4}
"""

DEALS = """
datasets:
  - name: deals
    table: deals
    time: closed_on
    dimensions:
      - {name: closed_on, type: time}
      - {name: region}
    measures:
      - {name: amount, agg: sum, expr: amount}
      - {name: deal_count, agg: count}

metrics:
  - {name: bookings, measure: amount, unit: EUR}
  - {name: deals, measure: deal_count}
  - {name: avg_deal, type: ratio, numerator: bookings, denominator: deals}
  - {name: nps, type: manual, grain: month, over_time: avg}
"""

GOALS = """
objectives:
  - {name: grow, owner: CEO, timeframe: 2025}

kpis:
  - name: q_bookings
    metric: bookings
    objective: grow
    owner: Sales
    timeframe: quarter
    review_cadence: monthly
    targets:
      - {from: 2025-01-01, at_least: 1000}
      - {from: 2025-07-01, at_least: 1200, note: raised}
    phasing:
      milestones:
        - {elapsed: 0.5, share: 0.4}
  - name: q2_nps
    metric: nps
    objective: grow
    owner: CX
    timeframe: 2025-Q2
    review_cadence: monthly
    target: {between: [40, 60]}
    phasing:
      milestones:
        - {date: 2025-05-15, share: 0.5}
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    return _write(tmp_path / "crm", {"onpace.yml": CONFIG, "models/deals.yml": DEALS, "models/goals.yml": GOALS})


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


def _counts(store: Store) -> dict[str, int]:
    with store.session(readonly=True) as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (AppliedDefinition, AuditEntry, TargetChange)
        }


def _edit(path: Path, *replacements: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _changes(plan: ApplyPlan) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    return {(c.kind, c.name): (c.change, c.keys) for c in plan.changes}


def assert_same_project(exported: Project, original: Project) -> None:
    """Every definition equal, in the same file at the same place (models compare their file and path too)."""
    assert exported.config == original.config
    for kind in ("datasets", "metrics", "objectives", "kpis"):
        mine, theirs = getattr(exported, kind), getattr(original, kind)
        assert list(mine) == list(theirs), kind
        for name, model in theirs.items():
            assert mine[name] == model, f"{kind} {name}"
            assert (mine[name]._file, mine[name]._path) == (model._file, model._path)
            assert mine[name].model_dump(mode="json", by_alias=True) == model.model_dump(mode="json", by_alias=True)


# -- round trip ---------------------------------------------------------------------------------


def test_tpch_example_round_trips(tmp_path: Path, store: Store) -> None:
    copy_project(tmp_path / "tpch", 1.0)
    original = load_project(tmp_path / "tpch")
    plan = apply(original, store, "alice")
    assert plan.written
    assert {c.change for c in plan.changes} == {"added"}
    assert plan.counts()["metric"]["added"] == len(original.metrics)

    result = export_definitions(store, tmp_path / "export")
    assert set(result.files) == {"onpace.yml", "models/datasets.yml", "models/metrics.yml", "models/goals.yml"}
    assert result.definitions == sum(
        len(d) for d in (original.datasets, original.metrics, original.objectives, original.kpis)
    )
    assert_same_project(load_project(tmp_path / "export"), original)

    # dates come back as YAML dates, not strings
    goals = (tmp_path / "export" / "models" / "goals.yml").read_text(encoding="utf-8")
    assert "from: 1997-01-01\n" in goals
    loaded = yaml.safe_load(goals)
    assert loaded["kpis"][0]["targets"][0]["from"] == dt.date(1997, 1, 1)


def test_the_docs_example_project_round_trips(tmp_path: Path, store: Store) -> None:
    files = {m["path"]: m["body"] for m in FILE_BLOCK.finditer(DOCS.read_text(encoding="utf-8")) if not m["project"]}
    assert "onpace.yml" in files
    original = load_project(_write(tmp_path / "docs", files), env=DOCS_ENV)
    apply(original, store, "alice")
    export_definitions(store, tmp_path / "export")
    assert_same_project(load_project(tmp_path / "export", env=DOCS_ENV), original)


def test_crm_round_trips_with_dates_ranges_and_milestones(crm: Path, tmp_path: Path, store: Store) -> None:
    original = load_project(crm)
    apply(original, store, "alice")
    export_definitions(store, tmp_path / "export")
    assert_same_project(load_project(tmp_path / "export"), original)
    text = (tmp_path / "export" / "onpace.yml").read_text(encoding="utf-8")
    assert "Ümlaut" in text and "${DATA_DIR:-data}" in text
    goals = yaml.safe_load((tmp_path / "export" / "models" / "goals.yml").read_text(encoding="utf-8"))
    assert goals["kpis"][1]["phasing"] == {"milestones": [{"date": dt.date(2025, 5, 15), "share": 0.5}]}
    assert list(goals) == ["objectives", "kpis"]


# -- apply ----------------------------------------------------------------------------------------


def test_apply_twice_then_change_a_target_and_remove_a_metric(crm: Path, store: Store) -> None:
    first = apply(load_project(crm), store, "alice")
    assert first.counts()["kpi"] == {"added": 2, "changed": 0, "removed": 0, "unchanged": 0}
    after_first = _counts(store)
    assert after_first["applied_definitions"] == 1 + 1 + 4 + 1 + 2
    assert after_first["audit_log"] == after_first["applied_definitions"]  # one entry per added definition
    with store.session(readonly=True) as s:
        [initial] = target_history.list_target_history(s, "q2_nps")
        assert (initial.old, initial.new, initial.source) == (None, {"target": {"between": [40.0, 60.0]}}, "yaml")

    again = apply(load_project(crm), store, "bob")
    assert {c.change for c in again.changes} == {"unchanged"} and not again.pending
    assert _counts(store) == after_first

    _edit(crm / "models" / "goals.yml", ("between: [40, 60]", "between: [45, 60]"))
    _edit(
        crm / "models" / "deals.yml",
        ("  - {name: deals, measure: deal_count}\n", ""),
        ("denominator: deals", "denominator: bookings"),
    )

    dry = apply(load_project(crm), store, "bob", dry_run=True)
    assert not dry.written
    assert _counts(store) == after_first  # a dry run writes nothing
    assert {k: v for k, v in _changes(dry).items() if v[0] != "unchanged"} == {
        ("metric", "avg_deal"): ("changed", ("denominator",)),
        ("kpi", "q2_nps"): ("changed", ("target",)),
        ("metric", "deals"): ("removed", ()),
    }
    assert dry.changes == plan_apply(load_project(crm), store).changes

    done = apply(load_project(crm), store, "bob")
    assert done.changes == dry.changes
    with store.session(readonly=True) as s:
        assert defs.get_definition(s, "metric", "deals") is None
        body = defs.get_definition(s, "kpi", "q2_nps")
        assert body is not None and body.body["target"] == {"between": [45.0, 60.0]} and body.applied_by == "bob"
        history = target_history.list_target_history(s, "q2_nps")
        assert [(h.old, h.new, h.changed_by) for h in history] == [
            (None, {"target": {"between": [40.0, 60.0]}}, "alice"),
            ({"target": {"between": [40.0, 60.0]}}, {"target": {"between": [45.0, 60.0]}}, "bob"),
        ]
        assert len(target_history.list_target_history(s, "q_bookings")) == 1  # its targets did not change
        entries = audit.list_audit(s, actor="bob")
        assert sorted((e.action, e.object_kind, e.object_name) for e in entries) == [
            ("apply.changed", "kpi", "q2_nps"),
            ("apply.changed", "metric", "avg_deal"),
            ("apply.removed", "metric", "deals"),
        ]
        changed = next(e for e in entries if e.object_name == "q2_nps")
        assert changed.details == {"file": "models/goals.yml", "keys": ["target"]}


def test_definitions_made_in_the_app_are_left_alone_then_taken_over(crm: Path, tmp_path: Path, store: Store) -> None:
    with store.session() as s:
        defs.upsert_definition(
            s, "metric", "app_made", {"name": "app_made", "type": "manual"}, None, "0" * 64, "store", "eve"
        )
        defs.upsert_definition(s, "metric", "nps", {"name": "nps", "type": "manual"}, None, "0" * 64, "store", "eve")
    plan = apply(load_project(crm), store, "alice")
    changes = _changes(plan)
    assert ("metric", "app_made") not in changes  # not from YAML: neither shown nor removed
    assert changes[("metric", "nps")] == ("changed", ("grain", "over_time", "file", "origin"))
    with store.session(readonly=True) as s:
        nps = defs.get_definition(s, "metric", "nps")
        assert nps is not None and (nps.origin, nps.file) == ("yaml", "models/deals.yml")
        assert defs.get_definition(s, "metric", "app_made") is not None

    export_definitions(store, tmp_path / "export")
    assert yaml.safe_load((tmp_path / "export" / "models" / "metrics.yml").read_text(encoding="utf-8")) == {
        "metrics": [{"name": "app_made", "type": "manual"}]
    }


def test_order_within_a_file_survives_inserts_and_moves(crm: Path, tmp_path: Path, store: Store) -> None:
    apply(load_project(crm), store, "alice")
    nps = "  - {name: nps, type: manual, grain: month, over_time: avg}\n"
    bookings = "  - {name: bookings, measure: amount, unit: EUR}\n"
    deals = "  - {name: deals, measure: deal_count}\n"
    big_deals = "  - {name: big_deals, measure: amount, filter: amount > 100}\n"
    _edit(
        crm / "models" / "deals.yml",
        (nps, ""),
        ("metrics:\n", "metrics:\n" + nps),  # nps moved to the top
        (deals, deals + big_deals),  # a metric inserted in the middle
        (bookings, ""),  # and one moved to another file
    )
    (crm / "models" / "extra.yml").write_text("metrics:\n" + bookings, encoding="utf-8")

    changed = load_project(crm)
    assert list(changed.metrics) == ["nps", "deals", "big_deals", "avg_deal", "bookings"]
    plan = apply(changed, store, "alice")
    assert {k: v for k, v in _changes(plan).items() if v[0] != "unchanged"} == {
        ("metric", "big_deals"): ("added", ()),
        ("metric", "bookings"): ("changed", ("file",)),
    }
    export_definitions(store, tmp_path / "export")
    assert_same_project(load_project(tmp_path / "export"), changed)


def test_changed_keys() -> None:
    assert changed_keys({"a": 1, "b": 2, "c": 3}, {"d": 4, "a": 1, "b": 5}) == ("d", "b", "c")
    assert changed_keys({"a": None}, {}) == ("a",)
    assert changed_keys({}, {}) == ()


# -- export ---------------------------------------------------------------------------------------


def test_export_refuses_a_non_empty_directory_and_an_empty_store(crm: Path, tmp_path: Path, store: Store) -> None:
    with pytest.raises(ExportError, match="nothing has been applied"):
        export_definitions(store, tmp_path / "export")
    assert not (tmp_path / "export").exists()

    apply(load_project(crm), store, "alice")
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ExportError, match="is not empty"):
        export_definitions(store, tmp_path / "export")
    assert not (tmp_path / "export" / "onpace.yml").exists()
    export_definitions(store, tmp_path / "export", force=True)
    assert (tmp_path / "export" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert_same_project(load_project(tmp_path / "export"), load_project(crm))
    with pytest.raises(ExportError, match="is a file"):
        export_definitions(store, tmp_path / "export" / "notes.txt")


def test_export_refuses_a_file_outside_the_directory(crm: Path, tmp_path: Path, store: Store) -> None:
    apply(load_project(crm), store, "alice")
    with store.session() as s:
        row = defs.get_definition(s, "metric", "nps")
        assert row is not None
        row.file = "../outside.yml"
    with pytest.raises(ExportError, match="not a models file inside the project"):
        export_definitions(store, tmp_path / "export")
    assert not (tmp_path / "outside.yml").exists()


# -- command line -----------------------------------------------------------------------------------


@pytest.fixture
def cli_store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("ONPACE_DATABASE_URL", store_url)
    monkeypatch.setenv("ONPACE_USER", "carol")
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


def test_cli_apply_and_export(crm: Path, tmp_path: Path, cli_store: Store) -> None:
    wide = {"COLUMNS": "200"}
    dry = runner.invoke(app, ["apply", "--dry-run", "--project", str(crm)], env=wide)
    assert dry.exit_code == 0, dry.output
    assert "q_bookings" in dry.output and "added" in dry.output
    assert "Dry run: 9 added, 0 changed, 0 removed, 0 unchanged; nothing written" in dry.output
    assert _counts(cli_store)["applied_definitions"] == 0

    done = runner.invoke(app, ["apply", "--project", str(crm)], env=wide)
    assert done.exit_code == 0, done.output
    assert "Applied: 9 added, 0 changed, 0 removed, 0 unchanged" in done.output
    with cli_store.session(readonly=True) as s:
        assert {e.actor for e in audit.list_audit(s)} == {"carol"}

    _edit(crm / "models" / "goals.yml", ("at_least: 1200", "at_least: 1300"))
    shown = runner.invoke(app, ["apply", "--dry-run", "--format", "json", "--project", str(crm)])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert (data["dry_run"], data["written"]) == (True, False)
    assert data["counts"]["kpi"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 1}
    change = next(c for c in data["changes"] if c["name"] == "q_bookings")
    assert change == {
        "kind": "kpi",
        "name": "q_bookings",
        "change": "changed",
        "file": "models/goals.yml",
        "keys": ["targets"],
    }

    table = runner.invoke(app, ["apply", "--project", str(crm)], env=wide)
    assert table.exit_code == 0 and "targets" in table.output and "changed" in table.output
    same = runner.invoke(app, ["apply", "--project", str(crm)], env=wide)
    assert same.exit_code == 0 and "Nothing to apply: 0 added, 0 changed, 0 removed, 9 unchanged" in same.output

    out = tmp_path / "out"
    exported = runner.invoke(app, ["export", str(out), "--project", str(crm)], env=wide)
    assert exported.exit_code == 0, exported.output
    assert "Exported the project and 8 definitions" in exported.output
    assert_same_project(load_project(out), load_project(crm))

    again = runner.invoke(app, ["export", str(out), "--project", str(crm)], env=wide)
    assert again.exit_code == 1 and "is not empty" in again.output
    forced = runner.invoke(app, ["export", str(out), "--force", "--project", str(crm)], env=wide)
    assert forced.exit_code == 0, forced.output

    broken = runner.invoke(app, ["apply", "--project", str(tmp_path / "nowhere")])
    assert broken.exit_code == 1 and "no onpace.yml" in broken.output
