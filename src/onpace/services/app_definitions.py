"""Objectives, KPIs, alert rules, reports and people made in the web app or through the API, kept as code in
``models/app.yml``.

Definitions are code: the project's YAML is the one source of truth, and
``onpace export``, git and reviews see everything. What people create in the
app goes to one file the app owns (``models/app.yml``, rewritten whole on each
change; commit it like any other definition). Objects defined in any other
file are managed by hand: changing them here is refused with ``ConflictError``
(HTTP 409) and a hint to edit the file and run ``onpace apply``.

Every change is made under the project's lock (across processes), decided on
the files as they are then, and checked by loading the whole project with it
before the file is replaced (atomically: a reader sees the old file or the new
one): when it does not load, nothing is written and the error lists every
problem. A change is audited once it landed; a KPI's targets are also kept in
the target history (:mod:`onpace.catalog.edit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from onpace.catalog.alerts import AlertRule
from onpace.catalog.channels import NamedPerson
from onpace.catalog.goals import Kpi, Objective
from onpace.catalog.project import Project
from onpace.catalog.reports import Report
from onpace.catalog.yamlpos import parse_yaml
from onpace.errors import ConflictError, DefinitionError, Issue, NotFoundError, OnpaceError
from onpace.fileio import read_text
from onpace.store.db import Store

log = logging.getLogger(__name__)

APP_FILE = Path("models") / "app.yml"
Kind = Literal["objective", "kpi", "alert", "report", "person"]
_SECTION: dict[Kind, str] = {
    "objective": "objectives",
    "kpi": "kpis",
    "alert": "alerts",
    "report": "reports",
    "person": "people",
}
_WORD: dict[Kind, str] = {
    "objective": "objective",
    "kpi": "KPI",
    "alert": "alert rule",
    "report": "report",
    "person": "person",
}
_A: dict[Kind, str] = {
    "objective": "an objective",
    "kpi": "a KPI",
    "alert": "an alert rule",
    "report": "a report",
    "person": "a person",
}
_HEADER = (
    "# Objectives, KPIs, alert rules, reports and people made in the onpace web app or API."
    " onpace rewrites this file: edit it there.\n"
)


def defined(project: Project, kind: Kind) -> Mapping[str, Any]:
    """The project's definitions of one kind, by name (whatever file defines them)."""
    if kind == "objective":
        return project.objectives
    if kind == "kpi":
        return project.kpis
    if kind == "report":
        return project.reports
    if kind == "person":
        return project.config.people
    return project.alerts


def managed_by_app(project: Project, kind: Kind, name: str) -> bool:
    obj = defined(project, kind).get(name)
    return obj is not None and obj._file == APP_FILE.as_posix()


def _read(project: Project) -> dict[str, list[dict[str, Any]]]:
    text = read_text(project.root / APP_FILE)
    data = parse_yaml(text, APP_FILE.as_posix()) if text is not None else None
    data = data if isinstance(data, dict) else {}
    return {section: list(data.get(section) or []) for section in _SECTION.values()}


def _refuse_code(project: Project, kind: Kind, name: str) -> None:
    obj = defined(project, kind).get(name)
    if obj is not None and not managed_by_app(project, kind, name):
        raise ConflictError(
            f"{_WORD[kind]} '{name}' is defined in {obj._file}, which is managed as code",
            hint=f"change it in {obj._file} and run 'onpace apply'",
        )


def validated(model: type[BaseModel], definition: Any, what: str) -> Any:
    """``definition`` as ``model``, or a DefinitionError (422) naming each bad key and why."""
    try:
        return model.model_validate(definition)
    except ValidationError as exc:
        issues = [
            Issue(error["msg"], path=".".join(str(p) for p in error["loc"]) or None, file=f"the {what}")
            for error in exc.errors(include_url=False)
        ]
        raise DefinitionError(issues) from None


def _body(kind: Kind, definition: dict[str, Any]) -> dict[str, Any]:
    if kind in ("alert", "report"):
        # kept as written (durations in words, 'for: 2'): a dump would write '2 days' as 'P2D'
        validated(AlertRule if kind == "alert" else Report, definition, _WORD[kind])
        return {key: value for key, value in definition.items() if value is not None}
    if kind == "person":
        person = validated(NamedPerson, definition, _WORD[kind])
        return person.model_dump(mode="json", exclude_none=True)
    model = Objective if kind == "objective" else Kpi
    parsed = validated(model, definition, kind)  # the shape first, every problem with where it is
    return parsed.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)


def save(
    project: Project, store: Store, kind: Kind, definition: dict[str, Any], *, actor: str, create: bool
) -> Project:
    """Create (``create``) or replace an objective, KPI, alert rule, report or person in models/app.yml;
    the reloaded project."""
    body = _body(kind, definition)
    return _edit(project, store, kind, body["name"], "create" if create else "update", actor, lambda current: body)


def save_text(project: Project, store: Store, kind: Kind, text: str, *, actor: str, name: str | None = None) -> Project:
    """Create (no ``name``) or replace ``name`` from the YAML of one definition (the Alerts page's editor):
    a mapping with the keys of the YAML files; a rule keeps its name (a new name is a new rule)."""
    what = f"the {_WORD[kind]}"
    definition = parse_yaml(text, what) if text.strip() else None
    if not isinstance(definition, dict):
        raise DefinitionError([Issue("expected a mapping of keys to values (name: ..., kind: ...)", file=what)])
    if name is not None:
        _same_name(kind, name, definition, what)
    return save(project, store, kind, definition, actor=actor, create=name is None)


def replace(
    project: Project, store: Store, kind: Kind, name: str, definition: dict[str, Any], *, actor: str
) -> Project:
    """Replace ``name`` with ``definition``: a body naming another is refused (a PUT of a KPI whose body said
    another name answered 200 and kept the old one, where the page's editor refused it)."""
    _same_name(kind, name, definition, "the body")
    return save(project, store, kind, {**definition, "name": name}, actor=actor, create=False)


def _same_name(kind: Kind, name: str, definition: dict[str, Any], what: str) -> None:
    given = definition.setdefault("name", name)
    if given is not None and given != name:
        raise DefinitionError(
            [Issue(f"the name is '{name}'; create a new {_WORD[kind]} to use '{given}'", file=what, path="name")]
        )


def written(project: Project, kind: Kind, name: str) -> str:
    """The YAML of one definition as models/app.yml holds it ('' when the app does not manage it)."""
    if not managed_by_app(project, kind, name):
        return ""
    found = next((item for item in _read(project)[_SECTION[kind]] if item.get("name") == name), None)
    return "" if found is None else yaml.safe_dump(found, sort_keys=False, allow_unicode=True)


def delete(project: Project, store: Store, kind: Kind, name: str, *, actor: str) -> Project:
    return _edit(project, store, kind, name, "delete", actor, lambda current: None)


def set_targets(project: Project, store: Store, kpi: str, targets: list[dict[str, Any]], *, actor: str) -> Project:
    """Replace a KPI's targets (one, or a schedule with dates and segments)."""

    def with_targets(current: Project) -> dict[str, Any]:
        body = current.kpis[kpi].model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
        body.pop("target", None)
        body.pop("targets", None)
        if len(targets) == 1 and not targets[0].get("from") and not targets[0].get("segment"):
            body["target"] = targets[0]
        else:
            body["targets"] = targets
        return _body("kpi", body)

    return _edit(project, store, "kpi", kpi, "update", actor, with_targets)


def _edit(
    project: Project,
    store: Store,
    kind: Kind,
    name: str,
    action: str,
    actor: str,
    new_body: Callable[[Project], dict[str, Any] | None],
) -> Project:
    """Change one objective, KPI or alert rule in models/app.yml, decided on the files as they are under the lock
    (:func:`onpace.catalog.edit.edit_project`); audited, with the KPI's target history, once it landed."""
    # writing: the store's ORM and the editor, imported here (listing the rules needs neither)
    from onpace.catalog.edit import edit_project
    from onpace.services.definitions import target_keys
    from onpace.store import audit
    from onpace.store.targets import record_target_change

    path = project.root / APP_FILE
    seen: dict[str, dict[str, Any] | None] = {}

    def change(current: Project) -> dict[Path, str]:
        existing = defined(current, kind)
        if action == "create" and name in existing:
            raise ConflictError(f"{_A[kind]} named '{name}' exists already (in {existing[name]._file})")
        if action != "create":
            if name not in existing:
                raise NotFoundError(f"no {_WORD[kind]} named '{name}'")
            _refuse_code(current, kind, name)
        body = new_body(current)
        data = _read(current)
        items = [item for item in data[_SECTION[kind]] if item.get("name") != name]
        if body is not None:
            items.append(body)
        data[_SECTION[kind]] = items
        seen["old"] = existing[name].model_dump(mode="json", by_alias=True) if name in existing else None
        seen["new"] = body
        kept = {key: value for key, value in data.items() if value}
        return {path: _HEADER + (yaml.safe_dump(kept, sort_keys=False, allow_unicode=True) if kept else "{}\n")}

    def record(changed: Project) -> None:
        old, new = seen["old"], seen["new"]
        with store.session() as s:  # the audit and the target history: one transaction
            audit.audit(s, actor, f"{kind}.{action}", kind, name, {"file": APP_FILE.as_posix(), "old": old, "new": new})
            if kind == "kpi":
                old_targets = target_keys(old)
                new_targets = target_keys(new)
                if new_targets is not None and old_targets != new_targets:
                    record_target_change(s, name, actor, "api", old_targets, new_targets)

    changed = edit_project(project.root, change, env=project.env, record=record)
    if kind == "kpi" and action != "delete":
        _evaluate(changed, store, name)
    return changed


def _evaluate(project: Project, store: Store, kpi: str) -> None:
    """Judge the KPI again after it was made or changed in the app, as an import of values does (that
    KPI alone: every KPI was judged again, each change writing a row per KPI instance): the scorecard, the KPI page and the API read the stored evaluations, which still held the old
    target's verdict (and none for a new KPI) until the next refresh. The change has landed: a KPI
    that cannot be judged yet (its metric not refreshed) is logged, not refused."""
    from sqlalchemy.exc import SQLAlchemyError

    from onpace.services.evaluate import evaluate_and_store
    from onpace.services.failures import Failure

    errors: dict[Failure, str] = {}
    try:
        evaluate_and_store(project, store, errors=errors, kpis=[kpi])  # the others did not change
    except (OnpaceError, SQLAlchemyError) as exc:  # the change has landed: a 500 would say it had not
        log.warning("after the change of KPI %r, the KPIs could not be evaluated: %s", kpi, exc)
    for failed, why in errors.items():
        log.warning("after the change of KPI %r, %s could not be evaluated: %s", kpi, failed, why)
