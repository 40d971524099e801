"""Promote a metric to a KPI, or demote a KPI back to a metric, as code, with who, when and why.

Definitions live in YAML under git, so both change the files:

- ``promote`` appends the new KPI to ``models/promoted.yml`` (a file of KPIs
  only, created when missing), after checking that the project still loads
  with it;
- ``demote`` removes the KPI from the file that defines it (the metric
  stays), keeping every other definition, comment, quote and the order.

Both edit the YAML round trip (:mod:`onpace.catalog.yamledit`, ADR 0011), never
by lines or patterns.

Either way the edit is made under the project's lock, on the files as they are
then, and checked (the project loads, only the one KPI changed) before the file
is replaced atomically; the file gets its old text back if the store cannot
record the event (:mod:`onpace.catalog.edit`), and the store keeps a lifecycle event (actor, time,
reason, the KPI's definition, so a demoted KPI can be restored) and an audit
entry. Commit the changed file with git as for any other definition change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from onpace.catalog.edit import edit_project
from onpace.catalog.goals import Kpi
from onpace.catalog.project import Project
from onpace.catalog.yamledit import append_item, remove_item
from onpace.catalog.yamlpos import parse_yaml
from onpace.errors import QueryError, UserError, did_you_mean
from onpace.fileio import read_text
from onpace.services.app_definitions import validated
from onpace.store import audit, lifecycle
from onpace.store.db import Store

PROMOTED_FILE = Path("models") / "promoted.yml"
_PROMOTED_HEAD = "# KPIs promoted from metrics with 'onpace promote'.\nkpis:\n"


@dataclass
class _Edit:
    """What a promotion or demotion changes, as decided under the lock."""

    path: Path = Path()
    metric: str = ""
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    name: str
    file: Path
    project: Project


def promote(
    project: Project, store: Store, metric: str, definition: dict[str, Any], *, actor: str, reason: str
) -> Change:
    """Add a KPI on ``metric`` (``definition``: the KPI's keys besides 'metric'); return where it went."""
    body = {
        "name": definition.get("name") or metric,
        "metric": metric,
        **{k: v for k, v in definition.items() if k != "name"},
    }
    path = project.root / PROMOTED_FILE

    def change(current: Project) -> dict[Path, str]:
        if metric not in current.metrics:
            raise QueryError(f"unknown metric '{metric}'", suggestion=did_you_mean(metric, current.metrics))
        if body["name"] in current.kpis:
            raise UserError(
                f"there is already a KPI named '{body['name']}'; give it another name (name in the API, --name in the CLI)"
            )
        validated(Kpi, body, "KPI")  # the shape, every problem named, before touching any file
        before = read_text(path)
        if before is not None:
            existing = parse_yaml(before, PROMOTED_FILE.as_posix()) or {}
            if not isinstance(existing, dict) or set(existing) - {"kpis"}:
                raise UserError(f"{PROMOTED_FILE} holds more than 'kpis'; keep promoted KPIs in a file of their own")
        text = before if before is not None else _PROMOTED_HEAD
        return {path: append_item(text, PROMOTED_FILE.as_posix(), "kpis", body)}

    edit = _Edit(path, metric, body)
    return _apply(project, store, change, body["name"], "promote", actor, reason, edit)


def demote(project: Project, store: Store, kpi_name: str, *, actor: str, reason: str) -> Change:
    """Remove the KPI ``kpi_name`` from its file; its metric stays a metric."""
    if not reason.strip():
        raise UserError("a demotion needs a reason (--reason): it is kept with the KPI's history")
    edit = _Edit()

    def change(current: Project) -> dict[Path, str]:
        kpi = current.kpis.get(kpi_name)
        if kpi is None:
            raise QueryError(f"unknown KPI '{kpi_name}'", suggestion=did_you_mean(kpi_name, current.kpis))
        assert kpi._file is not None
        path = current.root / kpi._file
        index = kpi._path[1] if len(kpi._path) > 1 and isinstance(kpi._path[1], int) else -1
        text = remove_item(read_text(path) or "", kpi._file, "kpis", index, kpi.name, "KPI")
        edit.path, edit.metric = path, kpi.metric or ""
        edit.body = kpi.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return {path: text}

    return _apply(project, store, change, kpi_name, "demote", actor, reason, edit)


def _definitions(project: Project) -> dict[tuple[str, str], Any]:
    kinds: dict[str, Mapping[str, BaseModel]] = {
        "dataset": project.datasets,
        "metric": project.metrics,
        "objective": project.objectives,
        "kpi": project.kpis,
    }
    return {
        (kind, name): obj.model_dump(mode="json", by_alias=True)
        for kind, objects in kinds.items()
        for name, obj in objects.items()
    }


def _check_only(before: Project, after: Project, name: str, action: str) -> None:
    """The edit changed exactly the one KPI: a file edit must never take another definition with it."""
    old, new = _definitions(before), _definitions(after)
    key = ("kpi", name)
    if action == "promote":
        old = {**old, key: new.get(key)}
    else:
        new = {**new, key: old.get(key)}
    if old != new:
        changed = sorted(f"{k[0]} {k[1]}" for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        raise UserError(f"the edit would also change {', '.join(changed)}; nothing was changed: edit the YAML by hand")


def _apply(
    project: Project,
    store: Store,
    change: Callable[[Project], dict[Path, str]],
    name: str,
    action: str,
    actor: str,
    reason: str,
    edit: _Edit,
) -> Change:
    """Make the edit under the project's lock (:func:`onpace.catalog.edit.edit_project`): refused unless the
    project loads and only the one KPI changed; the lifecycle event and the audit entry are written in one
    transaction once the file landed, and the file gets its old text back if they cannot be."""

    def check(before: Project, after: Project) -> None:
        _check_only(before, after, name, action)

    def record(changed: Project) -> None:
        shown = edit.path.relative_to(project.root).as_posix()
        with store.session() as s:
            details = {"kpi": name, "definition": edit.body}
            lifecycle.record_lifecycle(s, edit.metric, action, actor, reason, details)  # type: ignore[arg-type]
            audit.audit(s, actor, f"kpi.{action}", "kpi", name, {"reason": reason, "file": shown})

    reloaded = edit_project(project.root, change, env=project.env, check=check, record=record)
    return Change(name, edit.path, reloaded)
