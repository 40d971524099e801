"""Checks that need the data sources: tables, columns, types, reachable dimensions.

Like the catalog's checks, these collect every issue (with file and line)
instead of stopping at the first.
"""

from __future__ import annotations

from typing import Any

from ibis.common.exceptions import TableNotFound

from onpace.catalog import models as m
from onpace.catalog.expr import ExpressionError, Name, names, parse
from onpace.catalog.project import Project
from onpace.engine.connect import settle, table_names
from onpace.engine.engine import Engine
from onpace.engine.joins import JoinGraph
from onpace.engine.scan import reserved_column
from onpace.errors import Issue, OnpaceError, QueryError, did_you_mean

# a metric's value is a number: min and max of a date or a text are refused as a sum of one is
NUMERIC_AGGS = (m.Agg.sum, m.Agg.avg, m.Agg.median, m.Agg.percentile, m.Agg.min, m.Agg.max)


def check_sources(project: Project, engine: Engine | None = None) -> list[Issue]:
    """Every problem found by comparing the definitions with the data sources.

    ``project`` may be one that loaded only in part (:func:`onpace.catalog.project.read_project`):
    what it has is checked, and what the catalog's checks already report (an unknown source) is
    left to them.
    """
    own = engine is None
    engine = engine or Engine(project)
    try:
        return _Checker(project, engine).run()
    finally:
        if own:
            engine.close()


class _Checker:
    def __init__(self, project: Project, engine: Engine) -> None:
        self.project = project
        self.engine = engine
        self.graph = JoinGraph(project)
        self.issues: list[Issue] = []
        self.schemas: dict[str, dict[str, Any]] = {}

    def run(self) -> list[Issue]:
        broken_sources: set[str] = set()
        for name, source in self.project.sources.items():
            if not any(self.project.source_of(ds) == name for ds in self.project.datasets.values()):
                continue
            try:
                self.engine.backend(name)
            except OnpaceError as exc:
                broken_sources.add(name)
                self.issues.append(self.project.issue(source, f"cannot connect to source '{name}': {exc}", "url"))
        for ds in self.project.datasets.values():
            where = self.project.source_of(ds)
            if where in broken_sources or where not in self.project.sources:
                continue  # an unknown source is reported by the catalog's checks
            self._dataset(ds)
        for metric in self.project.metrics.values():
            self._metric(metric)
        return self.issues

    # -- datasets ---------------------------------------------------------------
    def _dataset(self, ds: m.Dataset) -> None:
        try:
            table = self.engine.table(ds.name)
            schema = dict(table.schema().items())
        except OnpaceError as exc:
            field = "table" if ds.table else "sql"
            con = self.engine.backend(self.project.source_of(ds))
            settle(con)  # a failed statement must not leave a result that blocks the next dataset's
            suggestion = None
            if ds.table:
                try:
                    suggestion = did_you_mean(ds.table.split(".")[-1], table_names(con))
                except Exception:  # noqa: BLE001 - the suggestion is a bonus
                    settle(con)
                    suggestion = None
            self.issues.append(
                self.project.issue(
                    ds,
                    f"dataset '{ds.name}': {_reason(exc)}",
                    field,
                    expected="an existing table" if ds.table else "a query that runs",
                    suggestion=suggestion,
                )
            )
            return
        self.schemas[ds.name] = schema
        for key in ds.keys:
            ok = self._own_columns(ds, key, "expr" if key.expr else "column", key.expression, schema) is not None
            if ok and key.primary:
                self._unique(ds, key, table)
        for dim in ds.dimensions:
            dtype = self._own_columns(ds, dim, "expr" if dim.expr else "column", dim.expression, schema)
            if dim.type == "time" and dtype is not None and not (dtype.is_date() or dtype.is_timestamp()):
                self.issues.append(
                    self.project.issue(
                        dim,
                        f"time dimension '{dim.name}' is {dtype}, not a date or timestamp",
                        "expr" if dim.expr else "column",
                        expected="a date or timestamp column",
                    )
                )
        for measure in ds.measures:
            self._measure_like(ds, measure, measure.agg, measure.expr, measure.filter)

    def _unique(self, ds: m.Dataset, key: m.Key, table: Any) -> None:
        """A primary key must be unique in the data, or joins through it would count rows twice."""
        from onpace.engine.scan import _own_expr

        value = _own_expr(table, ds, key.expression, key.name)
        stats = table.aggregate(rows=value.count(), distinct=value.nunique())
        try:
            row = self.engine._execute(stats, self.project.source_of(ds)).to_pylist()[0]
        except OnpaceError as exc:
            settle(self.engine.backend(self.project.source_of(ds)))
            self.issues.append(self.project.issue(key, f"cannot check key '{key.name}': {exc}", "primary"))
            return
        repeats = int(row["rows"] or 0) - int(row["distinct"] or 0)
        if repeats > 0:
            self.issues.append(
                self.project.issue(
                    key,
                    f"key '{key.name}' is primary in dataset '{ds.name}' but {repeats} of its values repeat; "
                    "joins through it would count rows more than once",
                    "primary",
                    expected="one row per key value (or remove 'primary: true')",
                )
            )

    def _own_columns(self, ds: m.Dataset, obj: m.Model, field: str, text: str, schema: dict[str, Any]) -> Any:
        try:
            tree = parse(text)
        except ExpressionError:
            return None  # reported by the catalog checks
        ok = True
        for name in names(tree):
            if name.text not in schema:
                ok = False
                self.issues.append(
                    self.project.issue(
                        obj,
                        f"unknown column '{name.text}' in dataset '{ds.name}'",
                        field,
                        expected=f"a column of {ds.table or 'the dataset query'}",
                        suggestion=did_you_mean(name.text, schema),
                    )
                )
        if not ok:
            return None
        return self._type_of(ds, text)

    def _type_of(self, ds: m.Dataset, text: str, *, allow_dimensions: bool = False) -> Any:
        from onpace.engine.compile_expr import compile_expr

        table = self.engine.table(ds.name)

        def resolve(name: Name) -> Any:
            if name.text in table.columns:
                return table[name.text]
            found = self.project.find_dimension(name.text) if allow_dimensions else None
            if found is None:
                raise QueryError(f"unknown name '{name.text}'")
            owner = found[0]
            other = self.engine.table(owner.name)
            from onpace.engine.scan import _own_expr

            return _own_expr(other, owner, found[1].expression, found[1].name)

        try:
            return compile_expr(parse(text), resolve).type()
        except Exception:  # noqa: BLE001 - type errors surface elsewhere
            return None

    def _measure_like(self, ds: m.Dataset, obj: m.Model, agg: m.Agg | None, expr: str | None, filt: str | None) -> None:
        schema = self.schemas.get(ds.name)
        if schema is None:
            return
        if expr is not None:
            ok = self._names(ds, obj, "expr", expr, schema)
            dtype = self._type_of(ds, expr, allow_dimensions=True) if ok else None
            if ok and agg in NUMERIC_AGGS and dtype is not None and not (dtype.is_numeric() or dtype.is_boolean()):
                self.issues.append(
                    self.project.issue(
                        obj,
                        f"cannot {agg.value} '{expr}': it is {dtype}, not a number",
                        "expr",
                        expected="a numeric column or expression",
                    )
                )
        if filt is not None:
            ok = self._names(ds, obj, "filter", filt, schema)
            dtype = self._type_of(ds, filt, allow_dimensions=True) if ok else None
            if ok and dtype is not None and not dtype.is_boolean():
                self.issues.append(
                    self.project.issue(
                        obj,
                        f"filter '{filt}' is {dtype}, not a condition",
                        "filter",
                        expected="a condition such as region = 'EU'",
                    )
                )

    def _names(self, ds: m.Dataset, obj: m.Model, field: str, text: str, schema: dict[str, Any]) -> bool:
        try:
            tree = parse(text)
        except ExpressionError:
            return False
        ok = True
        for name in names(tree):
            if name.text in schema:
                problem = reserved_column(name.text, ds.name)
                if problem is not None:
                    ok = False
                    self.issues.append(self.project.issue(obj, problem, field))
                continue
            if self.graph.is_dimension(name.text):
                try:
                    self.graph.resolve(ds.name, name.text)
                except QueryError as exc:
                    ok = False
                    self.issues.append(self.project.issue(obj, str(exc), field))
                continue
            ok = False
            options = [*schema, *self.graph.dimension_names()]
            self.issues.append(
                self.project.issue(
                    obj,
                    f"unknown column or dimension '{name.text}' (dataset '{ds.name}')",
                    field,
                    expected=f"a column of dataset '{ds.name}' or a dimension reachable from it",
                    suggestion=did_you_mean(name.text, options),
                )
            )
        return ok

    # -- metrics ----------------------------------------------------------------
    def _metric(self, metric: Any) -> None:
        if isinstance(metric, (m.SimpleMetric, m.SemiAdditiveMetric)):
            ds = self._metric_dataset(metric)
            if ds is None:
                return
            agg = metric.agg if isinstance(metric, m.SimpleMetric) else m.Agg.sum
            if metric.expr is not None:
                self._measure_like(ds, metric, agg, metric.expr, None)
            if metric.filter is not None:
                self._measure_like(ds, metric, None, None, metric.filter)
            time = metric.time or ds.time
            if time is not None and self.project.find_dimension(time) is not None:
                try:
                    self.graph.resolve(ds.name, time)
                except QueryError as exc:
                    self.issues.append(self.project.issue(metric, str(exc), "time" if metric.time else "name"))
            if isinstance(metric, m.SemiAdditiveMetric):
                for i, ref in enumerate(metric.per):
                    if not self.graph.is_dimension(ref):
                        continue  # reported by the catalog's checks
                    try:
                        self.graph.resolve(ds.name, ref)
                    except QueryError as exc:
                        self.issues.append(
                            self.project.issue(
                                metric, f"'per' of semi-additive metric '{metric.name}': {exc}", "per", i
                            )
                        )
        elif isinstance(metric, m.RatioMetric) and metric.filter:
            self._filter_dims(metric, "filter", metric.filter)
        elif isinstance(metric, m.DerivedMetric):
            for i, inp in enumerate(metric.inputs):
                if inp.filter:
                    self._filter_dims(inp, "filter", inp.filter, where=("inputs", i))

    def _metric_dataset(self, metric: m.SimpleMetric | m.SemiAdditiveMetric) -> m.Dataset | None:
        if metric.measure is not None:
            found = self.project.find_measure(metric.measure)
            return found[0][0] if len(found) == 1 else None
        return self.project.datasets.get(metric.dataset or "")

    def _filter_dims(self, obj: m.Model, field: str, text: str, where: tuple[str | int, ...] = ()) -> None:
        try:
            tree = parse(text)
        except ExpressionError:
            return
        for name in names(tree):
            if not self.graph.is_dimension(name.text):
                self.issues.append(
                    self.project.issue(
                        obj,
                        f"unknown dimension '{name.text}'",
                        field,
                        expected="the name of a dimension",
                        suggestion=did_you_mean(name.text, self.graph.dimension_names()),
                    )
                )


def _reason(exc: Exception) -> str:
    if isinstance(exc.__cause__, TableNotFound):
        return f"table '{exc.__cause__}' does not exist"
    text = str(exc)
    return text.split(": ", 2)[-1] if "cannot read" in text else text
