"""What failed in a refresh or an evaluation: one series of a metric, or one KPI (and segment).

A refresh goes on when one series or one KPI fails and records why; the run's
errors are keyed by :class:`Failure`, so code that needs to know what failed
(which metrics, whether it was a KPI) reads its fields, never a message. The
text people see (``onpace refresh``'s output, the run's errors in the store and
the API) is ``str(failure)``: ``revenue (month)``, ``revenue (day, region = 'N')``,
``KPI q_revenue``, ``KPI by_region [NORTH]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from onpace.calendar import Grain


@dataclass(frozen=True)
class Failure:
    """``kind`` 'metric': the series of metric ``name`` at ``grain`` in ``segment`` (a canonical filter,
    '' for the whole metric). ``kind`` 'kpi': KPI ``name``, one ``segment`` value of it or '' for all of it."""

    kind: Literal["metric", "kpi"]
    name: str
    grain: Grain | None = None
    segment: str = ""

    @classmethod
    def series(cls, metric: str, grain: Grain, segment: str = "") -> Failure:
        return cls("metric", metric, grain, segment)

    @classmethod
    def kpi(cls, name: str, segment: str | None = None) -> Failure:
        return cls("kpi", name, None, segment or "")

    def __str__(self) -> str:
        if self.kind == "kpi":
            return f"KPI {self.name}" + (f" [{self.segment}]" if self.segment else "")
        grain = self.grain.value if self.grain is not None else "?"
        return f"{self.name} ({grain}{', ' + self.segment if self.segment else ''})"


def as_text(failures: Mapping[Failure, str]) -> dict[str, str]:
    """The failures as people read them (and the store keeps them): ``str(failure)`` -> reason."""
    return {str(failure): reason for failure, reason in failures.items()}
