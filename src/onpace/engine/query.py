"""What a caller asks the engine for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from onpace.catalog.models import Grain
from onpace.errors import QueryError


@dataclass(frozen=True)
class Query:
    metrics: list[str]
    dimensions: list[str] = field(default_factory=list)
    grain: Grain | str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    where: str | None = None

    @property
    def grain_value(self) -> Grain | None:
        if self.grain is None or isinstance(self.grain, Grain):
            return self.grain
        try:
            return Grain(self.grain)
        except ValueError:
            from onpace.errors import did_you_mean

            raise QueryError(
                f"unknown grain '{self.grain}' (expected one of {', '.join(g.value for g in Grain)})",
                suggestion=did_you_mean(str(self.grain), [g.value for g in Grain]),
            ) from None

    def checked(self) -> Query:
        if not self.metrics:
            raise QueryError("a query needs at least one metric")
        dupes = {m for m in self.metrics if self.metrics.count(m) > 1}
        if dupes:
            raise QueryError(f"metric asked twice: {', '.join(sorted(dupes))}")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise QueryError("a dimension is asked twice")
        overlap = set(self.metrics) & set(self.dimensions)
        if overlap or "period" in self.dimensions:
            raise QueryError(f"a column name is used twice: {', '.join(sorted(overlap or {'period'}))}")
        if self.start and self.end and self.start > self.end:
            raise QueryError(f"start {self.start} is after end {self.end}")
        self.grain_value  # noqa: B018 - validates the grain
        return self
