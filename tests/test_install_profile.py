"""`make demo` installs what the demo needs only; `make install`/`make test` add the rest on top.

Checked without network: the dependency lists in pyproject.toml, and what `make -n` would run
(the Makefile and pyproject.toml are copied into a temporary folder, so the stamps there are the
test's own and nothing is installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NOT_FOR_THE_DEMO = {"pyspark", "mypy", "playwright", "schemathesis", "pytest", "hypothesis", "psycopg", "mysqlclient"}
HEAVY_IBIS_BACKENDS = {"pyspark", "postgres", "mysql"}
EXTRAS = "dev,postgres,mysql,spark,dbt"


def parse(requirement: str) -> tuple[str, set[str]]:
    """The normalized distribution name of a requirement and its extras: 'ibis-framework[duckdb]>=12'."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
    assert match, requirement
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    extras = {e.strip() for e in (match.group(2) or "").split(",") if e.strip()}
    return name, extras


def test_the_demo_dependencies_have_no_spark_database_drivers_or_development_tools() -> None:
    core = [parse(r) for r in PROJECT["dependencies"]]
    names = {name for name, _ in core}
    assert "onpace" not in names
    assert names.isdisjoint(NOT_FOR_THE_DEMO), names & NOT_FOR_THE_DEMO
    ibis_extras = {extra for name, extras in core if name == "ibis-framework" for extra in extras}
    assert ibis_extras == {"duckdb"}
    # the demo's own needs stay in: the web app and the reports (ADR 0016)
    assert {"fastapi", "uvicorn", "weasyprint", "matplotlib", "duckdb"} <= names


def test_what_the_demo_leaves_out_the_extras_still_install() -> None:
    extras = {group: {parse(r)[0] for r in reqs} for group, reqs in PROJECT["optional-dependencies"].items()}
    assert set(EXTRAS.split(",")) <= set(extras)
    assert {"pytest", "mypy", "playwright", "schemathesis", "hypothesis"} <= extras["dev"]
    assert "pyspark" in extras["spark"]
    assert "psycopg" in extras["postgres"]
    assert any("ibis-framework[mysql]" in r.replace(" ", "") for r in PROJECT["optional-dependencies"]["mysql"])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    assert shutil.which("make") is not None, "GNU make is needed (the project's two commands are make targets)"
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def dry_run(folder: Path, *args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    out = subprocess.run(["make", "-n", *args], cwd=folder, env=env, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    """The install commands among make's (system packages, the virtualenv, Python packages), without the step label."""
    found = []
    for line in lines:
        assert "pip install" not in line, f"the Makefile installs by scripts/python-deps.sh only: {line}"
        if re.search(r"scripts/(system-deps|venv|python-deps)\.sh", line):
            found.append(line.rsplit("bash scripts/", 1)[-1].strip())
    return found


def touch(path: Path, newer_than: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    later = newer_than.stat().st_mtime + 10
    os.utime(path, (later, later))


def test_make_demo_from_nothing_installs_no_extras(workdir: Path) -> None:
    lines = installs(dry_run(workdir, "demo"))
    assert lines == ["system-deps.sh demo", "venv.sh .venv", "python-deps.sh .venv"]
    for extra in EXTRAS.split(","):
        assert not any(re.search(rf"\b{extra}\b", line) for line in lines), extra


def test_make_install_from_nothing_installs_the_demo_then_every_extra(workdir: Path) -> None:
    lines = installs(dry_run(workdir, "install"))
    assert lines == [
        "system-deps.sh demo",
        "venv.sh .venv",
        "python-deps.sh .venv",
        "system-deps.sh mysql spark",
        f"python-deps.sh .venv {EXTRAS}",
    ]


def test_make_demo_after_make_test_installs_nothing(workdir: Path) -> None:
    for stamp in (".installed-demo", ".installed-all"):
        touch(workdir / ".venv" / stamp, newer_than=workdir / "pyproject.toml")
    lines = dry_run(workdir, "demo")
    assert installs(lines) == []
    assert any("onpace demo demo-project" in line for line in lines), lines


def test_make_install_after_make_demo_adds_only_the_extras(workdir: Path) -> None:
    touch(workdir / ".venv" / ".installed-demo", newer_than=workdir / "pyproject.toml")
    lines = installs(dry_run(workdir, "install"))
    assert lines == ["system-deps.sh mysql spark", f"python-deps.sh .venv {EXTRAS}"]


def test_a_changed_pyproject_reinstalls_the_demo_set(workdir: Path) -> None:
    stamp = workdir / ".venv" / ".installed-demo"
    touch(stamp, newer_than=workdir / "pyproject.toml")
    earlier = stamp.stat().st_mtime - 100
    os.utime(stamp, (earlier, earlier))
    lines = installs(dry_run(workdir, "demo"))
    assert lines == ["system-deps.sh demo", "venv.sh .venv", "python-deps.sh .venv"]
