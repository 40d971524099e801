"""Read a dbt project: its semantic manifest (by ``dbt-semantic-interfaces``) and its profile's connection.

The manifest is ``target/semantic_manifest.json``, which ``dbt parse`` (or ``dbt build``) writes
with every ``ref()`` resolved to its table; onpace does not render dbt's Jinja itself. The
connection is the target of the project's profile (``profiles.yml`` in ``DBT_PROFILES_DIR``, the
project folder or ``~/.dbt``) as an onpace source URL: DuckDB (a path relative to the dbt
project) and PostgreSQL; ``{{ env_var('X') }}`` becomes ``${X}``, and a password written in
the profile is never copied (the URL reads it from an environment variable instead).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from onpace.errors import UserError

MANIFEST = Path("target") / "semantic_manifest.json"
_ENV_VAR = re.compile(
    r"""\{\{\s*env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)\s*\}\}"""
)


@dataclass
class DbtProject:
    """What onpace needs of a dbt project."""

    root: Path
    name: str
    manifest: Any  # PydanticSemanticManifest
    source_url: str | None
    notes: list[str] = field(default_factory=list)  # what the connection's translation could not keep


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path} is not valid YAML: {exc}") from None


def load_manifest(path: Path) -> Any:
    """The ``PydanticSemanticManifest`` in ``path`` (semantic_manifest.json); UserError naming the file."""
    try:
        from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("importing dbt definitions needs dbt-semantic-interfaces: pip install 'onpace[dbt]'") from None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return PydanticSemanticManifest.parse_raw(text)
    except Exception as exc:  # noqa: BLE001 - pydantic v1 (dbt's shim) and JSON errors: named with the file
        raise UserError(f"{path} is not a dbt semantic manifest: {str(exc).splitlines()[0]}") from None


def read_dbt_project(root: Path, *, target: str | None = None, profiles_dir: Path | None = None) -> DbtProject:
    """The dbt project in ``root``; UserError naming the file when something is missing or wrong."""
    root = Path(root).resolve()
    project_file = root / "dbt_project.yml"
    if not project_file.is_file():
        raise UserError(f"no dbt_project.yml in {root} (expected the folder of a dbt project)")
    config = _yaml(project_file)
    if not isinstance(config, dict) or not config.get("name"):
        raise UserError(f"{project_file}: expected a mapping with 'name' (a dbt project file)")
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise UserError(
            f"no {MANIFEST.as_posix()} in {root}: run 'dbt parse' in the dbt project first "
            "(it writes the semantic manifest, with every ref() resolved to its table)"
        )
    manifest = load_manifest(manifest_path)
    project = DbtProject(root=root, name=str(config["name"]), manifest=manifest, source_url=None)
    profile = config.get("profile")
    if profile:
        project.source_url = _source_url(root, str(profile), target, profiles_dir, project.notes)
    else:
        project.notes.append(f"{project_file.name} names no profile: the source's URL is left for you to write")
    return project


def _profiles_file(root: Path, profiles_dir: Path | None) -> Path | None:
    folders = [profiles_dir] if profiles_dir else []
    if os.environ.get("DBT_PROFILES_DIR"):
        folders.append(Path(os.environ["DBT_PROFILES_DIR"]))
    folders += [root, Path.home() / ".dbt"]
    return next((f / "profiles.yml" for f in folders if (f / "profiles.yml").is_file()), None)


def _env(value: Any) -> str:
    """A profile's value, with ``{{ env_var('X', 'default') }}`` as onpace's ``${X:-default}``."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        return f"${{{name}:-{default}}}" if default is not None else f"${{{name}}}"

    return _ENV_VAR.sub(one, str(value))


def _source_url(
    root: Path, profile: str, target: str | None, profiles_dir: Path | None, notes: list[str]
) -> str | None:
    path = _profiles_file(root, profiles_dir)
    if path is None:
        notes.append(f"no profiles.yml found for profile '{profile}': the source's URL is left for you to write")
        return None
    profiles = _yaml(path)
    entry = profiles.get(profile) if isinstance(profiles, dict) else None
    if not isinstance(entry, dict):
        raise UserError(f"{path}: no profile '{profile}' (named by dbt_project.yml)")
    name = target or _env(entry.get("target", "dev"))
    outputs = entry.get("outputs") or {}
    output = outputs.get(name) if isinstance(outputs, dict) else None
    if not isinstance(output, dict):
        raise UserError(f"{path}: profile '{profile}' has no target '{name}'")
    kind = str(output.get("type", ""))
    if kind == "duckdb":
        db = _env(output.get("path", ":memory:"))
        if db == ":memory:" or "${" in db:
            notes.append(f"{path.name}: DuckDB path {db!r} cannot be read by another process")
            return None
        file = Path(db) if Path(db).is_absolute() else (root / db)
        return f"duckdb:///{file.resolve()}" if Path(db).is_absolute() else f"duckdb:///{file}"
    if kind in ("postgres", "postgresql", "redshift"):
        user = _env(output.get("user", "${PGUSER}"))
        password = output.get("password", output.get("pass"))
        secret = _env(password) if password is not None and "env_var" in str(password) else "${DBT_PASSWORD}"
        if password is not None and "env_var" not in str(password):
            notes.append(f"{path.name}: the password is not copied; the source reads it from $DBT_PASSWORD")
        host = _env(output.get("host", "localhost"))
        port = _env(output.get("port", 5432))
        dbname = _env(output.get("dbname", output.get("database", "")))
        return f"postgresql://{user}:{secret}@{host}:{port}/{dbname}"
    notes.append(f"{path.name}: target type {kind!r} is not translated: write the source's URL yourself")
    return None
