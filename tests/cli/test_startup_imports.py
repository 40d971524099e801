"""The reading commands start without the engine, the forecasts or the web app, and print the store.

Each command runs in its own Python process (as `onpace ...` does) on a small project whose
store this test fills itself: a refresh run, one evaluation of the KPI, one review. At exit the
process lists the modules it imported: none of the heavy packages below may be among them. The
output must show what the test wrote. Timings are in benchmarks/cli.py, not here.

The project's source is a DuckDB file that does not exist: reading the store must not touch it.
The store is the project's own SQLite file, read without SQLAlchemy (``Store.reader``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from onpace import __version__
from onpace.cli.lazy import command_name, group_name
from onpace.cli.main import app

# what a reading command has no use for: the engine and its data, the forecasts, the web app, the channels
HEAVY = (
    "ibis",
    "statsmodels",
    "pandas",
    "pyarrow",
    "fastapi",
    "numpy",
    "duckdb",
    "uvicorn",
    "starlette",
    "jinja2",
    "weasyprint",
    "matplotlib",
    "httpx",
    "apscheduler",
    # the store is read in plain SQL on the sqlite3 driver (onpace.store.reader): no SQLAlchemy, no
    # Alembic; the store's URL is read without pydantic-settings (onpace.config.environment)
    "sqlalchemy",
    "alembic",
    "pydantic_settings",
)

CONFIG = """name: startup
sources: {warehouse: {url: "duckdb:///data/missing.duckdb"}}
"""
MODELS = """metrics:
  - {name: signups, label: Sign-ups, type: manual, grain: day}
objectives:
  - {name: grow_users, label: Grow the user base, owner: Growth team}
kpis:
  - name: monthly_signups
    label: Sign-ups this month
    metric: signups
    objective: grow_users
    owner: Growth team
    timeframe: {every: month}
    review_cadence: monthly
    target: {at_least: 300}
alerts:
  - {name: few_signups, kind: threshold, metric: signups, below: 5}
"""
COMMENT = "Behind plan: the March campaign started late"
REASON = "120 of 145 expected by March 15"
# written into the store by the fixture, read back by `onpace status`
EVALUATION: dict[str, Any] = {
    "as_of": dt.date(2026, 3, 15),
    "period_start": dt.date(2026, 3, 1),
    "period_end": dt.date(2026, 3, 31),
    "status": "at_risk",
    "target": 300.0,
    "actual": 120.0,
    "expected_to_date": 145.0,
    "attainment": 120.0 / 145.0,
    "forecast": 248.0,
    "probability": 0.18,
}

RUNNER = """
import json, sys
from onpace.cli.main import app
try:
    app(sys.argv[2:], prog_name="onpace")
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    modules: list[str]

    def heavy(self) -> list[str]:
        """The heavy packages imported (any module of theirs counts)."""
        return sorted({m.split(".")[0] for m in self.modules} & set(HEAVY))


@dataclass(frozen=True)
class Filled:
    root: Path
    run_id: int


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    from onpace.catalog.project import load_project
    from onpace.config import Settings
    from onpace.services.reviews import record_review
    from onpace.store import evaluations as ev
    from onpace.store import runs
    from onpace.store.db import Store

    root = tmp_path_factory.mktemp("startup")
    (root / "onpace.yml").write_text(CONFIG, encoding="utf-8")
    (root / "models").mkdir()
    (root / "models" / "startup.yml").write_text(MODELS, encoding="utf-8")
    project = load_project(root)
    store = Store.for_project(root, Settings(database_url=None)).ensure_current()  # the project's own SQLite store
    try:
        with store.session() as s:
            run_id = runs.start_run(s, "full", "tester")
            runs.finish_run(s, run_id, "succeeded", metrics_total=1, metrics_failed=0)
            ev.add_evaluation(
                s,
                kpi="monthly_signups",
                run_id=run_id,
                details={"reason": REASON, "data_until": "2026-03-15"},
                **EVALUATION,
            )
        record_review(project, store, "monthly_signups", reviewer="tester", assessment="at_risk", commentary=COMMENT)
    finally:
        store.close()
    return Filled(root, run_id)


def run(args: Sequence[str], tmp_path: Path) -> Ran:
    """``onpace ARGS`` in a fresh Python process: its exit code, output and the modules it imported."""
    listing = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if k != "ONPACE_DATABASE_URL"}
    env["COLUMNS"] = "200"  # wide enough for the scorecard's table
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(listing), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    modules = json.loads(listing.read_text(encoding="utf-8")) if listing.exists() else []
    return Ran(done.returncode, done.stdout, done.stderr, modules)


def ok(ran: Ran) -> Ran:
    assert ran.code == 0, ran.stderr
    assert ran.modules, "the process did not list its modules"
    assert ran.heavy() == [], f"imported {ran.heavy()}"
    return ran


def test_version(tmp_path: Path) -> None:
    ran = ok(run(["--version"], tmp_path))
    assert ran.stdout.strip() == f"onpace {__version__}"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    ran = ok(run(["--help"], tmp_path))
    listed = {line.strip("│ ").split(" ")[0] for line in ran.stdout.splitlines()}
    assert {"status", "reviews", "runs", "alert", "refresh", "query", "serve"} <= listed


def test_status_shows_the_stored_evaluation(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["status", "--project", str(filled.root)], tmp_path))
    lines = [" ".join(line.strip("│├└─ ").split()) for line in ran.stdout.splitlines()]
    assert lines[0] == "Data until 2026-03-15"
    assert lines[1].startswith("Grow the user base · Growth team")
    row = next(line for line in lines if line.startswith("Sign-ups this month "))
    # KPI, period, actual, target, expected, attainment 120/145, forecast, P(hit), status
    assert row.split()[3:] == ["2026-03", "120", "300", "145", "83%", "248", "18%", "▲", "at", "risk"]
    assert f"Sign-ups this month: {REASON}" in " ".join(lines)


def test_status_json_is_the_stored_evaluation(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["status", "--format", "json", "--project", str(filled.root)], tmp_path))
    [row] = json.loads(ran.stdout)
    assert (row["kpi"], row["label"], row["objective"], row["owner"], row["period"]) == (
        "monthly_signups",
        "Sign-ups this month",
        "grow_users",
        "Growth team",
        "2026-03",
    )
    for name, value in EVALUATION.items():
        assert row[name] == (value.isoformat() if isinstance(value, dt.date) else pytest.approx(value)), name
    assert (row["reason"], row["data_until"]) == (REASON, "2026-03-15")


def test_reviews_lists_the_review(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["reviews", "--project", str(filled.root)], tmp_path))
    assert COMMENT in " ".join(ran.stdout.split())
    assert "onpace.catalog.models" not in ran.modules  # every review: the store only, not the definitions
    listed = ok(run(["reviews", "--format", "json", "--project", str(filled.root)], tmp_path))
    [review] = json.loads(listed.stdout)
    assert (review["kpi"], review["reviewer"], review["assessment"], review["commentary"]) == (
        "monthly_signups",
        "tester",
        "at_risk",
        COMMENT,
    )


def test_reviews_of_one_kpi_check_its_name(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["reviews", "monthly_signups", "--project", str(filled.root)], tmp_path))
    assert COMMENT in " ".join(ran.stdout.split())
    typo = run(["reviews", "monthly_signup", "--project", str(filled.root)], tmp_path)
    assert typo.code == 1
    assert "unknown KPI 'monthly_signup'; did you mean 'monthly_signups'?" in typo.stderr


def test_runs_list_shows_the_run(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["runs", "list", "--project", str(filled.root)], tmp_path))
    assert "onpace.catalog.models" not in ran.modules  # the store only, not the definitions
    row = next(line for line in ran.stdout.splitlines() if line.strip("│ ").startswith(str(filled.run_id)))
    assert [cell.strip() for cell in row.strip("│").split("│")][2:] == ["full", "succeeded", "tester", "0/1"]
    listed = ok(run(["runs", "list", "--format", "json", "--project", str(filled.root)], tmp_path))
    found = json.loads(listed.stdout)
    assert found["jobs"] == []
    assert [(r["id"], r["mode"], r["status"], r["requested_by"]) for r in found["refresh_runs"]] == [
        (filled.run_id, "full", "succeeded", "tester")
    ]


def test_alert_list_shows_the_rule(filled: Filled, tmp_path: Path) -> None:
    ran = ok(run(["alert", "list", "--project", str(filled.root)], tmp_path))
    assert any(line.split()[:2] == ["few_signups", "threshold"] for line in ran.stdout.splitlines())
    listed = ok(run(["alert", "list", "--format", "json", "--project", str(filled.root)], tmp_path))
    assert [(r["name"], r["kind"]) for r in json.loads(listed.stdout)] == [("few_signups", "threshold")]


# -- building only the command that runs (onpace.cli.lazy) ---------------------------------------------
def _names(pruned: typer.Typer) -> tuple[list[str], list[str | None]]:
    return [command_name(c) for c in pruned.registered_commands], [group_name(g) for g in pruned.registered_groups]


def test_a_command_is_built_alone() -> None:
    assert _names(app.only(["status", "--project", "x"])) == (["status"], [])
    assert _names(app.only(["runs", "list", "--limit", "3"])) == ([], ["runs"])
    assert _names(app.only(["--version"])) == ([], [])


def test_help_and_unknown_names_build_every_command() -> None:
    every = _names(app)
    assert "status" in every[0] and "runs" in every[1]
    for words in ([], ["--help"], ["statuz"]):
        assert app.only(words) is app, words
