"""Integration cases, read from ``cases/*.yaml``.

Each file holds a list of cases::

    - name: revenue_by_region_month        # unique over every file
      description: why the case exists      # optional
      project: main                         # optional: a folder under projects/ (default main)
      metrics: [revenue]
      dimensions: [region]                  # optional (default none)
      grain: month                          # optional (default none: totals)
      start: 2024-06-01                     # optional
      end: 2024-09-30                       # optional
      where: "segment = 'smb'"              # optional
      unsupported: {mysql: "why"}           # optional: the engine must refuse the query there
      check_sql: |
        SELECT ...                          # DuckDB SQL on the DuckDB copy: the expected rows

The check SQL returns the columns the engine returns (``period`` when there is a
grain, the dimensions, the metrics, in that order), sorted the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CASES_DIR = Path(__file__).parent / "cases"
PROJECTS_DIR = Path(__file__).parent / "projects"
BACKENDS = ("duckdb", "postgres", "mysql", "spark")
GRAINS = ("day", "week", "month", "quarter", "year", "fiscal_quarter", "fiscal_year")

_REQUIRED = {"name", "metrics", "check_sql"}
_OPTIONAL = {"description", "project", "dimensions", "grain", "start", "end", "where", "unsupported"}


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    metrics: tuple[str, ...]
    check_sql: str
    description: str | None = None
    project: str = "main"
    dimensions: tuple[str, ...] = ()
    grain: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    where: str | None = None
    unsupported: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The columns of the result, in order."""
        return (["period"] if self.grain else []) + list(self.dimensions) + list(self.metrics)


class CaseFileError(Exception):
    pass


def _case(raw: Any, file: str, index: int) -> Case:
    where = f"{file}, case {index + 1}"
    if not isinstance(raw, dict):
        raise CaseFileError(f"{where}: expected a mapping, got {type(raw).__name__}")
    if "name" in raw:
        where = f"{file}, case {raw['name']!r}"
    missing = _REQUIRED - raw.keys()
    unknown = raw.keys() - _REQUIRED - _OPTIONAL
    if missing or unknown:
        raise CaseFileError(f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")
    if raw.get("grain") is not None and raw["grain"] not in GRAINS:
        raise CaseFileError(f"{where}: grain {raw['grain']!r} is not one of {', '.join(GRAINS)}")
    for key in ("start", "end"):
        if raw.get(key) is not None and type(raw[key]) is not dt.date:
            raise CaseFileError(f"{where}: {key} must be a date (YYYY-MM-DD), got {raw[key]!r}")
    unsupported = raw.get("unsupported") or {}
    if not isinstance(unsupported, dict) or not set(unsupported) <= set(BACKENDS) - {"duckdb"}:
        raise CaseFileError(f"{where}: 'unsupported' maps backends other than duckdb to a reason, got {unsupported!r}")
    project = raw.get("project") or "main"
    if not (PROJECTS_DIR / project / "onpace.yml").is_file():
        raise CaseFileError(f"{where}: unknown project {project!r} (a folder under {PROJECTS_DIR.name}/)")
    return Case(
        name=raw["name"],
        file=file,
        metrics=tuple(raw["metrics"]),
        check_sql=raw["check_sql"],
        description=raw.get("description"),
        project=project,
        dimensions=tuple(raw.get("dimensions") or ()),
        grain=raw.get("grain"),
        start=raw.get("start"),
        end=raw.get("end"),
        where=raw.get("where"),
        unsupported={str(k): str(v) for k, v in unsupported.items()},
    )


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every file, in file order; raises CaseFileError on a malformed case or a repeated name."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(raw, list):
            raise CaseFileError(f"{path.name}: expected a list of cases")
        for index, item in enumerate(raw):
            case = _case(item, path.name, index)
            if case.name in seen:
                raise CaseFileError(f"{path.name}: case name {case.name!r} is also used in {seen[case.name]}")
            seen[case.name] = path.name
            cases.append(case)
    return cases
