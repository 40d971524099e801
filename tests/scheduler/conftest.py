"""Fixtures of the scheduler tests: stores on SQLite and on PostgreSQL, and a tiny project.

``sched_backend`` hands out URLs of new, empty stores: a new SQLite file, or a new schema in a
PostgreSQL database made for the module (dropped at the end), so runs never see each other's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.store.backends import Backend, pg_backend

from onpace.examples.starter import create_project


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sched_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("sched-store")
        numbers = itertools.count()
        yield Backend("sqlite", lambda: f"sqlite:///{(folder / f'store{next(numbers)}.db').as_posix()}")
        return
    yield from pg_backend(request.getfixturevalue("pg_url"), "onpace_sched")


def tiny_project(root: Path, schedule: str, source_refresh: str | None = None) -> Path:
    """The starter project (``onpace init``: six metrics over sample orders) with ``schedule:`` YAML
    appended and, optionally, a refresh timing (a flow mapping) for its source."""
    create_project(root)
    text = (root / "onpace.yml").read_text(encoding="utf-8")
    if source_refresh is not None:
        line = "    url: duckdb:///data/warehouse.duckdb\n"
        assert line in text
        text = text.replace(line, line + f"    refresh: {source_refresh}\n")
    (root / "onpace.yml").write_text(text + schedule, encoding="utf-8")
    return root
