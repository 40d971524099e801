"""Write a dbt import into an onpace project: plan what changes, then write it under the project's lock.

Imported definitions live in one file of their own, ``<models>/dbt.yml``, rewritten whole on
each import: a definition the dbt project dropped is removed, one it changed is updated, and
every other file (KPIs, objectives, hand-written metrics) stays as it is. The dbt profile's
connection is the source ``dbt`` in ``onpace.yml`` (the project file is created when the folder
has none). The write goes through :func:`onpace.catalog.edit.edit_project`: the project is
loaded with the new file before anything is replaced, so an import that would break a KPI (a
metric it uses is gone) is refused with every problem and nothing is written.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from onpace.catalog.edit import edit_project
from onpace.config import PROJECT_FILE
from onpace.errors import UserError
from onpace.fileio import project_lock, read_text, replace_text
from onpace.importers.dbt_project import read_dbt_project
from onpace.importers.translate import Item, Translation, translate

SOURCE = "dbt"
FILE_NAME = "dbt.yml"
_HEADER = (
    "# Written by `onpace import dbt` from the dbt project {name}: re-importing rewrites this file.\n"
    "# Keep KPIs, objectives and your own metrics in other files (docs/dbt.md).\n"
)


@dataclass
class Change:
    action: str  # created, updated, removed
    kind: str  # dataset, metric, source
    name: str


@dataclass
class Plan:
    """What an import would write, and why."""

    project: Path
    models_file: Path
    texts: dict[Path, str]
    config_text: str | None  # the new onpace.yml, when it changes
    translation: Translation
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def not_translated(self) -> list[Item]:
        return self.translation.not_translated


def _project_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "dbt"
    return (name if re.match(r"[a-z_]", name) else f"p_{name}")[:63]


def _dump(data: Any) -> str:
    out = io.StringIO()
    yaml.safe_dump(data, out, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return out.getvalue()


def _models_file(project: Path, config: dict[str, Any] | None) -> Path:
    entries = (config or {}).get("models") or ["models"]
    first = Path(str(entries[0]))
    folder = project / first
    if folder.suffix in (".yml", ".yaml"):
        folder = folder.parent
    return folder / FILE_NAME


def _config_text(project: Path, name: str, url: str | None) -> tuple[str | None, list[Change], dict[str, Any] | None]:
    """The new onpace.yml (None when unchanged), the change to its source, its current content."""
    path = project / PROJECT_FILE
    text = read_text(path)
    if text is None:
        if url is None:
            raise _no_url()
        config: dict[str, Any] = {
            "name": _project_name(name),
            "sources": {SOURCE: {"url": url}},
            "default_source": SOURCE,
            "models": ["models"],
        }
        return _dump(config), [Change("created", "source", SOURCE)], None
    current = yaml.safe_load(text) or {}
    if not isinstance(current, dict):
        raise UserError(f"{path}: expected a mapping (an onpace project file)")
    sources = current.get("sources") or {}
    existing = sources.get(SOURCE) if isinstance(sources, dict) else None
    if url is None:
        if existing is None:
            raise _no_url()
        return None, [], current
    if isinstance(existing, dict) and existing.get("url") == url:
        return None, [], current
    action = "updated" if existing is not None else "created"
    return set_source_url(text, PROJECT_FILE, SOURCE, url), [Change(action, "source", SOURCE)], current


def set_source_url(text: str, file: str, source: str, url: str) -> str:
    """``text`` (onpace.yml) with ``sources.<source>.url`` set, the rest as written (a round trip, ADR 0011)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    handler = YAML()
    handler.width = 1 << 20
    try:
        data = handler.load(text)
    except YAMLError as exc:
        raise UserError(f"{file} is not valid YAML: {exc}") from None
    sources = data.get("sources")
    if not isinstance(sources, CommentedMap):
        sources = CommentedMap()
        data["sources"] = sources
    entry = sources.get(source)
    if isinstance(entry, CommentedMap):
        entry["url"] = url
    else:
        sources[source] = CommentedMap(url=url)
    out = io.StringIO()
    handler.dump(data, out)
    return out.getvalue()


def _no_url() -> Exception:
    return UserError(
        f"the dbt profile's connection could not be translated, and the onpace project has no source '{SOURCE}': "
        f"add one to {PROJECT_FILE} (sources: {{{SOURCE}: {{url: ...}}}}) and import again"
    )


def plan_import(dbt_dir: Path, project: Path, *, target: str | None = None) -> Plan:
    """What importing the dbt project in ``dbt_dir`` into the onpace ``project`` would write."""
    project = Path(project).resolve()
    dbt = read_dbt_project(Path(dbt_dir), target=target)
    url = dbt.source_url
    translation = translate(dbt.manifest, SOURCE)
    config_text, changes, config = _config_text(project, dbt.name, url)
    models_file = _models_file(project, config)
    new = {"datasets": translation.datasets, "metrics": translation.metrics}
    text = _HEADER.format(name=dbt.name) + _dump(new)
    old = yaml.safe_load(read_text(models_file) or "") or {}
    for kind, key in (("dataset", "datasets"), ("metric", "metrics")):
        before = {d["name"]: d for d in old.get(key) or [] if isinstance(d, dict) and "name" in d}
        after = {d["name"]: d for d in new[key]}
        changes += [Change("created", kind, n) for n in after if n not in before]
        changes += [Change("updated", kind, n) for n in after if n in before and before[n] != after[n]]
        changes += [Change("removed", kind, n) for n in before if n not in after]
    return Plan(
        project=project,
        models_file=models_file,
        texts={models_file: text},
        config_text=config_text,
        translation=translation,
        changes=changes,
        notes=dbt.notes,
    )


def apply_import(plan: Plan) -> None:
    """Write ``plan`` under the project's lock; nothing is written when the project would not load."""
    plan.project.mkdir(parents=True, exist_ok=True)
    config_path = plan.project / PROJECT_FILE
    with project_lock(plan.project):
        before = read_text(config_path)
        if plan.config_text is not None:
            replace_text(config_path, plan.config_text)
        try:
            edit_project(plan.project, lambda _current: plan.texts)
        except BaseException:
            replace_text(config_path, before)
            raise
