"""Objectives and KPIs made in the web app or through the API, kept as code in ``models/app.yml``.

Definitions are code: the project's YAML is the one source of truth, and
``onpace export``, git and reviews see everything. What people create in the
app goes to one file the app owns (``models/app.yml``, rewritten whole on each
change; commit it like any other definition). Objects defined in any other
file are managed by hand: changing them here is refused with ``ConflictError``
(HTTP 409) and a hint to edit the file and run ``onpace apply``.

Every change is checked by loading the whole project with it: when it does not
load, the file is restored and the error lists every problem. A change is
audited; a KPI's targets are also kept in the target history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from onpace.catalog.goals import Kpi, Objective
from onpace.catalog.project import Project, load_project
from onpace.errors import ConflictError, DefinitionError, Issue, NotFoundError
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
    path = project.root / APP_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
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
    name = body["name"]
    existing = project.objectives if kind == "objective" else project.kpis
    if create and name in existing:
        where = existing[name]._file
        raise ConflictError(f"a {kind} named '{name}' exists already (in {where})")
    if not create:
        if name not in existing:
            raise NotFoundError(f"no {kind} named '{name}'")
        _refuse_code(project, kind, name)
    data = _read(project)
    items = [item for item in data[_SECTION[kind]] if item.get("name") != name]
    items.append(body)
    data[_SECTION[kind]] = items
    old = existing[name].model_dump(mode="json", by_alias=True) if name in existing else None
    return _write(project, store, data, kind, name, "create" if create else "update", actor, old, body)


def delete(project: Project, store: Store, kind: Kind, name: str, *, actor: str) -> Project:
    existing = project.objectives if kind == "objective" else project.kpis
    if name not in existing:
        raise NotFoundError(f"no {kind} named '{name}'")
    _refuse_code(project, kind, name)
    data = _read(project)
    data[_SECTION[kind]] = [item for item in data[_SECTION[kind]] if item.get("name") != name]
    old = existing[name].model_dump(mode="json", by_alias=True)
    return _write(project, store, data, kind, name, "delete", actor, old, None)


def set_targets(project: Project, store: Store, kpi: str, targets: list[dict[str, Any]], *, actor: str) -> Project:
    """Replace a KPI's targets (one, or a schedule with dates and segments)."""
    if kpi not in project.kpis:
        raise NotFoundError(f"no KPI named '{kpi}'")
    _refuse_code(project, "kpi", kpi)
    body = project.kpis[kpi].model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
    body.pop("target", None)
    body.pop("targets", None)
    if len(targets) == 1 and not targets[0].get("from") and not targets[0].get("segment"):
        body["target"] = targets[0]
    else:
        body["targets"] = targets
    return save(project, store, "kpi", body, actor=actor, create=False)


def _write(
    project: Project,
    store: Store,
    data: dict[str, list[dict[str, Any]]],
    kind: Kind,
    name: str,
    action: str,
    actor: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> Project:
    path = project.root / APP_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else None
    kept = {key: value for key, value in data.items() if value}
    text = _HEADER + (yaml.safe_dump(kept, sort_keys=False, allow_unicode=True) if kept else "{}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        reloaded = load_project(project.root, env=project.env)
        with store.session() as s:
            audit.audit(s, actor, f"{kind}.{action}", kind, name, {"file": APP_FILE.as_posix(), "old": old, "new": new})
            if kind == "kpi":
                old_targets = target_keys(old)
                new_targets = target_keys(new)
                if new_targets is not None and old_targets != new_targets:
                    record_target_change(s, name, actor, "api", old_targets, new_targets)
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(before, encoding="utf-8")
        raise
    return reloaded
