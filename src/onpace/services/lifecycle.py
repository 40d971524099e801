"""Promote a metric to a KPI, or demote a KPI back to a metric, as code, with who, when and why.

Definitions live in YAML under git, so both change the files:

- ``promote`` appends the new KPI to ``models/promoted.yml`` (a file of KPIs
  only, created when missing), after checking that the project still loads
  with it;
- ``demote`` removes the KPI's block from the file that defines it (the
  metric stays), keeping every other line, comments included.

Either way the edit is made under the project's lock, on the files as they are
then, and checked (the project loads, only the one KPI changed) before the file
is replaced atomically; the file gets its old text back if the store cannot
record the event (:mod:`onpace.catalog.edit`), and the store keeps a lifecycle event (actor, time,
reason, the KPI's definition, so a demoted KPI can be restored) and an audit
entry. Commit the changed file with git as for any other definition change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from onpace.catalog.edit import edit_project
from onpace.catalog.goals import Kpi
from onpace.catalog.project import Project
from onpace.catalog.yamlpos import compose_yaml, parse_yaml
from onpace.errors import QueryError, UserError, did_you_mean
from onpace.fileio import read_text
from onpace.services.app_definitions import validated
from onpace.store import audit, lifecycle
from onpace.store.db import Store

PROMOTED_FILE = Path("models") / "promoted.yml"
_TOP_LEVEL = re.compile(r"^[^\s#-]")


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
            raise UserError(f"there is already a KPI named '{body['name']}'; give another with --name")
        validated(Kpi, body, "KPI")  # the shape, every problem named, before touching any file
        before = read_text(path)
        if before is not None:
            existing = parse_yaml(before, PROMOTED_FILE.as_posix()) or {}
            if not isinstance(existing, dict) or set(existing) - {"kpis"}:
                raise UserError(f"{PROMOTED_FILE} holds more than 'kpis'; keep promoted KPIs in a file of their own")
        head = before if before is not None else "# KPIs promoted from metrics with 'onpace promote'.\nkpis:\n"
        if before is not None:
            head = re.sub(r"^kpis:\s*\[\s*\]\s*$", "kpis:", before, flags=re.M)  # left empty by a demotion
            if not re.search(r"^kpis:\s*$", head, re.M):
                head = head.rstrip("\n") + "\nkpis:\n"
        block = yaml.safe_dump([body], sort_keys=False, allow_unicode=True, default_flow_style=False)
        return {path: head.rstrip("\n") + "\n" + _indent(block)}

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
        before = read_text(path) or ""
        lines = before.splitlines(keepends=True)
        first, last = _block(kpi, lines)
        text = "".join(lines[:first] + lines[last:])
        data = parse_yaml(text, kpi._file)
        if isinstance(data, dict) and not data.get("kpis", True):
            text = re.sub(r"^kpis:\s*\n", "kpis: []\n", text, flags=re.M)  # the list became empty
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


def _indent(block: str) -> str:
    return "".join("  " + line if line.strip() else line for line in block.splitlines(keepends=True))


def _block(kpi: Kpi, lines: list[str]) -> tuple[int, int]:
    """The 0-based line range [first, last) of the KPI's list item in its file, from the YAML's own nodes."""
    text = "".join(lines)
    root = compose_yaml(text, kpi._file or "")
    items = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "kpis" and isinstance(value, yaml.SequenceNode):
                items = value
    index = kpi._path[1]
    if items is None or not isinstance(index, int) or index >= len(items.value):
        raise UserError(f"KPI '{kpi.name}' was not found where {kpi._file} lists its KPIs; remove it by hand")
    if items.flow_style:
        raise UserError(f"the KPIs of {kpi._file} are written inline ([...]); remove KPI '{kpi.name}' by hand")
    node = items.value[index]
    first = node.start_mark.line  # the line of the item's dash ('- name: ...')
    if not lines[first].lstrip().startswith("-"):
        raise UserError(f"KPI '{kpi.name}' does not start its own line in {kpi._file}; remove it by hand")
    if index + 1 < len(items.value):
        last = items.value[index + 1].start_mark.line
        if last == first or not lines[last].lstrip().startswith("-"):
            raise UserError(f"KPI '{kpi.name}' shares lines with the next one in {kpi._file}; remove it by hand")
        return first, last
    last = node.end_mark.line + (1 if node.end_mark.column > 0 else 0)
    while last < len(lines) and not _TOP_LEVEL.match(lines[last]) and lines[last].strip():
        last += 1
    return first, last


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
