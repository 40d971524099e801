"""Load a project: onpace.yml plus every file under its model folders.

:func:`load_project` reads and checks everything, collecting every issue
before it raises one :class:`~onpace.errors.DefinitionError` that lists them.
What it returns, :class:`Project`, is defined in :mod:`onpace.catalog.loaded`
(and importable from here too).
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from onpace.catalog import files
from onpace.catalog import models as m
from onpace.catalog.loaded import DEFAULT_SOURCE as DEFAULT_SOURCE
from onpace.catalog.loaded import DEFAULT_SOURCE_URL as DEFAULT_SOURCE_URL
from onpace.catalog.loaded import MetricDef as MetricDef
from onpace.catalog.loaded import Project as Project
from onpace.catalog.loaded import interpolate as interpolate
from onpace.catalog.validate import check_project
from onpace.catalog.yamlpos import PathKey, format_path, line_of, load_yaml
from onpace.config import PROJECT_FILE as PROJECT_FILE
from onpace.errors import DefinitionError, Issue, did_you_mean


def _attach(obj: Any, file: str, path: PathKey) -> None:
    """Record file and path on every definition model, recursively."""
    if isinstance(obj, m.Model):
        obj._file = file
        obj._path = path
        for name in type(obj).model_fields:
            _attach(getattr(obj, name), file, (*path, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            _attach(item, file, (*path, i))
    elif isinstance(obj, dict):
        for key, item in obj.items():
            _attach(item, file, (*path, key))


def _pydantic_issues(
    exc: ValidationError, file: str, positions: dict[PathKey, int], root: type[BaseModel] | None = None
) -> list[Issue]:
    issues = []
    for err in exc.errors():
        raw: PathKey = tuple(err["loc"])
        loc = _strip_tag(raw)  # pydantic puts the discriminated-union tag in the location: drop it
        message = err["msg"]
        expected = None
        suggestion = None
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            parent = loc[:-1]
            allowed = _allowed_keys(root, raw[:-1]) if root is not None else []
            expected = (
                "one of " + ", ".join(allowed) if allowed else "one of the documented keys (see docs/definitions.md)"
            )
            suggestion = did_you_mean(str(loc[-1]), allowed) if allowed else None
            issues.append(
                Issue(
                    message,
                    file=file,
                    line=line_of(positions, loc),
                    path=format_path(parent) or None,
                    expected=expected,
                    suggestion=suggestion,
                )
            )
            continue
        if kind == "missing":
            message = f"missing required key '{loc[-1]}'"
            issues.append(
                Issue(message, file=file, line=line_of(positions, loc[:-1]), path=format_path(loc[:-1]) or None)
            )
            continue
        if kind == "string_pattern_mismatch":
            message = f"invalid name {err.get('input')!r}"
            expected = "lower-case letters, digits and underscores, starting with a letter or underscore"
        elif kind == "union_tag_invalid":
            tag = str(err.get("ctx", {}).get("tag", ""))
            message = f"unknown metric type {tag!r}"
            expected = "one of " + ", ".join(sorted(_TAGS, key=_TAG_ORDER.index))
            suggestion = did_you_mean(tag, _TAGS)
            loc = (*loc, "type")
        elif kind.startswith("value_error"):
            message = message.removeprefix("Value error, ")
            if "; expected " in message:
                message, _, expected = message.partition("; expected ")
        elif kind in {"enum", "literal_error"}:
            message = f"invalid value {err.get('input')!r}"
            expected = err["msg"].removeprefix("Input should be ").replace("'", "")
            expected = "one of " + expected
            suggestion = did_you_mean(str(err.get("input")), _choices(err))
        else:
            value = err.get("input")
            shown = not isinstance(value, (dict, list))
            if shown and message.startswith("Input should be "):
                message, expected = f"invalid value {value!r}", message.removeprefix("Input should be ")
            elif shown:
                message = f"{message}, got {value!r}"
        issues.append(
            Issue(
                message,
                file=file,
                line=line_of(positions, loc),
                path=format_path(loc) or None,
                expected=expected,
                suggestion=suggestion,
            )
        )
    # a misspelt required key is reported once, as the unknown key with its suggestion
    typos = {(i.path, i.suggestion) for i in issues if i.message.startswith("unknown key") and i.suggestion}
    return [
        i
        for i in issues
        if not (i.message.startswith("missing required key") and (i.path, i.message.split("'")[1]) in typos)
    ]


_TAG_ORDER = ["simple", "ratio", "derived", "cumulative", "conversion", "semi_additive", "manual"]
_TAGS = set(_TAG_ORDER)


def _strip_tag(loc: PathKey) -> PathKey:
    """Drop the union tag pydantic puts after ``metrics[i]`` (and only there: a source may be named 'simple')."""
    if len(loc) >= 3 and loc[0] == "metrics" and isinstance(loc[1], int) and loc[2] in _TAGS:
        return (*loc[:2], *loc[3:])
    return loc


def _choices(err: Any) -> list[str]:
    """The allowed values of an enum or literal error, from its context ("'a', 'b' or 'c'")."""
    text = str(err.get("ctx", {}).get("expected", ""))
    return re.findall(r"'([^']*)'", text)


def _allowed_keys(root: type[BaseModel], loc: PathKey) -> list[str]:
    """The keys accepted by the model at ``loc``, a pydantic location (union tags included)."""
    target: Any = root
    parts = list(loc)
    while True:
        origin = typing.get_origin(target)
        if origin is typing.Annotated:
            target = typing.get_args(target)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(target) if a is not type(None)]
            if len(members) == 1:
                target = members[0]
                continue
            # a discriminated union: the next part of the location is the tag
            tag = parts.pop(0) if parts else None
            chosen = [
                a
                for a in members
                if isinstance(a, type)
                and issubclass(a, BaseModel)
                and "type" in a.model_fields
                and tag in typing.get_args(a.model_fields["type"].annotation)
            ]
            if len(chosen) != 1:
                return []
            target = chosen[0]
            continue
        if isinstance(target, type) and issubclass(target, BaseModel):
            if not parts:
                return list(target.model_fields)
            info = target.model_fields.get(str(parts.pop(0)))
            if info is None:
                return []
            target = info.annotation
            continue
        if origin in (list, dict) and parts:
            parts.pop(0)
            target = typing.get_args(target)[-1]
            continue
        return []


def _validate(model: type[BaseModel], data: Any, file: str, positions: dict[PathKey, int]) -> tuple[Any, list[Issue]]:
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_issues(exc, file, positions, model)
    return obj, []


def load_project(
    root: str | Path = ".",
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    overlay: Mapping[Path, str] | None = None,
) -> Project:
    """Load and check the project in ``root``; raise DefinitionError listing every problem.

    ``overlay``: model files (absolute paths) read as these texts instead of what is on disk, new
    ones included: how a change is checked before its files are written (:mod:`onpace.catalog.edit`).
    """
    project, issues = read_project(root, env, check=check, overlay=overlay)
    if issues:
        raise DefinitionError(issues)
    return project


def read_project(
    root: str | Path = ".",
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    overlay: Mapping[Path, str] | None = None,
) -> tuple[Project, list[Issue]]:
    """The project in ``root`` as far as it loads, and every problem found on the way.

    A file that does not parse, or whose shape is wrong, is left out and its problems listed; the
    rest is loaded (what ``onpace validate`` checks against the data). Raises DefinitionError only
    when ``onpace.yml`` itself cannot be read, since without it no model file can be found.
    """
    root = Path(root).resolve()
    overlay = {Path(path).resolve(): text for path, text in (overlay or {}).items()}
    env = dict(os.environ) if env is None else dict(env)
    cfg_path = root / PROJECT_FILE
    if not cfg_path.exists():
        raise DefinitionError(
            [Issue(f"no {PROJECT_FILE} in {root}", expected="a project directory (create one with 'onpace init DIR')")]
        )
    issues: list[Issue] = []
    data, positions, found = load_yaml(cfg_path, PROJECT_FILE)
    issues += found
    config: m.ProjectConfig | None = None
    if not found:
        config, found = _validate(m.ProjectConfig, data if data is not None else {}, PROJECT_FILE, positions)
        issues += found
    if config is None:
        raise DefinitionError(issues)
    _attach(config, PROJECT_FILE, ())
    project = Project(root=root, config=config, positions={PROJECT_FILE: positions}, env=env)

    for file in _model_files(root, config, issues, extra=overlay):
        display = file.relative_to(root).as_posix()
        data, positions, found = load_yaml(file, display, overlay.get(file))
        issues += found
        if found:
            continue
        project.positions[display] = positions
        if data is None:
            continue
        if not isinstance(data, dict):
            issues.append(
                Issue(
                    "expected a mapping with 'datasets', 'metrics', 'objectives', 'kpis', 'alerts', 'reports' and/or 'people'",
                    file=display,
                    line=1,
                )
            )
            continue
        content, found = _validate(files.ModelFile, files.default_type(data), display, positions)
        issues += found
        if content is None:
            continue
        _attach(content, display, ())
        _collect(project, "dataset", content.datasets, project.datasets, issues)
        _collect(project, "metric", content.metrics, project.metrics, issues)
        _collect(project, "objective", content.objectives, project.objectives, issues)
        _collect(project, "KPI", content.kpis, project.kpis, issues)
        _collect(project, "alert", content.alerts, project.alerts, issues)
        _collect(project, "report", content.reports, project.reports, issues)
        _collect(project, "person", content.people, project.config.people, issues)

    if check:
        issues += check_project(project)
    return project, issues


def _collect(project: Project, kind: str, items: list[Any], into: dict[str, Any], issues: list[Issue]) -> None:
    """Add named definitions to ``into``; a name seen before is an issue naming where it was first defined."""
    for item in items:
        if item.name in into:
            first = into[item.name]
            where = f"{first._file}:{line_of(project.positions[first._file or ''], first._path)}"
            issues.append(
                project.issue(item, f"duplicate {kind} name '{item.name}' (first defined in {where})", "name")
            )
        else:
            into[item.name] = item


def _model_files(root: Path, config: m.ProjectConfig, issues: list[Issue], extra: Iterable[Path] = ()) -> list[Path]:
    """The model files, in order; ``extra`` (absolute paths): files about to be written, counted as if they were."""
    files: list[Path] = []
    extra = list(extra)
    for i, entry in enumerate(config.models):
        path = (root / entry).resolve()
        if root not in path.parents and path != root:
            issues.append(
                Issue(f"models path {entry!r} is outside the project", file=PROJECT_FILE, path=f"models[{i}]")
            )
            continue
        new = {p for p in extra if path in p.parents and p.suffix in {".yml", ".yaml"}}
        if path.is_dir() or (new and not path.exists()):
            found = (
                {p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file()}
                if path.is_dir()
                else set()
            )
            files += sorted(found | new)
        elif path.is_file() or path in extra:
            files.append(path)
        elif entry != "models":
            issues.append(Issue(f"models path {entry!r} does not exist", file=PROJECT_FILE, path=f"models[{i}]"))
    return files
