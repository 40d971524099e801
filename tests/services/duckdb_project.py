"""A small project over its own DuckDB file, for tests of the refresh against numbers worked out by hand."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb


def duckdb_project(root: Path, name: str, models: str) -> Path:
    """``root`` as a project named ``name`` whose one source is ``data.duckdb`` in it, with ``models``
    (YAML, dedented) as ``models/<name>.yml``."""
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(f"name: {name}\nsources: {{warehouse: {{url: 'duckdb:///data.duckdb'}}}}\n")
    (root / "models" / f"{name}.yml").write_text(textwrap.dedent(models), encoding="utf-8")
    return root


def run_sql(root: Path, *statements: str) -> None:
    """Run ``statements`` on the project's ``data.duckdb``, in order."""
    con = duckdb.connect(str(root / "data.duckdb"))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()
