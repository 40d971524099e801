"""Reach dimensions of other datasets through keys, many-to-one only.

A dataset joins another through a key that is ``primary`` in the other
(foreign key -> primary key), or that is primary in both (one-to-one). Such
joins never repeat a row of the dataset they start from, so measures
aggregated after them cannot be double counted (no fan-out).

Datasets that share a primary key (``customers`` and ``profiles``, both by ``customer``)
are each reached directly by it: a path never takes the same key twice in a row, which
would only detour through the other (and lose the rows it lacks).
"""

from __future__ import annotations

from dataclasses import dataclass

from onpace.catalog import models as m
from onpace.catalog.dimref import dimension_of, split_ref
from onpace.catalog.project import Project
from onpace.errors import QueryError, did_you_mean

Hop = tuple[str, str]  # (key name, dataset reached)
Path = tuple[Hop, ...]


@dataclass(frozen=True)
class DimensionRef:
    """A dimension as reached from one dataset: the path of joins and the definition."""

    name: str
    dataset: str
    path: Path
    dimension: m.Dimension
    grain: m.Grain | None = None  # a time dimension taken at a grain: its period's first day


class JoinGraph:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._primary: dict[str, list[str]] = {}
        for ds in project.datasets.values():
            for key in ds.keys:
                if key.primary:
                    self._primary.setdefault(key.name, []).append(ds.name)
        self._owner = {dim.name: (ds.name, dim) for ds, dim in project.dimensions()}
        self._keys = project.key_names()
        self._cache: dict[tuple[str, str], DimensionRef] = {}

    def edges(self, dataset: str) -> list[Hop]:
        out = []
        for key in self.project.datasets[dataset].keys:
            for target in self._primary.get(key.name, []):
                if target != dataset:
                    out.append((key.name, target))
        return out

    def paths(self, start: str, goal: str, max_hops: int = 8) -> list[Path]:
        """Every simple path of joins from ``start`` to ``goal`` (empty list if unreachable)."""
        if start == goal:
            return [()]
        found: list[Path] = []

        def walk(node: str, path: Path, visited: frozenset[str]) -> None:
            if len(path) >= max_hops:
                return
            for key, target in self.edges(node):
                if target in visited or (path and path[-1][0] == key):
                    # the same key twice in a row: the key is primary in ``target``, so the dataset
                    # before the last hop reaches ``target`` by it directly (that path is walked too)
                    continue
                new = (*path, (key, target))
                if target == goal:
                    found.append(new)
                else:
                    walk(target, new, visited | {target})

        walk(start, (), frozenset({start}))
        return sorted(found, key=len)

    def resolve(self, start: str, name: str) -> DimensionRef:
        """The dimension ``name`` as reached from dataset ``start``; QueryError if it cannot be.

        ``name`` may be qualified by the keys to join through, first hop first
        (``order.region``, ``supplier.nation.region`` or ``supplier__nation__region``), to
        choose between paths (see :mod:`onpace.catalog.dimref`).
        """
        cached = self._cache.get((start, name))
        if cached is not None:
            return cached
        at = _at_grain(name) if name not in self._owner else None
        if at is not None and self.is_dimension(at[0]):  # a grain after a dimension: read before keys
            return self._at_grain(start, name, *at)
        via, bare = split_ref(name, self._owner, self._keys)
        # the same key twice in a row is one hop, as paths take it (``customer.customer.segment``)
        via = tuple(k for i, k in enumerate(via) if i == 0 or via[i - 1] != k)
        owner = self._owner.get(bare)
        if owner is None:
            raise QueryError(f"unknown dimension '{bare}'", suggestion=did_you_mean(bare, self._owner))
        dataset, dim = owner
        found = [p for p in self.paths(start, dataset) if tuple(k for k, _ in p[: len(via)]) == via]
        if not found and via and via[0] in self._own_keys(start):
            # the dataset's own primary key names the dataset itself (MetricFlow's customer__country from
            # the customers model): the path starts there
            found = [p for p in self.paths(start, dataset) if tuple(k for k, _ in p[: len(via) - 1]) == via[1:]]
        if not found:
            reachable = sorted(d for d, (ds, _) in self._owner.items() if self.paths(start, ds))
            through = f" through keys {'.'.join(via)}" if via else ""
            raise QueryError(
                f"dimension '{bare}' (dataset '{dataset}') cannot be reached from dataset '{start}'{through} by "
                f"many-to-one keys; dimensions available there: {', '.join(reachable) or 'none'}"
            )
        if len(found) > 1:
            shown = "; ".join(" -> ".join([start, *(f"{t} (by {k})" for k, t in p)]) for p in found)
            choices = " or ".join(f"'{'.'.join(k for k, _ in p)}.{bare}'" for p in found)
            raise QueryError(
                f"dimension '{bare}' is reachable from dataset '{start}' by {len(found)} paths: {shown}; "
                f"name the path, e.g. {choices}"
            )
        ref = DimensionRef(name, dataset, found[0], dim)
        self._cache[(start, name)] = ref
        return ref

    def _at_grain(self, start: str, name: str, head: str, grain: m.Grain) -> DimensionRef:
        """``customer__signup__month``: the time dimension ``customer__signup`` by month."""
        ref = self.resolve(start, head)
        if ref.dimension.type != "time" and ref.dimension.name != self.project.datasets[ref.dataset].time:
            raise QueryError(
                f"'{name}': dimension '{ref.dimension.name}' is not a time dimension; only a time dimension "
                f"(type: time) is taken at a grain such as '{grain.value}'"
            )
        if ref.grain is not None:
            raise QueryError(f"'{name}': a grain is given twice")
        found = DimensionRef(name, ref.dataset, ref.path, ref.dimension, grain)
        self._cache[(start, name)] = found
        return found

    def _own_keys(self, dataset: str) -> set[str]:
        return {key.name for key in self.project.datasets[dataset].keys if key.primary}

    def is_dimension(self, name: str) -> bool:
        at = _at_grain(name)
        if at is not None and self.is_dimension(at[0]):
            return True
        return dimension_of(name, self._owner, self._keys) in self._owner

    def dimension_names(self) -> list[str]:
        return list(self._owner)


def _at_grain(name: str) -> tuple[str, m.Grain] | None:
    """``x__month`` -> ("x", month): a dimension's name and a grain after ``__``; None otherwise."""
    head, sep, last = name.rpartition("__")
    if not sep or not head or last not in m.Grain.__members__:
        return None
    return head, m.Grain(last)
