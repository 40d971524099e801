"""Library entries: their model, and loading the files shipped in ``onpace/library/definitions``.

A definitions file holds one category::

    category: marketing
    entries:
      - name: conversion_rate
        label: Conversion rate
        industries: [retail, saas, general]
        ...
        definitions:          # datasets and metrics, with ${input} placeholders
          datasets: [...]
          metrics: [...]

The placeholders are :class:`string.Template` ones (``${orders_table}``), so the
templates stay plain YAML (the braces of YAML flow mappings need no escaping);
every placeholder is an input declared once in ``inputs.yml``. The shipped files
are checked when they are loaded: a broken one is a bug of onpace
(:class:`LibraryError`), not of the user's project.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from onpace.catalog.models import NAME_PATTERN, Cadence
from onpace.errors import NotFoundError, OnpaceError, did_you_mean_suffix
from onpace.library.industries import Category, Industry
from onpace.library.sources import TITLES

PACKAGE = "onpace.library"
# keys of the main metric that the entry itself supplies (from its label, unit, format...)
PRESENTATION_KEYS = ("label", "description", "unit", "format", "direction", "cadence", "department", "tags")


class LibraryError(OnpaceError):
    """A shipped library file is broken: a bug of onpace, listed problem by problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the KPI library is broken:\n" + "\n".join(f"  {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Input(_Model):
    """A table or column an entry reads; ``default`` is the demo data's name."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["table", "column", "currency"] = "column"
    default: str
    description: str


class Benchmark(_Model):
    """A published range for a KPI, as its source states it."""

    figure: str = Field(description="The figure as the source writes it.")
    source: str = Field(description="Title of the article (one of onpace.library.sources).")
    low: float | None = None
    high: float | None = None
    applies_to: str | None = Field(default=None, description="Where the figure applies (industry, channel…).")

    @model_validator(mode="after")
    def _check(self) -> Benchmark:
        if self.source not in TITLES:
            raise ValueError(f"benchmark source {self.source!r} is not one of the library's sources")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"benchmark low {self.low} is above high {self.high}")
        return self


class Definitions(_Model):
    """The template: datasets and metrics, as in a file under models/, with ${input} placeholders."""

    datasets: list[dict[str, Any]] = Field(default_factory=list)
    metrics: list[dict[str, Any]] = Field(min_length=1)


class Entry(_Model):
    name: str = Field(pattern=NAME_PATTERN, max_length=40)
    label: str
    category: Category
    industries: list[Industry] = Field(min_length=1)
    what_it_tells: str = Field(description="What the KPI tells, in one to three sentences.")
    formula: str = Field(description="The formula in words.")
    unit: str
    format: dict[str, Any]
    direction: Literal["higher", "lower"]
    cadence: Cadence
    department: str
    sources: list[str] = Field(default_factory=list, description="Titles of articles that describe the KPI.")
    benchmarks: list[Benchmark] = Field(default_factory=list)
    definitions: Definitions

    @property
    def main_metric(self) -> dict[str, Any]:
        return next(x for x in self.definitions.metrics if x.get("name") == self.name)

    @property
    def metric_type(self) -> str:
        return str(self.main_metric.get("type", "simple"))

    def template_values(self) -> Iterator[str]:
        """Every string of the template (the unit, the format and the definitions)."""
        yield from _strings([self.unit, self.format, self.definitions.datasets, self.definitions.metrics])

    def placeholders(self) -> list[str]:
        """The inputs this entry reads, in order of first use."""
        found: dict[str, None] = {}
        for text in self.template_values():
            for name in string.Template(text).get_identifiers():
                found.setdefault(name, None)
        return list(found)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class Library:
    """Every entry, by name, and the inputs they share."""

    def __init__(self, entries: Iterable[Entry], inputs: Iterable[Input]) -> None:
        self.entries: dict[str, Entry] = {}
        self.inputs: dict[str, Input] = {i.name: i for i in inputs}
        problems: list[str] = []
        for entry in entries:
            if entry.name in self.entries:
                problems.append(f"{entry.name}: defined twice")
            self.entries[entry.name] = entry
            problems += [f"{entry.name}: {p}" for p in check_entry(entry, self.inputs)]
        if problems:
            raise LibraryError(problems)

    def get(self, name: str) -> Entry:
        if name not in self.entries:
            hint = did_you_mean_suffix(name, self.entries)
            raise NotFoundError(f"no library entry '{name}'{hint} ('onpace library list' lists them)")
        return self.entries[name]

    def select(self, industry: Industry | str | None = None, category: Category | str | None = None) -> list[Entry]:
        """The entries of an industry and/or category, by category and name."""
        chosen = [
            e
            for e in self.entries.values()
            if (industry is None or Industry(industry) in e.industries)
            and (category is None or e.category == Category(category))
        ]
        order = list(Category)
        return sorted(chosen, key=lambda e: (order.index(e.category), e.name))

    def inputs_of(self, entry: Entry) -> list[Input]:
        return [self.inputs[name] for name in entry.placeholders()]


def check_entry(entry: Entry, inputs: dict[str, Input]) -> list[str]:
    """What is wrong with a shipped entry: undeclared inputs, names that could collide, unknown sources."""
    problems: list[str] = []
    for text in entry.template_values():
        if not string.Template(text).is_valid():
            problems.append(f"invalid placeholder in {text!r} (write ${{input}}, and $$ for a dollar sign)")
    for name in entry.placeholders():
        if name not in inputs:
            problems.append(f"input '{name}' is not declared in inputs.yml")
    for title in entry.sources:
        if title not in TITLES:
            problems.append(f"source {title!r} is not one of the library's sources (onpace/library/sources.py)")
    prefix = entry.name + "_"
    for ds in entry.definitions.datasets:
        name = str(ds.get("name", ""))
        if not name.startswith(prefix):
            problems.append(f"dataset '{name}' does not start with '{prefix}'")
        for group in ("keys", "dimensions"):
            for item in ds.get(group) or []:
                if not str(item.get("name", "")).startswith(prefix):
                    problems.append(
                        f"{group[:-1]} '{item.get('name')}' of dataset '{name}' does not start with '{prefix}'"
                    )
    metrics = [str(x.get("name", "")) for x in entry.definitions.metrics]
    if entry.name not in metrics:
        problems.append(f"no metric named '{entry.name}' (the entry's main metric)")
    else:
        given = sorted(set(entry.main_metric) & set(PRESENTATION_KEYS))
        if given:
            problems.append(f"the main metric sets {', '.join(given)}: the entry supplies them")
    for name in metrics:
        if name != entry.name and not name.startswith(entry.name + "__"):
            problems.append(f"helper metric '{name}' does not start with '{entry.name}__'")
    return problems


def _read(name: str) -> Any:
    return yaml.safe_load((resources.files(PACKAGE) / name).read_text(encoding="utf-8"))


def definition_files() -> list[str]:
    folder = resources.files(PACKAGE) / "definitions"
    return sorted(f"definitions/{p.name}" for p in folder.iterdir() if p.name.endswith(".yml"))


@cache
def load_library() -> Library:
    """The shipped library (read once per process)."""
    problems: list[str] = []
    inputs: list[Input] = []
    for name, spec in (_read("inputs.yml") or {}).items():
        try:
            inputs.append(Input(name=name, **spec))
        except ValidationError as exc:
            problems.append(f"inputs.yml: {name}: {exc}")
    entries: list[Entry] = []
    for file in definition_files():
        data = _read(file) or {}
        for i, raw in enumerate(data.get("entries") or []):
            try:
                entries.append(Entry.model_validate({"category": data.get("category"), **raw}))
            except ValidationError as exc:
                problems.append(f"{file}: entries[{i}] ({raw.get('name')}): {exc}")
    if problems:
        raise LibraryError(problems)
    return Library(entries, inputs)
