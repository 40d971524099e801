"""``onpace validate``: the definitions checked against the data, as a report."""

from __future__ import annotations

from collections.abc import Sequence

from onpace.catalog.project import Project
from onpace.errors import Issue
from onpace.services.views.errors import IssueView, ValidationReport


def check_sources(project: Project) -> list[Issue]:
    """Every problem of the definitions against the data sources (columns, types, joins)."""
    from onpace.engine.check import check_sources as check  # the engine imports ibis: only when asked

    return check(project)


def report(issues: Sequence[Issue]) -> ValidationReport:
    return ValidationReport(ok=not issues, issues=[IssueView.model_validate(i) for i in issues])
