"""Every case of cases/*.yaml on every backend, against its check SQL run on the DuckDB copy.

A case passes on a backend when the engine's result has the columns, the Arrow
types (docs/engine-contract.md: period date32, count metrics int64 — a running
count too — every other metric float64), and the rows (same order, numbers
within 1e-9 relative, nulls equal) of the check query. A case that declares ``unsupported: {backend: why}``
passes there only if the engine refuses the query with a clear onpace error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.engine import Engine, Query
from onpace.errors import BackendError, OnpaceError

from .cases import BACKENDS, Case, load_cases
from .compare import differences, rows_of, type_problems
from .conftest import EngineFactory, Reference

CASES = load_cases()
COUNT_AGGS = (m.Agg.count, m.Agg.count_distinct)


def _params() -> Iterator[object]:
    for case in CASES:
        for backend in BACKENDS:
            marks = [] if backend == "duckdb" else [getattr(pytest.mark, backend)]
            yield pytest.param(case, backend, id=f"{case.name}-{backend}", marks=marks)


def query_of(case: Case) -> Query:
    return Query(
        metrics=list(case.metrics),
        dimensions=list(case.dimensions),
        grain=case.grain,
        start=case.start,
        end=case.end,
        where=case.where,
    )


def metric_type(project: Project, name: str) -> pa.DataType:
    """int64 for count and count_distinct metrics (and cumulative counts), float64 for every other metric."""
    metric = project.metrics[name]
    if isinstance(metric, m.CumulativeMetric):
        return metric_type(project, metric.metric)
    if isinstance(metric, m.SimpleMetric):
        agg = metric.agg
        if agg is None and metric.measure is not None:
            agg = project.find_measure(metric.measure)[0][1].agg
        if agg in COUNT_AGGS:
            return pa.int64()
    return pa.float64()


def expected_types(project: Project, case: Case) -> dict[str, pa.DataType]:
    types: dict[str, pa.DataType] = {"period": pa.date32()} if case.grain else {}
    types.update({name: pa.string() for name in case.dimensions})
    types.update({name: metric_type(project, name) for name in case.metrics})
    return types


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25
    assert {c.project for c in CASES} == {"main", "fiscal"}


@pytest.mark.parametrize(("case", "backend"), list(_params()))
def test_case(
    case: Case, backend: str, engines: EngineFactory, reference: Reference, request: pytest.FixtureRequest
) -> None:
    engine = engines(case.project, backend, request)
    query = query_of(case)

    if backend in case.unsupported:
        with pytest.raises(OnpaceError) as info:
            engine.query(query)
        assert not isinstance(info.value, BackendError), (
            f"{case.name} on {backend} should be refused before it reaches the backend "
            f"({case.unsupported[backend]}), got a backend failure: {info.value}"
        )
        return

    columns, want = reference.run(case.check_sql)
    assert columns == case.columns, f"the check SQL of {case.name} ({case.file}) returns {columns}, not {case.columns}"

    got = _run(engine, query, f"{case.name} on {backend}")
    problems: list[str] = []
    if got.column_names != case.columns:
        problems.append(f"columns: expected {case.columns}, got {got.column_names}")
    else:
        problems += type_problems(got, expected_types(engine.project, case))
        problems += differences(case.columns, want, rows_of(got))
    if problems:
        pytest.fail(
            f"{case.name} on {backend} ({case.file}):\n  "
            + "\n  ".join(problems)
            + "\n\nengine SQL:\n"
            + _engine_sql(engine, query),
            pytrace=False,
        )


def _run(engine: Engine, query: Query, what: str) -> pa.Table:
    failure = ""
    try:
        return engine.query(query)
    except OnpaceError as exc:
        failure = f"{what}: {type(exc).__name__}: {exc}\n\nengine SQL:\n{_engine_sql(engine, query)}"
    pytest.fail(failure, pytrace=False)  # outside the except block: no chained traceback in the report


def _engine_sql(engine: Engine, query: Query) -> str:
    try:
        return engine.sql(query)
    except Exception as exc:  # noqa: BLE001 - only for the failure message
        return f"(no SQL: {exc})"
