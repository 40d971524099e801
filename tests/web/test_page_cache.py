"""The map KPI pages are kept in (web/page_cache.py, a Kept): bounded, least recently used out first."""

from __future__ import annotations

import pytest

from onpace.kpi.kept import Kept


def test_values_are_computed_once_and_the_least_recently_used_go_first() -> None:
    computed: list[str] = []

    def value(key: str) -> str:
        computed.append(key)
        return key.upper()

    recent: Kept[str, str] = Kept(size=2)
    assert recent.get_or_compute("a", lambda: value("a")) == "A"
    assert recent.get_or_compute("b", lambda: value("b")) == "B"
    assert recent.get_or_compute("a", lambda: value("a")) == "A"  # kept; now the most recently used
    assert recent.get_or_compute("c", lambda: value("c")) == "C"  # pushes out b, the least recently used
    assert len(recent) == 2
    assert recent.get_or_compute("a", lambda: value("a")) == "A"
    assert recent.get_or_compute("b", lambda: value("b")) == "B"  # computed again
    assert computed == ["a", "b", "c", "b"]


def test_a_failed_computation_keeps_nothing() -> None:
    recent: Kept[str, int] = Kept(size=4)

    def fail() -> int:
        raise LookupError("no KPI")

    for _ in range(2):
        with pytest.raises(LookupError):
            recent.get_or_compute("x", fail)
    assert len(recent) == 0
    assert recent.get_or_compute("x", lambda: 7) == 7
