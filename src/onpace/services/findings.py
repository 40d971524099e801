"""A finding of ``onpace lint``: one rule broken by one KPI, objective, metric or the project.

Its own module because lint's rules live in more than one service (the
review rule is in :mod:`onpace.services.reviews`), and lint runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    kind: str  # kpi, objective, metric, project
    name: str
    message: str
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "kind": self.kind,
            "name": self.name,
            "message": self.message,
            "suggestion": self.suggestion,
        }
