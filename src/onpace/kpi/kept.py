"""A bounded, thread-safe store of computed results in memory, the least recently used dropped first.

The web app and the scheduler share a process, so results kept by one thread are read by
another: every read and write holds one lock. Bounded twice: by how many results it
holds (``size``) and by how many bytes they weigh (``budget``, each result weighed once
when kept by the ``weigh`` given): large results (simulated paths) are held by bytes,
small ones by count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most ``size`` results weighing at most ``budget`` in all, by key; a result heavier than
    the budget is not kept."""

    def __init__(self, size: int, budget: int | None = None, weigh: Callable[[V], int] | None = None) -> None:
        if size < 1 or (budget is not None and budget < 1):
            raise ValueError(f"expected a size and a budget of at least 1, got {size} and {budget}")
        self.size = size
        self.budget = budget
        self._weigh = weigh or (lambda _: 0)
        self._lock = threading.Lock()
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0

    def get(self, key: K) -> V | None:
        """The result kept for ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The result kept for ``key``, else ``compute()``, kept. Computed outside the lock: two
        threads that miss at once both compute (the same answer); a computation that raises keeps nothing."""
        found = self.get(key)
        if found is None:
            found = compute()
            self.put(key, found)
        return found

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` (replacing what was kept), dropping the least recently used beyond the bounds."""
        weight = self._weigh(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            if self.budget is not None and weight > self.budget:
                return
            self._items[key] = (value, weight)
            self._weight += weight
            while len(self._items) > self.size or (self.budget is not None and self._weight > self.budget):
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped

    def items(self) -> Iterator[tuple[K, V]]:
        """What it holds now, most recently used first (a copy: safe while others keep results)."""
        with self._lock:
            held = [(key, value) for key, (value, _) in self._items.items()]
        return reversed(held)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def weight(self) -> int:
        """The weight of what it holds now."""
        with self._lock:
            return self._weight
