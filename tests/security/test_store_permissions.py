"""The store (password hashes, sessions, CSRF tokens, the audit log) is private to its owner (issue 13, item 15).

A new project's ``.onpace`` folder is 0700 and ``store.db`` with its -wal and -shm
files 0600, whatever the umask; an existing store others could read loses that
access, with a warning. The definitions' lock file is private too; the definition
files onpace writes keep their mode, and new ones get the umask's default (they are code).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from onpace.catalog.project import load_project
from onpace.services import app_definitions
from onpace.store.db import Store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files are world-readable unless onpace says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text("name: private\nmodels: [models]\n", encoding="utf-8")
    (root / "models" / "metrics.yml").write_text(
        "metrics:\n  - name: visits\n    type: manual\n    grain: day\n", encoding="utf-8"
    )
    return root


@pytest.mark.usefixtures("umask_022")
def test_a_new_store_is_private(project: Path) -> None:
    store = Store.for_project(project).ensure_current()
    try:
        with store.session() as s:
            s.connection().exec_driver_sql("SELECT 1")
        folder = project / ".onpace"
        assert _mode(folder) == 0o700
        files = [folder / name for name in ("store.db", "store.db-wal", "store.db-shm")]
        assert all(path.exists() for path in files)  # WAL mode, a connection open
        assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        store.close()


@pytest.mark.usefixtures("umask_022")
def test_an_existing_store_open_to_everyone_is_closed_with_a_warning(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = project / ".onpace"
    folder.mkdir(mode=0o755)
    Store.open(f"sqlite:///{(folder / 'store.db').as_posix()}").close()
    folder.chmod(0o755)
    (folder / "store.db").chmod(0o644)  # as onpace made them before
    with caplog.at_level(logging.WARNING, logger="onpace"):
        store = Store.for_project(project).ensure_current()
        store.close()
    assert _mode(folder) & 0o007 == 0
    assert _mode(folder / "store.db") & 0o007 == 0
    assert any("store.db" in r.getMessage() and "every user" in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("umask_022")
def test_definition_files_keep_their_mode_and_the_lock_is_private(project: Path) -> None:
    store = Store.for_project(project).ensure_current()
    try:
        loaded = app_definitions.save(
            load_project(project), store, "objective", {"name": "first"}, actor="test", create=True
        )
        app_file = project / "models" / "app.yml"
        assert _mode(app_file) == 0o644  # a new definition file: the umask's default, like any code
        assert _mode(project / ".onpace" / "definitions.lock") == 0o600
        app_file.chmod(0o600)
        app_definitions.save(loaded, store, "objective", {"name": "second"}, actor="test", create=True)
        assert _mode(app_file) == 0o600
    finally:
        store.close()
