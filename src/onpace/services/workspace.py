"""What a long-running process (the web app, the API) holds: a project, its store, an engine.

The project is loaded once and reloaded when one of its YAML files changes
(``onpace apply``, a ``git pull``, a promotion from the web), so the app never
serves definitions older than the files. The engine is shared and used under
a lock: a DuckDB connection is not safe to use from two threads at once.

Sources are opened read-only and a DuckDB file is closed again once no query
has used it for ``SOURCE_IDLE_SECONDS``: while a process has the file open, the
program that loads it cannot write to it (DuckDB allows many readers or one
writer per file).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast

from onpace.catalog.project import PROJECT_FILE, Project, load_project
from onpace.config import Settings
from onpace.engine import Engine
from onpace.errors import ConflictError
from onpace.store.db import Store

T = TypeVar("T")
_Loaded = tuple[Project, tuple[str, ...], tuple[tuple[str, int, int, int], ...], int]
CACHE_SIZE = 64
SOURCE_IDLE_SECONDS = 1.0
"""A DuckDB source no query used for this long is closed (the queries of one page share it)."""


class Workspace:
    def __init__(
        self,
        root: Path,
        settings: Settings | None = None,
        store: Store | None = None,
        *,
        source_idle_seconds: float = SOURCE_IDLE_SECONDS,
    ) -> None:
        self.root = root.resolve()
        self.source_idle_seconds = source_idle_seconds
        self._last_query = 0.0
        self._release_timer: threading.Timer | None = None
        self.settings = settings or Settings()
        self.store = store or Store.for_project(self.root, self.settings).ensure_current()
        self._lock = threading.RLock()
        self._engine_lock = threading.Lock()
        # the loaded project, the files a change of it shows in, their times then, and the load's
        # generation: one tuple, replaced as a whole, so a reader without the lock never mixes two loads
        self._loaded: _Loaded | None = None
        self._generations = itertools.count(1)
        self._engine: Engine | None = None
        self._refresh_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[tuple[object, ...], object] = {}
        self._refresh_thread: threading.Thread | None = None

    def project(self) -> Project:
        """The project as its files are now (reloaded when one changed; DefinitionError when broken)."""
        fresh = self.fresh_project()
        if fresh is not None:
            return fresh  # the common case, without taking the lock
        with self._lock:
            loaded = self._loaded
            if loaded is None or loaded[2] != _signature(loaded[1]):
                project = load_project(self.root)
                watched = self._watched_paths(project)
                with self._engine_lock:
                    if self._engine is not None:
                        self._engine.close()
                    self._engine = None
                loaded = (project, watched, _signature(watched), next(self._generations))
                self._loaded = loaded
                with self._cache_lock:
                    self._cache.clear()  # answers of an older load are never asked for again
            return loaded[0]

    def fresh_project(self) -> Project | None:
        """The loaded project if none of its files changed since (a few stats, no reading), else None."""
        loaded = self._loaded
        if loaded is not None and loaded[2] == _signature(loaded[1]):
            return loaded[0]
        return None

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """The engine of the current project, for one caller at a time."""
        project = self.project()
        with self._engine_lock:
            if self._engine is None or self._engine.project is not project:
                if self._engine is not None:
                    self._engine.close()
                self._engine = Engine(project)
            try:
                yield self._engine
            finally:
                self._last_query = time.monotonic()
                if self._engine.holds_files():
                    if self.source_idle_seconds <= 0:
                        self._engine.release()
                    elif self._release_timer is None:
                        self._arm_release(self.source_idle_seconds)

    def _arm_release(self, delay: float) -> None:
        """Release the engine's files after ``delay`` seconds (under the engine lock)."""
        timer = threading.Timer(delay, self._release_if_idle)
        timer.daemon = True
        timer.name = "onpace-release-sources"
        self._release_timer = timer
        timer.start()

    def _release_if_idle(self) -> None:
        with self._engine_lock:
            self._release_timer = None
            if self._engine is None or not self._engine.holds_files():
                return
            left = self._last_query + self.source_idle_seconds - time.monotonic()
            if left > 0:
                self._arm_release(left)
            else:
                self._engine.release()

    def cached(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()``, kept while ``key`` stays the same (the newest evaluation id, the filters...).

        For what changes only when the store or the definitions change: the scorecard is read far
        more often than KPIs are evaluated. The generation of the project's load is part of every
        key, so a reloaded definition never serves an old answer. Holds at most ``CACHE_SIZE`` answers.
        """
        project = self.project()
        generation = self._generation(project)
        if generation is None:  # reloaded between the two reads: compute, keep nothing
            return compute()
        full = _cache_key(generation, key)
        with self._cache_lock:
            if full in self._cache:
                return cast(T, self._cache[full])
        value = compute()
        with self._cache_lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[full] = value
        return value

    def peek(self, project: Project, key: tuple[object, ...]) -> object | None:
        """What :meth:`cached` holds for ``key`` and ``project``, without computing it (None when nothing).

        Nothing for a project that is not the one this workspace loaded last.
        """
        generation = self._generation(project)
        if generation is None:
            return None
        with self._cache_lock:
            return self._cache.get(_cache_key(generation, key))

    def _generation(self, project: Project) -> int | None:
        """The generation of ``project``'s load, if it is the project loaded last (by identity), else None."""
        loaded = self._loaded
        if loaded is not None and loaded[0] is project:
            return loaded[3]
        return None

    def start_refresh(self, *, full: bool, metrics: list[str] | None, requested_by: str) -> int:
        """Start a refresh in a background thread; the id of its run (ConflictError while one runs here)."""
        from onpace.services.refresh import refresh

        if not self._refresh_lock.acquire(blocking=False):
            raise ConflictError("a refresh started from this server is still running; wait for it to finish")
        project = self.project()
        started = threading.Event()
        run: list[int] = []
        failure: list[BaseException] = []

        def note(run_id: int) -> None:
            run.append(run_id)
            started.set()

        def work() -> None:
            try:
                refresh(project, self.store, full=full, metrics=metrics, requested_by=requested_by, on_start=note)
            except BaseException as exc:  # noqa: BLE001 - recorded in the run by refresh; kept for the caller
                failure.append(exc)
            finally:
                started.set()
                self._refresh_lock.release()

        self._refresh_thread = threading.Thread(target=work, name="onpace-refresh", daemon=True)
        self._refresh_thread.start()
        started.wait()
        if not run:
            raise failure[0] if failure else RuntimeError("the refresh did not start")
        return run[0]

    def wait_for_refresh(self, timeout: float | None = None) -> None:
        thread = self._refresh_thread
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        self.wait_for_refresh(timeout=60)
        with self._engine_lock:
            if self._release_timer is not None:
                self._release_timer.cancel()
                self._release_timer = None
            if self._engine is not None:
                self._engine.close()
                self._engine = None
        self.store.close()

    def _watched_paths(self, project: Project) -> tuple[str, ...]:
        """The files a change of the project shows in: its files, and its folders (a file added or
        removed changes its folder's time, a new sub-folder its parent's)."""
        paths = {self.root / PROJECT_FILE, *(self.root / name for name in project.positions)}
        for entry in project.config.models:
            folder = self.root / entry
            if folder.is_dir():
                paths |= {folder, *(p for p in folder.rglob("*") if p.is_dir())}
        return tuple(sorted(str(p) for p in paths))


def _signature(paths: tuple[str, ...]) -> tuple[tuple[str, int, int, int], ...]:
    """The modification time, inode and size of ``paths`` (-1s for one that is gone).

    The inode and size too: two writes within the file system's time resolution leave the
    same modification time, but onpace replaces definition files by renaming a new file over
    them, so the inode changes with every write."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
            out.append((path, st.st_mtime_ns, st.st_ino, st.st_size))
        except FileNotFoundError:
            out.append((path, -1, -1, -1))
    return tuple(out)


def _cache_key(generation: int, key: tuple[object, ...]) -> tuple[object, ...]:
    """The load's generation is part of every key: a reloaded definition never serves an old answer.

    Not ``id(project)``: an id is reused once its object is freed, so a new project could be
    served the board of an old one. Generations only grow, one per load of this workspace.
    """
    return (generation, *key)
