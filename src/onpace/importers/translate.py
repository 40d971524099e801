"""A dbt semantic manifest (parsed by ``dbt-semantic-interfaces``) as onpace datasets and metrics.

Semantic models become datasets (entities -> keys, dimensions named ``<entity>__<name>``,
measures, ``agg_time_dimension`` -> the dataset's ``time``); metrics become simple, ratio,
derived, cumulative or semi-additive metrics (a measure with a ``non_additive_dimension``).
Whatever onpace cannot say is an :class:`Item` of :attr:`Translation.not_translated`, with the
reason, and is left out together with what depends on it; what is translated but reads
differently from MetricFlow in some queries is an item of :attr:`Translation.caveats`.
docs/dbt.md maps every concept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from onpace.catalog.expr import ExpressionError, names, parse
from onpace.importers.filters import FilterContext, Untranslatable, combine, translate_filter
from onpace.importers.names import GRAINS, METRIC_TIME, dimension_name

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AGGS = {
    "sum": "sum",
    "sum_boolean": "sum",
    "count": "count",
    "count_distinct": "count_distinct",
    "min": "min",
    "max": "max",
    "average": "avg",
    "median": "median",
    "percentile": "percentile",
}
_ACCUMULABLE = {"sum", "count", "count_distinct"}
_GRAIN_TO_DATE = {"week", "month", "quarter", "year"}


@dataclass(frozen=True)
class Item:
    """One definition of the dbt project and what became of it."""

    kind: str  # semantic model, dimension, entity, measure, metric
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}': {self.reason}"


@dataclass
class Translation:
    """onpace's definitions (as the YAML's mappings) and what was not translated, item by item."""

    datasets: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    not_translated: list[Item] = field(default_factory=list)
    caveats: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class _Measure:
    dataset: str
    agg: str
    time: str | None  # the onpace time dimension it is counted on
    non_additive: Any  # PydanticNonAdditiveDimensionParameters or None
    context: FilterContext


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str)).lower()


def _expr(text: str | None) -> str | None:
    """A SQL expression of dbt as onpace's (None when it is a bare column); Untranslatable otherwise."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    try:
        parse(text)
    except ExpressionError as exc:
        raise Untranslatable(f"the expression {text!r} is not in onpace's expression language: {exc}") from None
    return text


def _column_or_expr(entry: dict[str, Any], expr: str | None, default: str) -> None:
    """Set ``column`` (a bare column other than ``default``) or ``expr`` on ``entry``."""
    if expr is None:
        if default != entry["name"]:
            entry["column"] = default
        return
    stripped = expr.strip()
    if _COLUMN.match(stripped):
        if stripped != entry["name"]:
            entry["column"] = stripped
    else:
        checked = _expr(stripped)
        assert checked is not None
        entry["expr"] = checked


def translate(manifest: Any, source: str | None = None) -> Translation:
    """Translate a ``PydanticSemanticManifest``; ``source``: the onpace source of every dataset."""
    out = Translation()
    measures: dict[str, _Measure] = {}
    dimensions: set[str] = set()
    models = list(manifest.semantic_models)
    owners = _entity_dimensions(models)
    dimensions.update(owners)  # the entities' own dimensions (see _dataset)
    for model in models:
        entity = _primary_entity(model)
        if entity is None:
            continue
        for dim in model.dimensions:
            dimensions.add(dimension_name(entity, dim.name))
    for model in models:
        dataset = _dataset(model, source, out, measures, frozenset(dimensions), owners)
        if dataset is not None:
            out.datasets.append(dataset)
    _metrics(list(manifest.metrics), measures, out, frozenset(dimensions))
    return out


def _entity_dimensions(models: list[Any]) -> dict[str, str]:
    """Entity -> the semantic model that gets its dimension: the first whose primary (or unique)
    entity it is, as a key that is translated (not a natural entity), with names onpace takes. One dimension per
    entity: onpace's dimension names are the project's."""
    owners: dict[str, str] = {}
    for model in models:
        entity = _primary_entity(model)
        if entity is None or entity in owners or not _is_name(entity) or not _NAME.match(str(model.name)):
            continue
        found = next((e for e in model.entities if str(e.name) == entity), None)
        if found is None or _value(found.type) not in ("primary", "unique"):
            continue
        try:  # its key is translated as _dataset translates it: else the next such model holds it
            _column_or_expr({"name": entity}, found.expr, entity)
        except Untranslatable:
            continue
        owners[entity] = str(model.name)
    return owners


def _is_name(name: str) -> bool:
    """Whether ``name`` reads as a name in onpace's expression language (not a keyword such as 'case')."""
    try:
        parse(f"{name} is null")
    except ExpressionError:
        return False
    return True


def _primary_entity(model: Any) -> str | None:
    for entity in model.entities:
        if _value(entity.type) in ("primary", "unique", "natural"):
            return str(entity.name)
    primary = getattr(model, "primary_entity", None)
    return str(primary) if primary else None


def _dataset(
    model: Any,
    source: str | None,
    out: Translation,
    measures: dict[str, _Measure],
    dimensions: frozenset[str],
    owners: dict[str, str],
) -> dict[str, Any] | None:
    name = str(model.name)
    entity = _primary_entity(model)
    if not _NAME.match(name):
        out.not_translated.append(Item("semantic model", name, "its name is not an onpace name (a-z, 0-9, _)"))
        return None
    if entity is None:
        out.not_translated.append(
            Item("semantic model", name, "it has no primary entity, so its dimensions have no onpace name")
        )
        return None
    relation = model.node_relation
    schema = getattr(relation, "schema_name", None)
    table = f"{schema}.{relation.alias}" if schema else str(relation.alias)
    dataset: dict[str, Any] = {"name": name}
    if model.description:
        dataset["description"] = " ".join(str(model.description).split())
    if source:
        dataset["source"] = source
    dataset["table"] = table
    defaults = getattr(model, "defaults", None)
    agg_time = getattr(defaults, "agg_time_dimension", None) if defaults else None
    time_names = {str(d.name) for d in model.dimensions if _value(d.type) == "time"}
    if agg_time and agg_time in time_names:
        dataset["time"] = dimension_name(entity, agg_time)
    keys: list[dict[str, Any]] = []
    entity_columns: dict[str, str] = {}
    for ent in model.entities:
        kind = _value(ent.type)
        key: dict[str, Any] = {"name": str(ent.name)}
        if kind == "natural":
            out.not_translated.append(
                Item("entity", f"{name}.{ent.name}", "natural entities (slowly changing dimensions) are not supported")
            )
            continue
        try:
            _column_or_expr(key, ent.expr, str(ent.name))
        except Untranslatable as exc:
            out.not_translated.append(Item("entity", f"{name}.{ent.name}", str(exc)))
            continue
        if kind in ("primary", "unique"):
            key["primary"] = True
        keys.append(key)
        entity_columns[str(ent.name)] = key.get("expr") or key.get("column") or str(ent.name)
    dataset["keys"] = keys
    dims: list[dict[str, Any]] = []
    own = next((k for k in keys if k["name"] == entity and k.get("primary")), None)
    if own is not None and owners.get(entity) == name:  # the entity itself, as MetricFlow groups by it
        column = {k: v for k, v in own.items() if k in ("column", "expr")}
        dims.append({"name": entity, "label": f"{entity} (entity)", **column})
    for dim in model.dimensions:
        qualified = dimension_name(entity, str(dim.name))
        entry: dict[str, Any] = {"name": qualified}
        if len(qualified) > 63:
            out.not_translated.append(Item("dimension", qualified, "longer than onpace's 63 characters"))
            continue
        try:
            _column_or_expr(entry, dim.expr, str(dim.name))
        except Untranslatable as exc:
            out.not_translated.append(Item("dimension", qualified, str(exc)))
            continue
        if dim.label:
            entry["label"] = str(dim.label)
        if dim.description:
            entry["description"] = " ".join(str(dim.description).split())
        if _value(dim.type) == "time":
            entry["type"] = "time"
            params = dim.type_params
            grain = _value(params.time_granularity) if params and params.time_granularity else "day"
            if grain != "day":
                out.caveats.append(
                    Item(
                        "dimension",
                        qualified,
                        f"time granularity {grain}: onpace reads it by day, so it is not refused below {grain}",
                    )
                )
            if params is not None and getattr(params, "validity_params", None) is not None:
                out.not_translated.append(
                    Item("dimension", qualified, "validity_params (slowly changing dimensions) are not supported")
                )
        dims.append(entry)
    dataset["dimensions"] = dims
    context = FilterContext(time_dimension=dataset.get("time"), entity_columns=entity_columns, dimensions=dimensions)
    translated: list[dict[str, Any]] = []
    for measure in model.measures:
        made = _measure(name, measure, out)
        if made is None:
            continue
        translated.append(made)
        own_time = getattr(measure, "agg_time_dimension", None)
        time = dimension_name(entity, own_time) if own_time else dataset.get("time")
        measures[str(measure.name)] = _Measure(
            name,
            made["agg"],
            time,
            measure.non_additive_dimension,
            FilterContext(time_dimension=time, entity_columns=entity_columns, dimensions=dimensions),
        )
    if context.time_dimension is None and translated:
        out.caveats.append(Item("semantic model", name, "no agg_time_dimension: its measures need one per metric"))
    dataset["measures"] = translated
    return dataset


def _measure(dataset: str, measure: Any, out: Translation) -> dict[str, Any] | None:
    name = str(measure.name)
    where = f"{dataset}.{name}"
    agg = _value(measure.agg)
    if agg not in _AGGS or not _NAME.match(name):
        reason = f"aggregation {agg!r} is not supported" if agg in _AGGS else "not an onpace name"
        out.not_translated.append(Item("measure", where, reason))
        return None
    entry: dict[str, Any] = {"name": name, "agg": _AGGS[agg]}
    try:
        expr: str | None = _expr(measure.expr) if measure.expr is not None else name
    except Untranslatable as exc:
        out.not_translated.append(Item("measure", where, str(exc)))
        return None
    assert expr is not None
    # SUM(1) and COUNT(constant) count rows; another constant (SUM(2)) is summed per row, as in SQL
    if (agg == "count" or (agg == "sum" and expr.strip() == "1")) and not names(parse(expr)):
        entry["agg"] = "count"
        expr = None
    if agg == "sum_boolean":
        expr = f"case when {expr} then 1 else 0 end"
    if expr is not None:
        entry["expr"] = expr
    params = measure.agg_params
    if agg == "percentile":
        if params is None or params.percentile is None:
            out.not_translated.append(Item("measure", where, "a percentile without agg_params.percentile"))
            return None
        if params.use_discrete_percentile:
            out.not_translated.append(
                Item("measure", where, "discrete percentiles: onpace's percentile is continuous (interpolated)")
            )
            return None
        if params.use_approximate_percentile:
            out.caveats.append(Item("measure", where, "an approximate percentile: onpace computes it exactly"))
        entry["percentile"] = float(params.percentile)
    if measure.description:
        entry["description"] = " ".join(str(measure.description).split())
    return entry


def _metrics(metrics: list[Any], measures: dict[str, _Measure], out: Translation, dims: frozenset[str]) -> None:
    """Translate in dependency order: a metric whose inputs were not translated is not either."""
    by_name = {str(m.name): m for m in metrics}
    done: dict[str, dict[str, Any]] = {}
    failed: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> bool:
        if name in done:
            return True
        if name in failed or name in stack or name not in by_name:
            return False
        metric = by_name[name]
        for dep in _inputs(metric):
            if not visit(dep, (*stack, name)):
                failed.add(name)
                out.not_translated.append(Item("metric", name, f"its input metric '{dep}' is not translated"))
                return False
        try:
            produced = _metric(metric, measures, done, dims, out)
        except Untranslatable as exc:
            failed.add(name)
            out.not_translated.append(Item("metric", name, str(exc)))
            return False
        for entry in produced:
            done[entry["name"]] = entry
            out.metrics.append(entry)
        return True

    for metric in metrics:
        visit(str(metric.name), ())


def _inputs(metric: Any) -> list[str]:
    params = metric.type_params
    names = [str(m.name) for m in params.metrics or []]
    for side in (params.numerator, params.denominator):
        if side is not None:
            names.append(str(side.name))
    cumulative = getattr(params, "cumulative_type_params", None)
    if cumulative is not None and getattr(cumulative, "metric", None) is not None:
        names.append(str(cumulative.metric.name))
    return names


def _common(metric: Any) -> dict[str, Any]:
    name = str(metric.name)
    if not _NAME.match(name):
        raise Untranslatable("its name is not an onpace name (a-z, 0-9, _; at most 63 characters)")
    entry: dict[str, Any] = {"name": name}
    if metric.label:
        entry["label"] = str(metric.label)
    if metric.description:
        entry["description"] = " ".join(str(metric.description).split())
    grain = getattr(metric, "time_granularity", None)
    if grain and str(grain).lower() in GRAINS:
        entry["default_grain"] = str(grain).lower()
    return entry


def _filters(where: Any, context: FilterContext) -> list[str]:
    if where is None:
        return []
    return [translate_filter(f.where_sql_template, context) for f in where.where_filters]


def _metric(
    metric: Any, measures: dict[str, _Measure], done: dict[str, dict[str, Any]], dims: frozenset[str], out: Translation
) -> list[dict[str, Any]]:
    kind = _value(metric.type)
    params = metric.type_params
    if kind == "simple":
        return [_simple(metric, params.measure, measures, _common(metric))]
    if kind == "ratio":
        return [_ratio(metric, done, measures, dims)]
    if kind == "derived":
        return [_derived(metric, done, measures, dims)]
    if kind == "cumulative":
        return _cumulative(metric, measures, done, out)
    if kind == "conversion":
        return _conversion(metric, measures, done)
    raise Untranslatable(f"metric type {kind!r} is not supported")


def _conversion(metric: Any, measures: dict[str, _Measure], done: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A conversion metric over the plain metrics of its base and conversion measures (or metrics
    ``<name>__base`` / ``<name>__conversion`` made for them, with the measures' filters)."""
    params = getattr(metric.type_params, "conversion_type_params", None)
    if params is None:
        raise Untranslatable("a conversion metric without conversion_type_params")
    if params.constant_properties:
        raise Untranslatable("constant_properties (a property the conversion must share with its base event)")
    if metric.filter is not None:
        raise Untranslatable("a filter on the conversion metric itself (put it on its measures)")
    entry = _common(metric)
    name = entry["name"]
    produced: list[dict[str, Any]] = []
    entry["type"] = "conversion"
    for role, measure_input in (("base", params.base_measure), ("conversion", params.conversion_measure)):
        measure = measures.get(str(measure_input.name))
        if measure is None:
            raise Untranslatable(f"its {role} measure '{measure_input.name}' is not translated")
        if measure.agg not in _ACCUMULABLE or measure.non_additive is not None:
            raise Untranslatable(f"its {role} measure '{measure_input.name}' is not a count, sum or distinct count")
        reused = _plain_metric_of(metric, measure_input, measures, done)
        if reused is None:
            reused = f"{name}__{role}"
            if len(reused) > 63:
                raise Untranslatable(f"the name of its {role} metric {reused!r} would be over 63 characters")
            helper = _simple(metric, measure_input, measures, {"name": reused})
            helper["label"] = f"{entry.get('label', name)} ({role} events)"
            produced.append(helper)
        entry[role] = reused
    entry["entity"] = str(params.entity)
    window = params.window
    if window is not None:
        unit = str(window.granularity).lower()
        if unit not in GRAINS:
            raise Untranslatable(f"a window in {unit!r}")
        entry["window"] = f"{window.count} {unit}{'s' if window.count != 1 else ''}"
    if _value(params.calculation) == "conversions":
        entry["calculation"] = "conversions"
    return [*produced, entry]


def _simple(metric: Any, input_measure: Any, measures: dict[str, _Measure], entry: dict[str, Any]) -> dict[str, Any]:
    if input_measure is None:
        raise Untranslatable("a simple metric without a measure")
    measure = measures.get(str(input_measure.name))
    if measure is None:
        raise Untranslatable(f"its measure '{input_measure.name}' is not translated")
    fill = getattr(input_measure, "fill_nulls_with", None)
    if fill is not None and fill != 0:
        raise Untranslatable(f"fill_nulls_with: {fill}; onpace fills empty periods with 0 or null only")
    if fill is None and getattr(input_measure, "join_to_timespine", False) and measure.agg in _ACCUMULABLE:
        entry["empty_periods"] = "null"
    filters = _filters(getattr(input_measure, "filter", None), measure.context)
    filters += _filters(metric.filter, measure.context)
    if measure.non_additive is not None:
        return _semi_additive(entry, str(input_measure.name), measure, filters)
    entry["measure"] = f"{measure.dataset}.{input_measure.name}"
    if (condition := combine(filters)) is not None:
        entry["filter"] = condition
    dataset_time = measure.context.time_dimension
    if measure.time is not None and measure.time != dataset_time:
        entry["time"] = measure.time
    if measure.time is None:
        raise Untranslatable("its measure has no agg_time_dimension")
    return entry


def _semi_additive(entry: dict[str, Any], name: str, measure: _Measure, filters: list[str]) -> dict[str, Any]:
    params = measure.non_additive
    if measure.agg != "sum":
        raise Untranslatable(f"a non_additive_dimension on a '{measure.agg}' measure; onpace's are sums")
    entity = measure.time.split("__", 1)[0] if measure.time else None
    if entity is None or dimension_name(entity, str(params.name)) != measure.time:
        raise Untranslatable(
            f"its non_additive_dimension '{params.name}' is not the measure's agg_time_dimension; "
            "onpace takes balances over the metric's time"
        )
    groupings = [str(e) for e in params.window_groupings or []]
    missing = [e for e in groupings if e not in measure.context.dimensions]
    if missing:
        raise Untranslatable(
            f"non_additive_dimension.window_groupings: no semantic model has {', '.join(map(repr, missing))} as its "
            "primary entity, so onpace has no dimension to take each one's own snapshots by"
        )
    choice = _value(params.window_choice)
    semi: dict[str, Any] = {**entry, "type": "semi_additive", "measure": f"{measure.dataset}.{name}"}
    if groupings:
        semi["per"] = groupings  # the entity dimensions: each entity's own last (first) snapshot, summed
        semi["by_day"] = "snapshots"  # a day holds that day's snapshots only, as MetricFlow's do
    semi.pop("empty_periods", None)
    semi["over_time"] = "last" if choice == "max" else "first"
    if (condition := combine(filters)) is not None:
        semi["filter"] = condition
    return semi


def _input_filter(name: str, done: dict[str, dict[str, Any]], measures: dict[str, _Measure]) -> FilterContext:
    """The filter context of an input metric: its measure's, when it is a simple one."""
    entry = done.get(name, {})
    measure = str(entry.get("measure", "")).split(".")[-1]
    found = measures.get(measure)
    return found.context if found is not None else FilterContext()


def _offset(metric_input: Any) -> str | None:
    if getattr(metric_input, "offset_to_grain", None) is not None:
        grain = str(_value(metric_input.offset_to_grain)).lower()
        if grain == "day":
            return None  # the start of a day is the day
        if grain not in GRAINS:
            raise Untranslatable(f"input '{metric_input.name}' has offset_to_grain {grain!r}")
        return f"start of {grain}"
    window = getattr(metric_input, "offset_window", None)
    if window is None:
        return None
    unit = str(window.granularity).lower()
    if unit not in GRAINS:
        raise Untranslatable(f"input '{metric_input.name}' has an offset in {unit!r}")
    return f"{window.count} {unit}{'s' if window.count != 1 else ''}"


def _ratio(
    metric: Any, done: dict[str, dict[str, Any]], measures: dict[str, _Measure], dims: frozenset[str]
) -> dict[str, Any]:
    params = metric.type_params
    entry = _common(metric)
    sides = (params.numerator, params.denominator)
    plain = all(s.filter is None and s.alias is None and _offset(s) is None for s in sides)
    context = _input_filter(str(params.numerator.name), done, measures)
    if plain:
        entry.update(type="ratio", numerator=str(params.numerator.name), denominator=str(params.denominator.name))
        if metric.filter is not None:
            entry["filter"] = combine(_filters(metric.filter, context))
        return entry
    num = _derived_input(params.numerator, "numerator", metric.filter, done, measures)
    den = _derived_input(params.denominator, "denominator", metric.filter, done, measures)
    entry.update(type="derived", expr=f"{num['alias']} / {den['alias']}", inputs=[num, den])
    return entry


def _derived_input(
    metric_input: Any, alias: str, where: Any, done: dict[str, dict[str, Any]], measures: dict[str, _Measure]
) -> dict[str, Any]:
    name = str(metric_input.name)
    context = _input_filter(name, done, measures)
    entry: dict[str, Any] = {"metric": name, "alias": str(metric_input.alias or alias)}
    if (offset := _offset(metric_input)) is not None:
        entry["offset"] = offset
    if (condition := combine(_filters(metric_input.filter, context) + _filters(where, context))) is not None:
        entry["filter"] = condition
    return entry


def _derived(
    metric: Any, done: dict[str, dict[str, Any]], measures: dict[str, _Measure], dims: frozenset[str]
) -> dict[str, Any]:
    params = metric.type_params
    entry = _common(metric)
    if params.expr is None:
        raise Untranslatable("a derived metric without expr")
    expr = _expr(params.expr)
    inputs: list[dict[str, Any]] = []
    for metric_input in params.metrics or []:
        name = str(metric_input.name)
        context = _input_filter(name, done, measures)
        item: dict[str, Any] = {"metric": name}
        if metric_input.alias:
            item["alias"] = str(metric_input.alias)
        if (offset := _offset(metric_input)) is not None:
            item["offset"] = offset
        condition = combine(_filters(metric_input.filter, context) + _filters(metric.filter, context))
        if condition is not None:
            item["filter"] = condition
        if len(item) > 1:
            if "alias" not in item:
                item["alias"] = f"{name}_input"  # onpace needs an alias with an offset or a filter
                expr = re.sub(rf"\b{re.escape(name)}\b", item["alias"], expr or "")
            inputs.append(item)
    entry.update(type="derived", expr=expr)
    if inputs:
        entry["inputs"] = inputs
    return entry


def _cumulative(
    metric: Any, measures: dict[str, _Measure], done: dict[str, dict[str, Any]], out: Translation
) -> list[dict[str, Any]]:
    params = metric.type_params
    entry = _common(metric)
    name = entry["name"]
    cumulative = getattr(params, "cumulative_type_params", None)
    window = (cumulative.window if cumulative is not None else None) or params.window
    to_date = (cumulative.grain_to_date if cumulative is not None else None) or params.grain_to_date
    period_agg = _value(cumulative.period_agg) if cumulative is not None and cumulative.period_agg else "first"
    produced: list[dict[str, Any]] = []
    source = getattr(cumulative, "metric", None) if cumulative is not None else None
    if source is not None and metric.filter is None and source.filter is None:
        inner = done.get(str(source.name))
        if inner is None or inner.get("type", "simple") != "simple":
            raise Untranslatable(f"its metric '{source.name}' is not a simple metric")
        entry["metric"] = str(source.name)
    else:
        measure_input = params.measure
        if measure_input is None and source is not None:
            inner = done.get(str(source.name), {})
            measure_name = str(inner.get("measure", "")).split(".")[-1]
            measure_input = next((m for m in params.input_measures if str(m.name) == measure_name), None)
        if measure_input is None:
            raise Untranslatable("a cumulative metric without a measure")
        reused = _plain_metric_of(metric, measure_input, measures, done)
        if reused is not None:
            entry["metric"] = reused
            return _accumulate(entry, name, window, to_date, period_agg, measures, done, produced, out)
        helper_name = f"{name}__input"
        if len(helper_name) > 63:
            raise Untranslatable(f"the name of its input metric {helper_name!r} would be over 63 characters")
        helper = _simple(metric, measure_input, measures, {"name": helper_name})
        helper["label"] = f"{entry.get('label', name)} (input of the cumulative metric)"
        if helper.get("type", "simple") != "simple":
            raise Untranslatable("a cumulative metric over a semi-additive measure")
        produced.append(helper)
        entry["metric"] = helper_name
    return _accumulate(entry, name, window, to_date, period_agg, measures, done, produced, out)


def _plain_metric_of(
    metric: Any, measure_input: Any, measures: dict[str, _Measure], done: dict[str, dict[str, Any]]
) -> str | None:
    """A translated simple metric that is the measure itself (no filter, no time of its own), if any."""
    if metric.filter is not None or getattr(measure_input, "filter", None) is not None:
        return None
    measure = measures.get(str(measure_input.name))
    if measure is None:
        return None
    wanted = f"{measure.dataset}.{measure_input.name}"
    for entry in done.values():
        if (
            entry.get("measure") == wanted
            and entry.get("type", "simple") == "simple"
            and set(entry) <= {"name", "label", "description", "measure", "default_grain"}
        ):
            return str(entry["name"])
    return None


def _accumulate(
    entry: dict[str, Any],
    name: str,
    window: Any,
    to_date: Any,
    period_agg: str,
    measures: dict[str, _Measure],
    done: dict[str, dict[str, Any]],
    produced: list[dict[str, Any]],
    out: Translation,
) -> list[dict[str, Any]]:
    measure = measures.get(_measure_of(entry["metric"], done, produced))
    if measure is None or measure.agg not in _ACCUMULABLE:
        raise Untranslatable("onpace accumulates sums, counts and distinct counts only")
    entry["type"] = "cumulative"
    if window is not None:
        unit = str(window.granularity).lower()
        if unit not in GRAINS:
            raise Untranslatable(f"a window in {unit!r}")
        entry["window"] = f"{window.count} {unit}{'s' if window.count != 1 else ''}"
    elif to_date is not None:
        grain = _value(to_date)
        if grain not in _GRAIN_TO_DATE:
            raise Untranslatable(f"grain_to_date {grain!r}")
        entry["grain_to_date"] = grain
    if period_agg == "first":
        entry["period_agg"] = "first"
    elif period_agg == "last":
        out.caveats.append(
            Item(
                "metric",
                name,
                "period_agg last: in a period that ends after the last day with data (a period in progress) "
                "onpace takes the value as of that day, MetricFlow as of the period's last day in its time spine",
            )
        )
    else:
        raise Untranslatable(
            f"period_agg {period_agg!r}: onpace takes a period's value as of one of its days (first or last), "
            "not an aggregate of its days' values"
        )
    return [*produced, entry]


def _measure_of(metric: str, done: dict[str, dict[str, Any]], produced: Iterable[dict[str, Any]]) -> str:
    entries = {e["name"]: e for e in produced} | done
    return str(entries.get(metric, {}).get("measure", "")).split(".")[-1]


__all__ = ["METRIC_TIME", "Item", "Translation", "translate"]
