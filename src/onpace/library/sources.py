"""The published articles a library entry may cite, for its definition or a benchmark.

An entry's ``sources`` and each benchmark's ``source`` name one of these titles
exactly; a benchmark repeats the figure as the article writes it. None of these
articles publishes a benchmark figure for a KPI, so no entry has a benchmark yet:
add the article here first, then cite it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str | None = None
    published: str | None = None


SOURCES: tuple[Source, ...] = (
    Source(
        "Separating Your Metrics and KPIs: What They Are and How They Differ?",
        publisher="Unleashed Software (Melanie Chan)",
    ),
    Source("KPIs vs Metrics | Differences that Really Matters"),
    Source("What’s the Difference Between Metrics and KPI?"),
    Source("The Difference Between KPIs & Metrics with Examples", publisher="Hurree", published="2022-03-08"),
    Source("Business Metrics vs. KPIs: What’s the Difference?", published="2026-03-13"),
)

TITLES: frozenset[str] = frozenset(s.title for s in SOURCES)


def find(title: str) -> Source | None:
    return next((s for s in SOURCES if s.title == title), None)
