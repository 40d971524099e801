"""Fixtures of the engine tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

SOURCE = "name: shop\nsources: {warehouse: {url: 'duckdb:///data.duckdb'}}\n"


@pytest.fixture
def duckdb_project(tmp_path: Path) -> Callable[[str, str], Path]:
    """Make a project with one model file over a DuckDB file that ``data`` (SQL) fills: its folder."""

    def make(models: str, data: str) -> Path:
        root = tmp_path / "shop"
        (root / "models").mkdir(parents=True)
        (root / "onpace.yml").write_text(SOURCE, encoding="utf-8")
        (root / "models" / "m.yml").write_text(textwrap.dedent(models), encoding="utf-8")
        con = duckdb.connect(str(root / "data.duckdb"))
        try:
            con.execute(data)
        finally:
            con.close()
        return root

    return make
