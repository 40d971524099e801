"""Promote a metric to a KPI, or demote a KPI back to a metric, as code, with who, when and why.

Definitions live in YAML under git, so both change the files:

- ``promote`` appends the new KPI to ``models/promoted.yml`` (a file of KPIs
  only, created when missing), after checking that the project still loads
  with it;
- ``demote`` removes the KPI's block from the file that defines it (the
  metric stays), keeping every other line, comments included.

Either way the files are restored if the project no longer loads or the store
cannot record the event, and the store keeps a lifecycle event (actor, time,
reason, the KPI's definition, so a demoted KPI can be restored) and an audit
entry. Commit the changed file with git as for any other definition change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onpace.catalog.goals import Kpi
from onpace.catalog.project import Project, load_project
from onpace.errors import QueryError, UserError, did_you_mean
from onpace.store import audit, lifecycle
from onpace.store.db import Store

PROMOTED_FILE = Path("models") / "promoted.yml"
_TOP_LEVEL = re.compile(r"^[^\s#-]")


@dataclass(frozen=True)
class Change:
    name: str
    file: Path
    project: Project


def promote(
    project: Project, store: Store, metric: str, definition: dict[str, Any], *, actor: str, reason: str
) -> Change:
    """Add a KPI on ``metric`` (``definition``: the KPI's keys besides 'metric'); return where it went."""
    if metric not in project.metrics:
        raise QueryError(f"unknown metric '{metric}'", suggestion=did_you_mean(metric, project.metrics))
    body = {
        "name": definition.get("name") or metric,
        "metric": metric,
        **{k: v for k, v in definition.items() if k != "name"},
    }
    if body["name"] in project.kpis:
        raise UserError(f"there is already a KPI named '{body['name']}'; give another with --name")
    Kpi.model_validate(body)  # the shape, with pydantic's messages, before touching any file
    path = project.root / PROMOTED_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else None
    if before is not None:
        existing = yaml.safe_load(before) or {}
        if not isinstance(existing, dict) or set(existing) - {"kpis"}:
            raise UserError(f"{PROMOTED_FILE} holds more than 'kpis'; keep promoted KPIs in a file of their own")
    head = before if before is not None else "# KPIs promoted from metrics with 'onpace promote'.\nkpis:\n"
    if before is not None and not re.search(r"^kpis:\s*$", before, re.M):
        head = before.rstrip("\n") + "\nkpis:\n"
    block = yaml.safe_dump([body], sort_keys=False, allow_unicode=True, default_flow_style=False)
    text = head.rstrip("\n") + "\n" + _indent(block)
    return _apply(project, store, path, before, text, body["name"], "promote", metric, actor, reason, body)


def demote(project: Project, store: Store, kpi_name: str, *, actor: str, reason: str) -> Change:
    """Remove the KPI ``kpi_name`` from its file; its metric stays a metric."""
    if not reason.strip():
        raise UserError("a demotion needs a reason (--reason): it is kept with the KPI's history")
    kpi = project.kpis.get(kpi_name)
    if kpi is None:
        raise QueryError(f"unknown KPI '{kpi_name}'", suggestion=did_you_mean(kpi_name, project.kpis))
    assert kpi._file is not None
    path = project.root / kpi._file
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    first, last = _block(project, kpi, lines)
    text = "".join(lines[:first] + lines[last:])
    if yaml.safe_load(text) is not None and not (yaml.safe_load(text) or {}).get("kpis", True):
        text = re.sub(r"^kpis:\s*\n", "kpis: []\n", text, flags=re.M)  # the list became empty
    body = kpi.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return _apply(project, store, path, before, text, kpi_name, "demote", kpi.metric or "", actor, reason, body)


def _indent(block: str) -> str:
    return "".join("  " + line if line.strip() else line for line in block.splitlines(keepends=True))


def _block(project: Project, kpi: Kpi, lines: list[str]) -> tuple[int, int]:
    """The 0-based line range [first, last) of the KPI's list item in its file."""
    positions = project.positions[kpi._file or ""]
    index = kpi._path[1]
    assert isinstance(index, int)
    start = positions.get(("kpis", index))
    header = positions.get(("kpis",))
    if start is None or start == header:
        raise UserError(f"KPI '{kpi.name}' is written inline in {kpi._file}; remove it by hand")
    first = start - 1
    while first > 0 and not lines[first].lstrip().startswith("-"):
        first -= 1  # the item's line holds its dash ('- name: ...' or '-' alone)
    following = positions.get(("kpis", index + 1))
    if following is not None:
        last = following - 1
        while last > first and not lines[last].lstrip().startswith("-"):
            last -= 1
        return first, last
    last = first + 1
    while last < len(lines) and not _TOP_LEVEL.match(lines[last]):
        last += 1
    return first, last


def _apply(
    project: Project,
    store: Store,
    path: Path,
    before: str | None,
    text: str,
    name: str,
    action: str,
    metric: str,
    actor: str,
    reason: str,
    body: dict[str, Any],
) -> Change:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        reloaded = load_project(project.root, env=project.env)
        with store.session() as s:
            lifecycle.record_lifecycle(s, metric, action, actor, reason, {"kpi": name, "definition": body})  # type: ignore[arg-type]
            audit.audit(
                s, actor, f"kpi.{action}", "kpi", name, {"reason": reason, "file": str(path.relative_to(project.root))}
            )
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(before, encoding="utf-8")
        raise
    return Change(name, path, reloaded)
