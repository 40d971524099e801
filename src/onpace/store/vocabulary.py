"""Words with a fixed vocabulary in the store (a definition's kind, a run's status, a review's assessment).

Each is typed here and checked by the database too (:func:`onpace.store.models.one_of` makes the CHECK
of its column). Apart from the models, so that what needs a vocabulary (the review service's list of
assessments) does not import SQLAlchemy; :mod:`onpace.store.models` re-exports them.
"""

from __future__ import annotations

from typing import Literal

DefinitionKind = Literal["project", "source", "dataset", "metric", "objective", "kpi"]
DefinitionOrigin = Literal["yaml", "store"]
RunStatus = Literal["running", "succeeded", "partial", "failed", "interrupted"]
RunMode = Literal["full", "incremental"]
SeriesOrigin = Literal["engine", "manual"]
TargetSource = Literal["yaml", "api"]
LifecycleAction = Literal["promote", "demote"]
ReviewAssessment = Literal["on_track", "at_risk", "off_track", "achieved", "missed"]
PeriodStatus = Literal["achieved", "missed"]
Role = Literal["admin", "strategist", "editor", "viewer"]
SubjectKind = Literal["kpi", "metric"]
ReportRunStatus = Literal["running", "succeeded", "failed"]
