"""The parts of pages kept between requests, in the workspace's cache (:meth:`Workspace.cached`).

The workspace keeps answers under keys that hold the newest evaluation's id and, implicitly, the
generation of the project's load, so a new evaluation or a changed definition is never served an
old answer. It holds a few dozen answers, oldest out first: the scorecard's boards are among them.
Pages there are many of (a KPI page per KPI, segment and as-of date) share one of its entries per
newest evaluation, a bounded map (:class:`onpace.kpi.kept.Kept`), so browsing KPI pages never pushes a board out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from onpace.kpi.kept import Kept
from onpace.services.workspace import Workspace

T = TypeVar("T")
KEPT = 256


def kept(ws: Workspace, kind: str, newest: int, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept until something is evaluated again (``newest``: the newest evaluation's id)
    or the project's definitions change, with the other pages of this ``kind``."""
    shelf: Kept[Hashable, T] = ws.cached((kind, newest), lambda: Kept(KEPT))
    return shelf.get_or_compute(key, compute)
