"""Checks of the references between definitions (no database needed).

Each rule returns issues rather than raising, so ``onpace validate`` lists
every problem at once. Checks that need the data (columns, types) live in
:mod:`onpace.engine.check`.
"""

from __future__ import annotations

from collections.abc import Iterable

from onpace.catalog import models as m
from onpace.catalog.dimref import dimension_of
from onpace.catalog.expr import ExpressionError, Name, parse, parse_condition
from onpace.catalog.lineage import datasets_read, dependencies, metric_refs
from onpace.catalog.loaded import MetricDef, Project, interpolate
from onpace.catalog.validate_alerts import check_alerts
from onpace.catalog.validate_goals import check_goals
from onpace.catalog.validate_reports import check_reports
from onpace.errors import Issue, did_you_mean

# what a cumulative metric accumulates (a running count of distinct values reads its rows)
CUMULABLE = (m.Agg.sum, m.Agg.count, m.Agg.count_distinct)


def check_project(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    issues += _check_sources(project)
    issues += _check_datasets(project)
    issues += _check_metrics(project)
    issues += _check_cycles(project)
    issues += check_goals(project)
    issues += check_alerts(project)
    issues += check_reports(project)
    return issues


def check_expression(project: Project, obj: m.Model, field: str, text: str | None) -> list[Issue]:
    if text is None:
        return []
    try:
        # a filter must be a condition: `filter: 1` or `filter: amount * 2` is refused here, located
        parse_condition(text) if field == "filter" else parse(text)
    except ExpressionError as exc:
        where = f" at column {exc.column}" if exc.column else ""
        reason, _, expected = exc.reason.partition("; expected ")
        return [
            project.issue(
                obj,
                f"{reason}{where} in {text!r}",
                field,
                suggestion=exc.suggestion,
                expected=expected or "a valid expression (see docs/definitions.md#expressions)",
            )
        ]
    return []


def _check_sources(project: Project) -> list[Issue]:
    issues = []
    cfg = project.config
    for name, source in cfg.sources.items():
        _, missing = interpolate(source.url, project.env)
        for var in missing:
            issues.append(
                project.issue(
                    source,
                    f"environment variable {var} is not set (source '{name}')",
                    "url",
                    expected="credentials in environment variables, e.g. export " + var + "=...",
                )
            )
        scheme = source.url.split(":", 1)[0].lower()
        if scheme not in KNOWN_SCHEMES:
            issues.append(
                project.issue(
                    source,
                    f"unsupported source URL scheme {scheme!r}",
                    "url",
                    expected="one of " + ", ".join(sorted(KNOWN_SCHEMES)),
                    suggestion=did_you_mean(scheme, KNOWN_SCHEMES),
                )
            )
    if cfg.default_source and cfg.sources and cfg.default_source not in cfg.sources:
        issues.append(
            project.issue(
                cfg,
                f"unknown source '{cfg.default_source}'",
                "default_source",
                expected="a name under 'sources'",
                suggestion=did_you_mean(cfg.default_source, cfg.sources),
            )
        )
    return issues


KNOWN_SCHEMES = {"duckdb", "postgres", "postgresql", "mysql", "mariadb", "spark", "pyspark"}


def _check_datasets(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    dim_owner: dict[str, m.Dataset] = {}
    for ds in project.datasets.values():
        if ds.source and ds.source not in project.sources:
            issues.append(
                project.issue(
                    ds,
                    f"unknown source '{ds.source}'",
                    "source",
                    expected="a name under 'sources' in onpace.yml",
                    suggestion=did_you_mean(ds.source, project.sources),
                )
            )
        for group, label in ((ds.keys, "key"), (ds.dimensions, "dimension"), (ds.measures, "measure")):
            seen: set[str] = set()
            for item in group:
                if item.name in seen:
                    issues.append(
                        project.issue(item, f"duplicate {label} name '{item.name}' in dataset '{ds.name}'", "name")
                    )
                seen.add(item.name)
        for key in ds.keys:
            issues += check_expression(project, key, "expr", key.expr)
        for dim in ds.dimensions:
            issues += check_expression(project, dim, "expr", dim.expr)
            if dim.name in dim_owner and dim_owner[dim.name] is not ds:
                other = dim_owner[dim.name]
                issues.append(
                    project.issue(
                        dim,
                        f"duplicate dimension name '{dim.name}' (also in dataset '{other.name}'); dimension names are unique in a project",
                        "name",
                    )
                )
            dim_owner.setdefault(dim.name, ds)
        for meas in ds.measures:
            issues += check_expression(project, meas, "expr", meas.expr)
            issues += check_expression(project, meas, "filter", meas.filter)
        if ds.time is not None:
            issues += _check_time_ref(project, ds, ds, "time", ds.time)
    return issues


def _check_time_ref(project: Project, obj: m.Model, ds: m.Dataset, field: str, ref: str) -> list[Issue]:
    found = project.find_dimension(ref)
    all_time = [d.name for _, d in project.dimensions() if d.type == "time"]
    if found is None:
        return [
            project.issue(
                obj,
                f"unknown time dimension '{ref}'",
                field,
                expected="the name of a dimension with type: time",
                suggestion=did_you_mean(ref, all_time),
            )
        ]
    if found[1].type != "time":
        return [
            project.issue(
                obj,
                f"dimension '{ref}' is not a time dimension",
                field,
                expected="a dimension with type: time",
                suggestion=did_you_mean(ref, all_time),
            )
        ]
    return []


def _check_metrics(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    for metric in project.metrics.values():
        for field, ref in metric_refs(metric):
            if isinstance(project.metrics.get(ref), m.ManualMetric):
                issues.append(
                    project.issue(
                        metric,
                        f"metric '{ref}' is entered by hand (type manual); {metric.type} metric '{metric.name}' "
                        "is computed from data and cannot use it",
                        "name",
                        expected="metrics computed from datasets",
                    )
                )
            if ref not in project.metrics:
                path: list[str | int] = [int(p) if p.isdigit() else p for p in field.split(".")]
                if path[0] == "inputs":
                    path.append("metric")
                issues.append(
                    project.issue(
                        metric,
                        f"unknown metric '{ref}' in {metric.type} metric '{metric.name}'",
                        *path,
                        expected="the name of a metric defined in the project",
                        suggestion=did_you_mean(ref, project.metrics),
                    )
                )
        if isinstance(metric, (m.SimpleMetric, m.SemiAdditiveMetric)):
            issues += _check_measure_metric(project, metric)
        if isinstance(metric, m.SimpleMetric) and metric.measure is not None:
            issues += _check_empty_periods(project, metric)
        if isinstance(metric, m.DerivedMetric):
            issues += check_expression(project, metric, "expr", metric.expr)
            aliases = [inp.ref for inp in metric.inputs]
            dupes = {a for a in aliases if aliases.count(a) > 1}
            for alias in sorted(dupes):
                issues.append(
                    project.issue(metric, f"input name '{alias}' is used twice; give one an 'alias'", "inputs")
                )
            for i, inp in enumerate(metric.inputs):
                issues += check_expression(project, inp, "filter", inp.filter)
                if inp.alias is None and inp.offset is not None:
                    issues.append(
                        project.issue(
                            metric,
                            f"input '{inp.metric}' has an offset but no 'alias'; name it so the expression can tell it from the current value",
                            "inputs",
                            i,
                        )
                    )
        if isinstance(metric, m.RatioMetric):
            issues += check_expression(project, metric, "filter", metric.filter)
        if isinstance(metric, m.ConversionMetric):
            issues += _check_conversion(project, metric)
        if isinstance(metric, m.CumulativeMetric) and metric.metric in project.metrics:
            base = project.metrics[metric.metric]
            ok = isinstance(base, m.SimpleMetric) and _simple_agg(project, base) in CUMULABLE
            if not ok:
                issues.append(
                    project.issue(
                        metric,
                        f"cumulative metric '{metric.name}' needs a simple sum, count or count_distinct metric, and '{base.name}' is a {_describe(project, base)} (an average, median, percentile, minimum or maximum of a window is not made of the values of its days)",
                        "metric",
                        expected="a simple metric with agg sum, count or count_distinct",
                    )
                )
    return issues


def _check_conversion(project: Project, metric: m.ConversionMetric) -> list[Issue]:
    """The base and conversion metrics: simple counts, sums or distinct counts of datasets that hold the entity."""
    issues: list[Issue] = []
    for field in ("base", "conversion"):
        name = getattr(metric, field)
        found = project.metrics.get(name)
        if found is None:
            continue  # an unknown metric is reported with the other references
        if not isinstance(found, m.SimpleMetric) or _simple_agg(project, found) not in CUMULABLE:
            issues.append(
                project.issue(
                    metric,
                    f"conversion metric '{metric.name}': its {field} metric '{name}' is a "
                    f"{_describe(project, found)}; events are counted, summed or counted distinct",
                    field,
                    expected="a simple metric with agg count, sum or count_distinct",
                )
            )
            continue
        for dataset in datasets_read(project, name):
            keys = [key.name for key in project.datasets[dataset].keys]
            if metric.entity not in keys:
                issues.append(
                    project.issue(
                        metric,
                        f"conversion metric '{metric.name}': dataset '{dataset}' of its {field} metric '{name}' "
                        f"has no key '{metric.entity}'",
                        "entity",
                        expected=f"a key of both metrics' datasets ({', '.join(keys) or 'it has none'})",
                        suggestion=did_you_mean(metric.entity, keys),
                    )
                )
    return issues


def _check_empty_periods(project: Project, metric: m.SimpleMetric) -> list[Issue]:
    """``empty_periods: zero`` on a metric whose measure is not a sum or a count (a metric with its
    own ``agg`` is checked when its file is read)."""
    agg = _simple_agg(project, metric)
    try:
        if agg is not None:
            m.check_empty_periods(agg, metric.empty_periods, metric.measure)
    except ValueError as exc:
        message, _, expected = str(exc).partition("; expected ")
        return [project.issue(metric, message, "empty_periods", expected=expected)]
    return []


def _describe(project: Project, metric: MetricDef) -> str:
    if isinstance(metric, m.SimpleMetric):
        agg = _simple_agg(project, metric)
        return f"simple {agg.value if agg else '?'} metric"
    return f"{metric.type} metric"


def _simple_agg(project: Project, metric: m.SimpleMetric) -> m.Agg | None:
    if metric.agg is not None:
        return metric.agg
    found = project.find_measure(metric.measure or "")
    return found[0][1].agg if len(found) == 1 else None


def _check_measure_metric(project: Project, metric: m.SimpleMetric | m.SemiAdditiveMetric) -> list[Issue]:
    issues: list[Issue] = []
    ds: m.Dataset | None = None
    if metric.measure is not None:
        found = project.find_measure(metric.measure)
        if not found:
            all_measures = [f"{d.name}.{x.name}" for d in project.datasets.values() for x in d.measures]
            all_measures += [x.name for d in project.datasets.values() for x in d.measures]
            issues.append(
                project.issue(
                    metric,
                    f"unknown measure '{metric.measure}'",
                    "measure",
                    expected="'dataset.measure' or the name of a measure",
                    suggestion=did_you_mean(metric.measure, all_measures),
                )
            )
        elif len(found) > 1:
            options = ", ".join(f"{d.name}.{x.name}" for d, x in found)
            issues.append(
                project.issue(
                    metric,
                    f"measure name '{metric.measure}' is ambiguous: {options}",
                    "measure",
                    expected="'dataset.measure'",
                )
            )
        else:
            ds = found[0][0]
            if isinstance(metric, m.SemiAdditiveMetric) and found[0][1].agg != m.Agg.sum:
                issues.append(
                    project.issue(
                        metric,
                        f"semi-additive metric '{metric.name}' needs a sum measure, '{metric.measure}' is {found[0][1].agg.value}",
                        "measure",
                    )
                )
    if metric.dataset is not None:
        ds = project.datasets.get(metric.dataset)
        if ds is None:
            issues.append(
                project.issue(
                    metric,
                    f"unknown dataset '{metric.dataset}'",
                    "dataset",
                    expected="the name of a dataset",
                    suggestion=did_you_mean(metric.dataset, project.datasets),
                )
            )
    issues += check_expression(project, metric, "expr", metric.expr)
    issues += check_expression(project, metric, "filter", metric.filter)
    if isinstance(metric, m.SemiAdditiveMetric):
        issues += _check_per(project, metric, ds)
    if ds is not None:
        if metric.time is not None:
            issues += _check_time_ref(project, metric, ds, "time", metric.time)
        elif ds.time is None:
            issues.append(
                project.issue(
                    metric,
                    f"no time dimension: dataset '{ds.name}' has no 'time' and the metric sets none",
                    "name",
                    expected="'time: <time dimension>' on the dataset or the metric",
                )
            )
    return issues


def _check_per(project: Project, metric: m.SemiAdditiveMetric, ds: m.Dataset | None) -> list[Issue]:
    """The entity dimensions of a semi-additive metric: known dimensions, not its time.

    Whether each is reachable from the metric's dataset is checked with the data
    (``onpace validate``) and when the metric is queried.
    """
    issues: list[Issue] = []
    dims = [dim.name for _, dim in project.dimensions()]
    time = metric.time or (ds.time if ds is not None else None)
    for i, ref in enumerate(metric.per):
        bare = dimension_of(ref, dims, project.key_names())
        if bare not in dims:
            issues.append(
                project.issue(
                    metric,
                    f"unknown dimension '{ref}' in 'per' of semi-additive metric '{metric.name}'",
                    "per",
                    i,
                    expected="the name of a dimension of the metric's dataset or reachable from it",
                    suggestion=did_you_mean(bare, dims),
                )
            )
        elif bare == time:
            issues.append(
                project.issue(
                    metric,
                    f"'per' of semi-additive metric '{metric.name}' names its time dimension '{ref}'",
                    "per",
                    i,
                    expected="dimensions naming the entity whose snapshots are taken, e.g. [warehouse]",
                )
            )
    return issues


def _check_cycles(project: Project) -> list[Issue]:
    issues: list[Issue] = []
    graph = {
        name: [d for d in dependencies(metric) if d in project.metrics] for name, metric in project.metrics.items()
    }
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    issues.append(
                        project.issue(
                            project.metrics[nxt],
                            "cycle between metrics: " + " -> ".join(cycle),
                            "name",
                            expected="metrics that do not depend on themselves",
                        )
                    )
            elif state.get(nxt) is None:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in graph:
        if state.get(name) is None:
            visit(name, [])
    return issues


def name_texts(nodes: Iterable[Name]) -> list[str]:
    return [n.text for n in nodes]
