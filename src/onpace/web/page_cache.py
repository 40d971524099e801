"""The parts of pages kept between requests, in the workspace's cache (:meth:`Workspace.cached`).

The workspace keeps answers under keys that hold the newest evaluation's id and, implicitly, the
generation of the project's load, so a new evaluation or a changed definition is never served an
old answer. It holds a few dozen answers, oldest out first: the scorecard's boards are among them.
Pages there are many of (a KPI page per KPI, segment and as-of date) share one of its entries per
newest evaluation, a :class:`Recent` map, so browsing KPI pages never pushes a board out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from onpace.services.workspace import Workspace

T = TypeVar("T")
KEPT = 256


class Recent(Generic[T]):
    """Up to ``size`` values by key, the least recently used out first; safe to share between threads."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``compute()`` kept (computed outside the lock: two requests
        that miss at once both compute, and the answer is the same)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)


def kept(ws: Workspace, kind: str, newest: int, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept until something is evaluated again (``newest``: the newest evaluation's id)
    or the project's definitions change, with the other pages of this ``kind``."""
    shelf: Recent[T] = ws.cached((kind, newest), Recent)
    return shelf.get(key, compute)
