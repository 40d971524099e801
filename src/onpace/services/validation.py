"""``onpace validate``: the definitions checked against the data, as a report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from onpace.catalog.project import Project, read_project
from onpace.errors import Issue
from onpace.services.views.errors import IssueView, ValidationReport


def check_sources(project: Project) -> list[Issue]:
    """Every problem of the definitions against the data sources (columns, types, joins)."""
    from onpace.engine.check import check_sources as check  # the engine imports ibis: only when asked

    return check(project)


def validate(root: Path, *, offline: bool = False) -> tuple[Project, list[Issue]]:
    """The project as far as it loads, and every problem of it in one list.

    The definitions' problems (YAML syntax, shapes, references) do not stop the check against
    the data: what did load is checked too, unless ``offline``, so one run lists them all. A
    problem the data check finds at the very place the definitions already have one (a source
    whose URL names an unset variable) is the same problem, listed once. Raises DefinitionError
    only when onpace.yml cannot be read.
    """
    project, issues = read_project(root)
    if offline:
        return project, issues
    places = {(i.file, i.path) for i in issues}
    found = [i for i in check_sources(project) if (i.file, i.path) not in places]
    return project, [*issues, *found]


def report(issues: Sequence[Issue]) -> ValidationReport:
    return ValidationReport(ok=not issues, issues=[IssueView.model_validate(i) for i in issues])
