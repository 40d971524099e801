"""What a write answers: values written, and a promotion or demotion (the KPI and its file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onpace.services.values import ImportResult
from onpace.services.views.metrics import LifecycleChange, ValuesWritten


def values_written(result: ImportResult) -> ValuesWritten:
    return ValuesWritten(rows=result.rows, metrics=dict(result.metrics), kpis_evaluated=result.evaluated)


def lifecycle_change(change: Any, root: Path) -> LifecycleChange:
    """A promotion or demotion (``services.lifecycle.Change``), its file relative to the project."""
    return LifecycleChange(kpi=change.name, file=change.file.relative_to(root).as_posix())
