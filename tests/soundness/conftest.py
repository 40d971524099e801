from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from .helpers import MakeProject, SoundProject, Tables, build_project


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[MakeProject]:
    """Factory ``make_project(tables, models_yaml, calendar=None, name="p") -> SoundProject``.

    ``tables`` is ``{table: [row dicts]}`` (pyarrow infers the types: int -> BIGINT,
    float -> DOUBLE, date -> DATE, str -> VARCHAR) or SQL statements creating them.
    Engines opened by the projects are closed after the test.
    """
    made: list[SoundProject] = []

    def make(
        tables: Tables,
        models_yaml: str,
        calendar: Mapping[str, Any] | None = None,
        name: str = "p",
    ) -> SoundProject:
        project = build_project(tmp_path / name, tmp_path / f"{name}-reference.duckdb", tables, models_yaml, calendar)
        made.append(project)
        return project

    yield make
    for project in made:
        project.close()
