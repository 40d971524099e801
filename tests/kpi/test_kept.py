"""Kept (onpace.kpi.kept): bounded by count and by weight, least recently used first out, safe across threads."""

from __future__ import annotations

import threading

import pytest

from onpace.kpi.kept import Kept


def test_the_least_recently_used_goes_first() -> None:
    kept: Kept[str, int] = Kept(size=2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # a is now the most recently used
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert [key for key, _ in kept.items()] == ["c", "a"]


def test_bounded_by_weight() -> None:
    kept: Kept[str, bytes] = Kept(size=10, budget=10, weigh=len)
    kept.put("a", b"xxxx")
    kept.put("b", b"xxxx")
    kept.put("c", b"xxxx")  # 12 bytes: a goes
    assert (kept.get("a"), len(kept), kept.weight) == (None, 2, 8)
    kept.put("b", b"x")  # replaced: its weight with it
    assert kept.weight == 5
    kept.put("huge", b"x" * 11)  # heavier than the whole budget: not kept, nothing dropped for it
    assert (kept.get("huge"), len(kept), kept.weight) == (None, 2, 5)
    kept.clear()
    assert (len(kept), kept.weight) == (0, 0)


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Kept(size=0)
    with pytest.raises(ValueError, match="at least 1"):
        Kept(size=1, budget=0)


def test_threads_keep_the_bounds() -> None:
    kept: Kept[int, bytes] = Kept(size=50, budget=400, weigh=len)
    start = threading.Barrier(8)

    def work(offset: int) -> None:
        start.wait()
        for i in range(2000):
            kept.put(offset * 10_000 + i % 97, b"x" * (i % 13))
            kept.get(offset * 10_000 + (i * 7) % 97)
            list(kept.items())

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = list(kept.items())
    assert len(held) == len(kept) <= 50
    assert kept.weight == sum(len(value) for _, value in held) <= 400
