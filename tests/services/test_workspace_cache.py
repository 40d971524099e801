"""The workspace's answer cache never serves an answer computed for another load of the project.

It used to be keyed by ``id(project)``: CPython reuses an id once its object is freed, so a
project loaded after a change could get the same id as the one before and be served its board.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from onpace.catalog.project import Project, load_project
from onpace.config import Settings
from onpace.services import workspace as workspace_module
from onpace.services.workspace import Workspace


def _workspace(root: Path) -> Workspace:
    (root / ".onpace").mkdir(exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{(root / '.onpace' / 'store.db').as_posix()}", environment="development"
    )
    return Workspace(root, settings)


def _touch(path: Path) -> None:
    """Change ``path`` so the workspace sees it changed (a new inode, as onpace's writer leaves)."""
    text = path.read_text(encoding="utf-8")
    path.unlink()
    path.write_text(text + "\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_reloaded_project_with_the_same_identity_gets_a_new_answer(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worst id reuse: the reload hands back the very same object (same id()). The files
    # changed, so the answer cached for the first load must not be served for the second.
    the_only: list[Project] = []

    def load_once(root: Path) -> Project:
        if not the_only:
            the_only.append(load_project(root))
        return the_only[0]

    monkeypatch.setattr(workspace_module, "load_project", load_once)
    ws = _workspace(shop)
    try:
        first = ws.project()
        assert ws.cached(("board",), lambda: "old board") == "old board"
        assert ws.cached(("board",), lambda: "never computed") == "old board"
        assert ws.peek(first, ("board",)) == "old board"

        _touch(shop / "models" / "shop.yml")
        second = ws.project()
        assert second is first and id(second) == id(first)
        assert ws.peek(second, ("board",)) is None
        assert ws.cached(("board",), lambda: "new board") == "new board"
    finally:
        ws.close()


def test_peek_has_nothing_for_a_project_the_workspace_did_not_load(shop: Path) -> None:
    ws = _workspace(shop)
    try:
        loaded = ws.project()
        assert ws.cached(("board", 1), lambda: 42) == 42
        assert ws.peek(loaded, ("board", 1)) == 42
        assert ws.peek(loaded, ("board", 2)) is None
        # an equal project loaded elsewhere is another load: nothing cached for it
        assert ws.peek(load_project(shop), ("board", 1)) is None
    finally:
        ws.close()
