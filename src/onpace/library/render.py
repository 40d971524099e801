"""Fill a library entry's template with the user's tables and columns.

The template is parsed as YAML first and the ``${input}`` placeholders are then
replaced inside its strings, so a value can never change the structure of the
file. Values must be names: a column is a plain identifier (``order_date``), a
table a plain or dotted one (``shop.orders``), a currency an ISO 4217 code
(``EUR``); anything else is refused before it reaches a definition.
"""

from __future__ import annotations

import re
import string
import textwrap
from collections.abc import Mapping
from typing import Any

import yaml

from onpace.catalog.models import Grain
from onpace.errors import UserError, did_you_mean_suffix
from onpace.library.entries import Entry, Input, Library

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
PATTERNS = {
    "column": re.compile(rf"^{_IDENT}$"),
    "table": re.compile(rf"^{_IDENT}(\.{_IDENT}){{0,2}}$"),
    "currency": re.compile(r"^[A-Z]{3}$"),
}
EXPECTED = {
    "column": "a column name: letters, digits and underscores, starting with a letter or underscore",
    "table": "a table name, optionally with its schema (schema.table)",
    "currency": "an ISO 4217 currency code such as EUR or USD",
}
GRAIN_OF_CADENCE = {
    "daily": Grain.day,
    "weekly": Grain.week,
    "monthly": Grain.month,
    "quarterly": Grain.quarter,
    "yearly": Grain.year,
}


# words of onpace's expression language, and the SQL keywords of the few entries that are SQL
# datasets: a name that is one of them would be read as the word, not as a column
RESERVED = frozenset(
    [
        "and",
        "or",
        "not",
        "is",
        "null",
        "true",
        "false",
        "in",
        "between",
        "like",
        "case",
        "when",
        "then",
        "else",
        "end",
        "select",
        "from",
        "where",
        "group",
        "by",
        "order",
        "having",
        "limit",
        "offset",
        "join",
        "on",
        "as",
        "union",
        "all",
        "distinct",
        "interval",
        "cast",
    ]
)


def check_value(entry: Entry, spec: Input, value: str) -> str:
    if spec.kind in ("column", "table") and any(part.lower() in RESERVED for part in value.split(".")):
        raise UserError(
            f"input '{spec.name}' of library entry '{entry.name}': {value!r} is a keyword of the expression "
            "language or of SQL, not a name; rename the column or map a view that renames it"
        )
    if not PATTERNS[spec.kind].match(value):
        raise UserError(
            f"input '{spec.name}' of library entry '{entry.name}': {value!r} is not allowed (expected {EXPECTED[spec.kind]})"
        )
    return value


def resolve_inputs(library: Library, entry: Entry, mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each input's value: the mapping's, else the default. Unknown inputs and bad values are UserErrors."""
    mapping = dict(mapping or {})
    inputs = {spec.name: spec for spec in library.inputs_of(entry)}
    unknown = sorted(set(mapping) - set(inputs))
    if unknown:
        raise UserError(
            f"library entry '{entry.name}' has no input '{unknown[0]}' (its inputs: {', '.join(inputs)})"
            + did_you_mean_suffix(unknown[0], inputs)
        )
    return {name: check_value(entry, spec, mapping.get(name, spec.default)) for name, spec in inputs.items()}


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return string.Template(value).substitute(values)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def render_definitions(library: Library, entry: Entry, mapping: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The entry as the contents of a file under models/: ``datasets`` and ``metrics``."""
    values = resolve_inputs(library, entry, mapping)
    datasets = _fill(entry.definitions.datasets, values)
    metrics = []
    for metric in _fill(entry.definitions.metrics, values):
        if metric["name"] == entry.name:
            metric = _presented(entry, metric, values)
        metrics.append(metric)
    out: dict[str, Any] = {}
    if datasets:
        out["datasets"] = datasets
    out["metrics"] = metrics
    return out


def _presented(entry: Entry, metric: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The main metric with what people read: label, description, unit, format, direction…"""
    head = {"name": metric.pop("name"), "label": entry.label, "description": entry.what_it_tells.strip()}
    return {
        **head,
        **metric,
        "unit": _fill(entry.unit, values),
        "format": _fill(entry.format, values),
        "direction": entry.direction,
        "department": entry.department,
        "cadence": entry.cadence.value,
        "default_grain": GRAIN_OF_CADENCE[entry.cadence.value].value,
        "tags": ["library", entry.category.value],
    }


def render_yaml(
    library: Library, entry: Entry, mapping: Mapping[str, str] | None = None, *, schema: str | None = None
) -> str:
    """The text of ``models/library/<name>.yml``: a comment saying where it comes from, then the definitions."""
    values = resolve_inputs(library, entry, mapping)
    body = dump(render_definitions(library, entry, values))
    mapped = ", ".join(f"{k}={v}" for k, v in values.items())
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines.append(f"# {entry.label}: from the onpace KPI library (`onpace library show {entry.name}`).")
    lines += _comment(f"Formula: {entry.formula.strip()}")
    lines += _comment(f"Inputs: {mapped}")
    lines.append("# Edit it freely; `onpace library add` never overwrites it without --force.")
    return "\n".join(lines) + "\n" + body


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width=WIDTH - 2, subsequent_indent="  ")]


WIDTH = 100


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; short flat mappings and lists on one line; long text folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (isinstance(value, str) and len(value) > 60)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flat = all(_scalar(v) for v in data.values()) and sum(len(f"{k}: {v}, ") for k, v in data.items()) < 80
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(_scalar(v) for v in data) and sum(len(f"{v}, ") for v in data) < 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = ">" if len(data) > 80 and "\n" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """YAML as a person would write it."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=WIDTH)


def summary(entry: Entry, currency: str = "EUR") -> dict[str, Any]:
    """What ``onpace library list`` shows of an entry (money in ``currency``)."""
    return {
        "name": entry.name,
        "label": entry.label,
        "category": entry.category.value,
        "industries": [i.value for i in entry.industries],
        "metric_type": entry.metric_type,
        "unit": string.Template(entry.unit).safe_substitute(currency=currency) if entry.unit else entry.unit,
        "direction": entry.direction,
        "cadence": entry.cadence.value,
        "benchmarks": len(entry.benchmarks),
    }


def describe(library: Library, entry: Entry, mapping: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything about an entry, and its definitions rendered with ``mapping`` (else the defaults)."""
    values = resolve_inputs(library, entry, mapping)
    return {
        **summary(entry, values.get("currency", "EUR")),
        "department": entry.department,
        "what_it_tells": entry.what_it_tells.strip(),
        "formula": entry.formula.strip(),
        "inputs": [
            {
                "name": spec.name,
                "kind": spec.kind,
                "default": spec.default,
                "value": values[spec.name],
                "description": spec.description,
            }
            for spec in library.inputs_of(entry)
        ],
        "benchmarks": [b.model_dump(exclude_none=True) for b in entry.benchmarks],
        "sources": list(entry.sources),
        "definitions": render_definitions(library, entry, values),
    }
