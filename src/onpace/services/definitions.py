"""Apply: store the project's YAML definitions, showing first what changes.

Every definition of the project (the project itself from ``onpace.yml``, then
each dataset, metric, objective and KPI) is kept in the store's
``applied_definitions`` with origin ``yaml``. Its body is the model as the
user wrote it (``model_dump(mode="json", by_alias=True, exclude_unset=True)``,
so that :mod:`onpace.services.export` can write it back), with the file it
came from and the sha256 of that file's text.

:func:`plan_apply` compares the YAML with the store: each definition is
``added``, ``changed`` (with the top-level keys that differ), ``removed`` (a
YAML definition no longer in the files) or ``unchanged``. :func:`apply` writes
the plan in one transaction: the definitions, one audit entry per change, and
a target-history record for every KPI whose ``target``/``targets`` changed.

Order: definitions of one file and kind keep the order of the YAML in the
store's id order (a definition that moves is stored again after the ones
before it), so an export writes them back in the same order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.catalog.project import PROJECT_FILE, Project
from onpace.store import audit
from onpace.store import definitions as defs
from onpace.store import targets as target_history
from onpace.store.db import Store
from onpace.store.models import AppliedDefinition, DefinitionKind, DefinitionOrigin
from onpace.store.plain import plain_object

Change = Literal["added", "changed", "removed", "unchanged"]
KINDS: tuple[DefinitionKind, ...] = ("project", "dataset", "metric", "objective", "kpi")
CHANGES: tuple[Change, ...] = ("added", "changed", "removed", "unchanged")
TARGET_KEYS = ("target", "targets")
ORIGIN: DefinitionOrigin = "yaml"


@dataclass(frozen=True)
class Definition:
    """A definition as the YAML has it: what :func:`apply` stores."""

    kind: DefinitionKind
    name: str
    body: dict[str, Any]
    file: str
    yaml_hash: str


@dataclass(frozen=True)
class DefinitionChange:
    kind: DefinitionKind
    name: str
    change: Change
    file: str | None
    keys: tuple[str, ...] = ()  # top-level keys that differ ('file' when it moved); for 'changed'
    old: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    new: Definition | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "change": self.change, "file": self.file, "keys": list(self.keys)}


@dataclass(frozen=True)
class ApplyPlan:
    """What an apply changes (or changed), definition by definition, by kind."""

    changes: tuple[DefinitionChange, ...]
    written: bool = False

    @property
    def pending(self) -> list[DefinitionChange]:
        """The changes that are not 'unchanged'."""
        return [c for c in self.changes if c.change != "unchanged"]

    def counts(self) -> dict[str, dict[str, int]]:
        """kind -> change -> how many, for every kind and change."""
        out: dict[str, dict[str, int]] = {kind: dict.fromkeys(CHANGES, 0) for kind in KINDS}
        for c in self.changes:
            out[c.kind][c.change] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }


# -- what the YAML says ---------------------------------------------------------


def body_of(model: BaseModel) -> dict[str, Any]:
    """A definition's body: the model as plain JSON, with only the keys the user wrote."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def desired_definitions(project: Project) -> list[Definition]:
    """Every definition of ``project``: the project, then datasets, metrics, objectives and KPIs in file order."""
    hashes: dict[str, str] = {}

    def file_hash(file: str) -> str:
        if file not in hashes:
            text = (project.root / file).read_text(encoding="utf-8")
            hashes[file] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return hashes[file]

    out = [Definition("project", project.config.name, body_of(project.config), PROJECT_FILE, file_hash(PROJECT_FILE))]
    groups: list[tuple[DefinitionKind, Iterable[Any]]] = [
        ("dataset", project.datasets.values()),
        ("metric", project.metrics.values()),
        ("objective", project.objectives.values()),
        ("kpi", project.kpis.values()),
    ]
    for kind, items in groups:
        for item in items:
            file = item._file or PROJECT_FILE
            out.append(Definition(kind, item.name, body_of(item), file, file_hash(file)))
    return out


# -- comparing ----------------------------------------------------------------------


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """Top-level keys whose values differ (present in one body only, or different), new body's order first."""
    keys = [*new, *(k for k in old if k not in new)]
    return tuple(k for k in keys if old.get(k, _MISSING) != new.get(k, _MISSING))


_MISSING = object()


def _rows(s: Session) -> list[AppliedDefinition]:
    return list(s.scalars(select(AppliedDefinition).order_by(AppliedDefinition.id)))


def _plan(s: Session, desired: list[Definition]) -> ApplyPlan:
    current = {(row.kind, row.name): row for row in _rows(s)}
    changes: list[DefinitionChange] = []
    wanted = set()
    for d in desired:
        wanted.add((d.kind, d.name))
        body = plain_object(d.body, f"the body of {d.kind} {d.name!r}")
        row = current.get((d.kind, d.name))
        if row is None:
            changes.append(DefinitionChange(d.kind, d.name, "added", d.file, new=d))
            continue
        keys = changed_keys(row.body, body)
        if row.file != d.file:
            keys += ("file",)
        if row.origin != ORIGIN:
            keys += ("origin",)
        change: Change = "changed" if keys else "unchanged"
        changes.append(DefinitionChange(d.kind, d.name, change, d.file, keys, old=dict(row.body), new=d))
    for (kind, name), row in current.items():
        if row.origin == ORIGIN and (kind, name) not in wanted:
            changes.append(DefinitionChange(cast(DefinitionKind, kind), name, "removed", row.file, old=dict(row.body)))
    order = {kind: i for i, kind in enumerate(KINDS)}
    changes.sort(key=lambda c: order[c.kind])  # stable: file order within a kind, removed ones last
    return ApplyPlan(tuple(changes))


def plan_apply(project: Project, store: Store) -> ApplyPlan:
    """What :func:`apply` would change; reads the store, writes nothing."""
    desired = desired_definitions(project)
    with store.session(readonly=True) as s:
        return _plan(s, desired)


# -- writing --------------------------------------------------------------------------


def apply(project: Project, store: Store, actor: str, *, dry_run: bool = False) -> ApplyPlan:
    """Store the project's definitions (one transaction) and return what changed; ``dry_run`` only compares."""
    if dry_run:
        return plan_apply(project, store)
    desired = desired_definitions(project)
    with store.session() as s:
        plan = _plan(s, desired)
        for c in plan.changes:
            _write(s, c, actor)
        _keep_order(s, desired)
    return ApplyPlan(plan.changes, written=True)


def _write(s: Session, c: DefinitionChange, actor: str) -> None:
    if c.change == "removed":
        defs.delete_definition(s, c.kind, c.name)
        audit.audit(s, actor, "apply.removed", c.kind, c.name, {"file": c.file})
        return
    assert c.new is not None
    d = c.new
    done = defs.upsert_definition(s, d.kind, d.name, d.body, d.file, d.yaml_hash, ORIGIN, actor)
    if done != c.change:  # pragma: no cover - the plan was made in this transaction
        raise RuntimeError(f"{d.kind} {d.name!r} was {done} while the plan said {c.change}")
    if c.change == "unchanged":
        return
    details: dict[str, Any] = {"file": d.file}
    if c.change == "changed":
        details["keys"] = list(c.keys)
    audit.audit(s, actor, f"apply.{c.change}", d.kind, d.name, details)
    if d.kind == "kpi":
        old = target_keys(c.old)
        new = target_keys(d.body)
        if new is not None and old != new:
            target_history.record_target_change(s, d.name, actor, "yaml", old, new)


def target_keys(body: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The target keys of a KPI body (None when it has none)."""
    if body is None:
        return None
    found = {key: body[key] for key in TARGET_KEYS if body.get(key) is not None}
    return found or None


def _keep_order(s: Session, desired: list[Definition]) -> None:
    """Make the id order of each file's definitions of one kind the order of the YAML.

    Rows from the first one out of place on are stored again (new ids come
    after every existing one); nothing refers to these ids.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for d in desired:
        groups.setdefault((d.file, d.kind), []).append(d.name)
    for (file, kind), names in groups.items():
        rows = list(
            s.scalars(
                select(AppliedDefinition)
                .where(
                    AppliedDefinition.kind == kind,
                    AppliedDefinition.file == file,
                    AppliedDefinition.origin == ORIGIN,
                )
                .order_by(AppliedDefinition.id)
            )
        )
        stored = [row.name for row in rows]
        if stored == names:
            continue
        first = next((i for i, (a, b) in enumerate(zip(stored, names, strict=False)) if a != b), len(stored))
        by_name = {row.name: row for row in rows[first:]}
        copies = [_copy(by_name[name]) for name in names[first:]]
        for row in rows[first:]:
            s.delete(row)
        s.flush()
        s.add_all(copies)
        s.flush()


def _copy(row: AppliedDefinition) -> AppliedDefinition:
    return AppliedDefinition(
        kind=row.kind,
        name=row.name,
        body=row.body,
        file=row.file,
        yaml_hash=row.yaml_hash,
        origin=row.origin,
        applied_at=row.applied_at,
        applied_by=row.applied_by,
    )
