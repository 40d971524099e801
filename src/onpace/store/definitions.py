"""Definitions as applied: what ``onpace apply`` wrote from YAML, or what was made in the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.store.coltypes import utcnow
from onpace.store.models import AppliedDefinition, DefinitionKind, DefinitionOrigin
from onpace.store.plain import plain_object

Change = Literal["added", "changed", "unchanged"]


def upsert_definition(
    s: Session,
    kind: DefinitionKind,
    name: str,
    body: Mapping[str, Any],
    file: str | None,
    yaml_hash: str,
    origin: DefinitionOrigin,
    actor: str,
) -> Change:
    """Store a definition; say whether it is new, changed or the same as before.

    A definition is "changed" when its body, file or origin differ;
    ``applied_at``/``applied_by`` then record this apply. A new ``yaml_hash``
    alone (the file was edited elsewhere) is recorded but is not a change.
    """
    clean = plain_object(body, f"the body of {kind} {name!r}")
    row = get_definition(s, kind, name)
    if row is None:
        s.add(
            AppliedDefinition(
                kind=kind,
                name=name,
                body=clean,
                file=file,
                yaml_hash=yaml_hash,
                origin=origin,
                applied_at=utcnow(),
                applied_by=actor,
            )
        )
        s.flush()
        return "added"
    row.yaml_hash = yaml_hash
    if row.body == clean and row.file == file and row.origin == origin:
        s.flush()
        return "unchanged"
    row.body, row.file, row.origin = clean, file, origin
    row.applied_at, row.applied_by = utcnow(), actor
    s.flush()
    return "changed"


def get_definition(s: Session, kind: DefinitionKind, name: str) -> AppliedDefinition | None:
    return s.scalars(
        select(AppliedDefinition).where(AppliedDefinition.kind == kind, AppliedDefinition.name == name)
    ).one_or_none()


def list_definitions(s: Session, kind: DefinitionKind | None = None) -> list[AppliedDefinition]:
    """Every applied definition (of one ``kind``), by kind and name."""
    query = select(AppliedDefinition).order_by(AppliedDefinition.kind, AppliedDefinition.name)
    if kind is not None:
        query = query.where(AppliedDefinition.kind == kind)
    return list(s.scalars(query))


def delete_definition(s: Session, kind: DefinitionKind, name: str) -> bool:
    """Remove a definition; False when there was none."""
    row = get_definition(s, kind, name)
    if row is None:
        return False
    s.delete(row)
    s.flush()
    return True
