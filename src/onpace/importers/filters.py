"""MetricFlow's ``where`` templates (``{{ Dimension('customer__country') }} = 'MX'``) in onpace's filter language.

A template names a dimension by its entity path and name; onpace names the same dimension
``<entity>__<name>`` (the entity that holds it, :mod:`onpace.importers.names`). ``metric_time``
is the metric's own time dimension. What onpace's language cannot say (a time dimension at a
grain coarser than a day, a metric as a filter, an entity reached through another) raises
:class:`Untranslatable` with the reason; the SQL around the templates must parse as an onpace
expression (:func:`onpace.catalog.expr.parse_condition`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from onpace.catalog.expr import ExpressionError, all_of, parse_condition
from onpace.importers.names import GRAINS, METRIC_TIME, dimension_name

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class Untranslatable(Exception):
    """What cannot be said in onpace's definitions; the message is the reason."""


@dataclass(frozen=True)
class FilterContext:
    """What a filter is read against: the metric's time dimension and its dataset's entity keys."""

    time_dimension: str | None = None
    entity_columns: Mapping[str, str] = field(default_factory=dict)  # entity -> its column or expression
    dimensions: frozenset[str] = frozenset()  # the onpace dimensions the import defines


def translate_filter(template: str, context: FilterContext) -> str:
    """One ``where_sql_template`` as an onpace condition; Untranslatable with the reason otherwise."""
    out: list[str] = []
    last = 0
    for match in _TEMPLATE.finditer(template):
        out.append(template[last : match.start()])
        out.append(_reference(match.group(1).strip(), context))
        last = match.end()
    out.append(template[last:])
    text = " ".join("".join(out).split())
    try:
        parse_condition(text)
    except ExpressionError as exc:
        raise Untranslatable(f"the filter {text!r} is not in onpace's filter language: {exc}") from None
    return text


def combine(filters: list[str]) -> str | None:
    """Several conditions that must all hold, as one (None when there is none)."""
    return all_of(*filters)


def _reference(code: str, context: FilterContext) -> str:
    try:
        node = ast.parse(code, mode="eval").body
    except SyntaxError:
        raise Untranslatable(f"cannot read the template {{{{ {code} }}}}") from None
    grain: str | None = None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):  # Dimension('x').grain('month')
        if node.func.attr != "grain" or len(node.args) != 1:
            raise Untranslatable(f"{{{{ {code} }}}}: '.{node.func.attr}(...)' is not supported")
        grain = _literal(node.args[0], code)
        node = node.func.value
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise Untranslatable(f"cannot read the template {{{{ {code} }}}}")
    kind = node.func.id
    args = [_literal(a, code) for a in node.args]
    kwargs = {k.arg: _literal_any(k.value, code) for k in node.keywords if k.arg}
    if kind == "Metric":
        raise Untranslatable("a metric used as a filter ({{ Metric(...) }}) has no onpace equivalent")
    if not args or not isinstance(args[0], str):
        raise Untranslatable(f"{{{{ {code} }}}}: expected a name as the first argument")
    name = args[0]
    entity_path = kwargs.get("entity_path") or []
    if not isinstance(entity_path, list):
        raise Untranslatable(f"{{{{ {code} }}}}: entity_path must be a list of entity names")
    if kind == "Entity":
        return _entity(name, [str(e) for e in entity_path], context)
    if kind == "TimeDimension":
        named = args[1] if len(args) > 1 else kwargs.get("time_granularity_name", grain)
        grain = None if named is None else str(named)
    elif kind != "Dimension":
        raise Untranslatable(f"{{{{ {code} }}}}: {kind}(...) is not a MetricFlow filter reference onpace knows")
    parts = [*[str(e) for e in entity_path], *name.split("__")]
    if parts[-1] in GRAINS and len(parts) > 1:  # Dimension('order__ds__month'): the grain in the name
        named_grain = parts.pop()
        if grain not in (None, named_grain):
            raise Untranslatable(f"{{{{ {code} }}}}: two grains, {named_grain!r} and {grain!r}")
        grain = named_grain
    if grain is not None and grain not in GRAINS:
        raise Untranslatable(f"{{{{ {code} }}}}: grain {grain!r}; onpace's are {', '.join(GRAINS)}")
    if parts == [METRIC_TIME]:
        if context.time_dimension is None:
            raise Untranslatable("metric_time in a filter of a metric whose time dimension is not known")
        onpace = context.time_dimension
    else:
        if len(parts) < 2:
            raise Untranslatable(f"{{{{ {code} }}}}: a dimension is named with its entity, as 'entity__dimension'")
        own = dimension_name(parts[-2], parts[-1])
        if context.dimensions and own not in context.dimensions:
            raise Untranslatable(f"{{{{ {code} }}}}: no imported dimension {own!r}")
        onpace = "__".join(parts)  # MetricFlow's name, with its entity path: onpace joins through the same keys
    # a time dimension at a grain is its period's first day (day: the day itself)
    return onpace if grain in (None, "day") else f"{onpace}__{grain}"


def _entity(name: str, path: list[str], context: FilterContext) -> str:
    parts = [*path, *name.split("__")]
    if len(parts) != 1:
        raise Untranslatable(f"Entity('{name}') reached through other entities cannot be filtered on in onpace")
    column = context.entity_columns.get(parts[0])
    if column is None:
        raise Untranslatable(f"Entity('{name}') is not a key of the metric's dataset")
    return column if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else f"({column})"


def _literal(node: ast.expr, code: str) -> str:
    value = _literal_any(node, code)
    if not isinstance(value, str):
        raise Untranslatable(f"{{{{ {code} }}}}: expected a string argument")
    return value


def _literal_any(node: ast.expr, code: str) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise Untranslatable(f"{{{{ {code} }}}}: arguments must be literals") from None
