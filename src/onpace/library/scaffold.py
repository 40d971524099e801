"""Write library entries into a project, and create a project from an industry's entries.

``add_entries`` writes ``<models>/library/<name>.yml`` for each entry, never over an
existing file unless ``force``, under the project's lock and only once the whole
project loads with them (:mod:`onpace.catalog.edit`); when it does not, no file is
written and the :class:`~onpace.errors.DefinitionError` is raised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from onpace.catalog.edit import edit_project
from onpace.catalog.project import PROJECT_FILE, Project, load_project
from onpace.errors import DefinitionError, UserError, did_you_mean_suffix
from onpace.fileio import replace_text
from onpace.library.entries import Entry, Library, load_library
from onpace.library.goals import GOALS_FILE, goals_text
from onpace.library.industries import Industry
from onpace.library.render import render_yaml

LIBRARY_FOLDER = "library"
DEMO_DATABASE = "data/demo.duckdb"


def library_folder(project: Project) -> Path:
    """Where entries go: ``library/`` in the project's first models folder."""
    for entry in project.config.models:
        path = project.root / entry
        if path.is_dir() or not path.exists():
            return path / LIBRARY_FOLDER
    raise UserError(
        f"none of the models paths in {PROJECT_FILE} ({', '.join(project.config.models)}) is a folder; "
        "add one (e.g. 'models') to add library entries"
    )


def split_mapping(library: Library, entries: Sequence[Entry], mapping: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The mapping of each entry: the inputs it has. An input that no entry has is an error."""
    known = {spec.name for entry in entries for spec in library.inputs_of(entry)}
    unknown = sorted(set(mapping) - known)
    if unknown:
        names = ", ".join(e.name for e in entries)
        raise UserError(
            f"--map {unknown[0]}: no input of that name in {names}" + did_you_mean_suffix(unknown[0], known)
        )
    return {
        entry.name: {k: v for k, v in mapping.items() if k in {s.name for s in library.inputs_of(entry)}}
        for entry in entries
    }


def add_entries(
    project_dir: str | Path,
    names: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    *,
    force: bool = False,
    library: Library | None = None,
) -> list[Path]:
    """Write the named entries into the project and check it; return the files written."""
    library = library or load_library()
    if not names:
        raise UserError("name at least one library entry ('onpace library list' lists them)")
    entries = [library.get(name) for name in dict.fromkeys(names)]
    per_entry = split_mapping(library, entries, mapping or {})
    written: list[Path] = []

    def change(project: Project) -> dict[Path, str]:
        folder = library_folder(project)
        schema = project.root / "schema" / "onpace.schema.json"
        schema_ref = Path(os.path.relpath(schema, folder)).as_posix() if schema.is_file() else None
        texts = {
            folder / f"{e.name}.yml": render_yaml(library, e, per_entry[e.name], schema=schema_ref) for e in entries
        }
        existing = [path for path in texts if path.exists()]
        if existing and not force:
            shown = ", ".join(_shown(project, p) for p in existing)
            raise UserError(f"{shown} already exist{'s' if len(existing) == 1 else ''}; pass --force to overwrite")
        written.extend(texts)
        return texts

    edit_project(Path(project_dir), change)  # checked with the entries before any file is written
    return written


def _shown(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


PROJECT_TEMPLATE = """\
# yaml-language-server: $schema=schema/onpace-project.schema.json
# Made by `onpace init --template {industry}`: the demo company's data (data/demo.duckdb,
# generated; docs/demo-data.md in the onpace repository), the {label} entries
# of the KPI library in models/library/, one file per entry (docs/library.md), and
# objectives and KPIs on them in models/goals.yml.
name: {name}
description: Fernhill Outdoor Co. (a fictional company) with the {label} KPIs of the onpace library.
sources:
  warehouse:
    url: duckdb:///{database}
calendar:
  week_start: monday
  fiscal_year_start: 1
evaluation:
  as_of: latest_data    # the demo data ends on its last day, not today
models:
  - models
"""


GOALS_SCHEMA = "# yaml-language-server: $schema=../schema/onpace.schema.json\n"


def create_from_template(directory: str | Path, industry: Industry | str, *, force: bool = False) -> Path:
    """A project with the demo data, the library entries of ``industry`` and its objectives and KPIs
    (``models/goals.yml``), checked against the data."""
    from onpace.engine.check import check_sources
    from onpace.examples.demo_data import generate
    from onpace.examples.starter import write_project_support

    industry = Industry(industry)
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()) and not force:
        raise UserError(f"{directory} is not empty; choose a new directory or pass --force")
    if (directory / PROJECT_FILE).exists():
        raise UserError(
            f"{directory} holds a project already ({PROJECT_FILE}); add entries to it with 'onpace library add'"
        )
    directory.mkdir(parents=True, exist_ok=True)
    text = PROJECT_TEMPLATE.format(
        industry=industry.value, label=industry.label, name=f"{industry.value}_demo", database=DEMO_DATABASE
    )
    replace_text(directory / PROJECT_FILE, text)
    (directory / "models").mkdir(exist_ok=True)
    write_project_support(directory)
    generate(directory / DEMO_DATABASE)
    library = load_library()
    add_entries(directory, [e.name for e in library.select(industry=industry)], force=force, library=library)
    replace_text(directory / "models" / GOALS_FILE, GOALS_SCHEMA + goals_text(industry))
    issues = check_sources(load_project(directory))
    if issues:
        raise DefinitionError(issues)
    return directory.resolve()
