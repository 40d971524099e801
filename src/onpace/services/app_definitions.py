"""Objectives and KPIs made in the web app or through the API, kept as code in ``models/app.yml``.

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

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from onpace.catalog.edit import edit_project
from onpace.catalog.goals import Kpi, Objective
from onpace.catalog.project import Project
from onpace.catalog.yamlpos import parse_yaml
from onpace.errors import ConflictError, DefinitionError, Issue, NotFoundError
from onpace.fileio import read_text
from onpace.services.definitions import target_keys
from onpace.store import audit
from onpace.store.db import Store
from onpace.store.targets import record_target_change

APP_FILE = Path("models") / "app.yml"
Kind = Literal["objective", "kpi"]
_SECTION: dict[Kind, str] = {"objective": "objectives", "kpi": "kpis"}
_HEADER = "# Objectives and KPIs made in the onpace web app or API. onpace rewrites this file: edit it there.\n"


def managed_by_app(project: Project, kind: Kind, name: str) -> bool:
    obj = (project.objectives if kind == "objective" else project.kpis).get(name)
    return obj is not None and obj._file == APP_FILE.as_posix()


def _read(project: Project) -> dict[str, list[dict[str, Any]]]:
    text = read_text(project.root / APP_FILE)
    data = parse_yaml(text, APP_FILE.as_posix()) if text is not None else None
    data = data if isinstance(data, dict) else {}
    return {"objectives": list(data.get("objectives") or []), "kpis": list(data.get("kpis") or [])}


def _refuse_code(project: Project, kind: Kind, name: str) -> None:
    obj = (project.objectives if kind == "objective" else project.kpis).get(name)
    if obj is not None and not managed_by_app(project, kind, name):
        raise ConflictError(
            f"{kind} '{name}' is defined in {obj._file}, which is managed as code",
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
    model = Objective if kind == "objective" else Kpi
    parsed = validated(model, definition, kind)  # the shape first, every problem with where it is
    return parsed.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)


def save(
    project: Project, store: Store, kind: Kind, definition: dict[str, Any], *, actor: str, create: bool
) -> Project:
    """Create (``create``) or replace an objective or KPI in models/app.yml; the reloaded project."""
    body = _body(kind, definition)
    return _edit(project, store, kind, body["name"], "create" if create else "update", actor, lambda current: body)


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
    """Change one objective or KPI in models/app.yml, decided on the files as they are under the lock
    (:func:`onpace.catalog.edit.edit_project`); audited, with the KPI's target history, once it landed."""
    path = project.root / APP_FILE
    seen: dict[str, dict[str, Any] | None] = {}

    def change(current: Project) -> dict[Path, str]:
        existing = current.objectives if kind == "objective" else current.kpis
        if action == "create" and name in existing:
            raise ConflictError(f"a {kind} named '{name}' exists already (in {existing[name]._file})")
        if action != "create":
            if name not in existing:
                raise NotFoundError(f"no {kind} named '{name}'")
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

    return edit_project(project.root, change, env=project.env, record=record)
