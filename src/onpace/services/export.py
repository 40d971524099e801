"""Export: write the store's applied definitions back as a project's YAML files.

``DIR/onpace.yml`` gets the project's body; every other definition goes to
``DIR/<the file it was applied from>`` (``models/metrics.yml``), under
``datasets:``, ``metrics:``, ``objectives:`` and ``kpis:``, in the order they
were applied (the store's id order, which :func:`onpace.services.definitions.apply`
keeps equal to the YAML's order). Definitions made in the app (no file) go to
``models/<kind>s.yml``. Loading the export gives the same models as the
project that was applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from onpace.catalog import goals as g
from onpace.catalog import models as m
from onpace.catalog.edit import write_files
from onpace.catalog.project import PROJECT_FILE
from onpace.errors import UserError
from onpace.fileio import project_lock
from onpace.store.db import Store
from onpace.store.models import AppliedDefinition

SECTIONS = {"dataset": "datasets", "metric": "metrics", "objective": "objectives", "kpi": "kpis"}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "project": TypeAdapter(m.ProjectConfig),
    "dataset": TypeAdapter(m.Dataset),
    "metric": TypeAdapter(m.Metric),
    "objective": TypeAdapter(g.Objective),
    "kpi": TypeAdapter(g.Kpi),
}


class ExportError(UserError):
    """The definitions cannot be exported where asked."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[str, ...]  # written, relative to ``directory``
    definitions: int  # besides the project


def export_definitions(store: Store, directory: Path, *, force: bool = False) -> ExportResult:
    """Write the applied definitions as YAML files under ``directory`` (which must be empty unless ``force``)."""
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is a file; expected a directory to export to")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ExportError(f"{directory} is not empty; expected a new or empty directory (--force writes into it)")
    with store.session(readonly=True) as s:
        rows = list(s.scalars(select(AppliedDefinition).order_by(AppliedDefinition.id)))
    projects = [row for row in rows if row.kind == "project"]
    if not projects:
        raise ExportError("nothing has been applied to the store yet; run 'onpace apply' first")
    project = next((row for row in projects if row.origin == "yaml"), projects[0])

    files: dict[str, dict[str, list[Any]]] = {}
    count = 0
    for row in rows:
        section = SECTIONS.get(row.kind)
        if section is None:
            continue
        file = _safe_file(row.file or f"models/{section}.yml", row)
        files.setdefault(file, {name: [] for name in SECTIONS.values()})[section].append(yaml_body(row.kind, row.body))
        count += 1

    texts = {PROJECT_FILE: dump_yaml(yaml_body("project", project.body))}
    for file, sections in files.items():
        texts[file] = dump_yaml({name: items for name, items in sections.items() if items})
    directory.mkdir(parents=True, exist_ok=True)
    with project_lock(directory):  # a server on that project reads every file whole, old or new
        write_files({directory / file: text for file, text in texts.items()})
    return ExportResult(directory, tuple(texts), count)


def _safe_file(file: str, row: AppliedDefinition) -> str:
    """``file`` as a relative path inside the export; one that would leave it is refused."""
    path = PurePosixPath(file.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) == PROJECT_FILE:
        raise ExportError(
            f"{row.kind} {row.name!r} was applied from {file!r}, which is not a models file inside the project"
        )
    return str(path)


def yaml_body(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A stored body ready for YAML: the same keys and values, with dates as dates (not ISO strings)."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        return body
    try:
        model = adapter.validate_python(body)
    except ValidationError:
        return body  # not a valid definition any more: write it as stored, loading the export says what is wrong
    return _with_dates(body, model.model_dump(mode="python", by_alias=True, exclude_unset=True))


def _with_dates(plain: Any, python: Any) -> Any:
    """``plain`` (JSON) with the dates of ``python`` (the same structure, as pydantic dumps it) put back."""
    if isinstance(python, dt.date) and not isinstance(python, dt.datetime) and isinstance(plain, str):
        return python
    if isinstance(plain, dict) and isinstance(python, dict):
        return {key: _with_dates(value, python.get(key)) for key, value in plain.items()}
    if isinstance(plain, list) and isinstance(python, (list, tuple)) and len(plain) == len(python):
        return [_with_dates(a, b) for a, b in zip(plain, python, strict=True)]
    return plain


class _Dumper(yaml.SafeDumper):
    """safe_dump's dumper, with lists indented under their key and multi-line text as blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """YAML text of ``data`` as ``yaml.safe_dump`` writes it (keys in order, Unicode kept)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
