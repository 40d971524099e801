"""Acceptance: onpace's numbers for MetricFlow's own tutorial project equal MetricFlow's, cell by cell.

``mf tutorial`` (dbt-metricflow, in ``.venv-dbt``: ``make dbt-venv``) writes a dbt project with
seeds, semantic models and metrics; ``dbt build`` loads it into a DuckDB file. Every metric of
the tutorial is then asked of ``mf query`` (one process per set of group-bys: a few seconds
each) and of onpace's engine over the imported project, on the same file, and the results are
compared within 1e-9 relative. One metric is added to the tutorial's, for the concept it lacks
(``offset_to_grain``). What onpace does not translate must be reported as such: a
metric or a query left out of the comparison without its report item fails the test.

Rows one side has and the other has not must hold only "no data" on that side's behalf: onpace
fills every period (x dimension values) with 0 where MetricFlow, unless a metric joins the time
spine, returns no row, and MetricFlow runs cumulative metrics to the end of its time spine.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import require_or_skip

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.importers.apply import apply_import, plan_import
from onpace.importers.names import group_by

ROOT = Path(__file__).resolve().parents[2]
DBT_BIN = ROOT / ".venv-dbt" / "bin"
REL = 1e-9

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    group_by: tuple[str, ...]
    metrics: tuple[str, ...] | None = None  # None: every metric that can be grouped so
    timed: bool = True  # with the metrics that need metric_time: cumulative ones and offsets
    customers: bool = True  # with new_customers and the conversions of sign-ups (of the customers model)
    # with the non-additive (semi-additive) metrics; without them where the snapshot day differs by design:
    # grouped by the measure's own time dimension at a grain and no metric_time, MetricFlow takes one per
    # value of that grain, onpace one per query period (docs/dbt.md)
    snapshots: bool = True


CASES = [
    Case(("metric_time__day",)),
    Case(("metric_time__day", "customer__customer_country")),
    Case(("metric_time__day", "transaction__is_large"), customers=False),
    Case(("metric_time__month",)),
    Case(("metric_time__month", "customer__country__region"), customers=False),
    Case(("metric_time__month", "country__region"), metrics=("new_customers",)),
    Case(("metric_time__month", "transaction__quick_buy_transaction"), customers=False),
    Case(("customer__customer_country",), timed=False),
    # entities are dimensions too: the customer itself, and one reached through another
    # (cumulative metrics by customer at month grain differ by design: docs/dbt.md, period_agg first)
    Case(("metric_time__month", "customer"), timed=False),
    Case(("metric_time__day", "customer")),
    # a time dimension other than metric_time at a grain: customers' sign-up month, transactions' week
    Case(("metric_time__month", "customer__ds__month"), timed=False),
    Case(("transaction__ds__week",), timed=False, customers=False, snapshots=False),
    Case(("metric_time__day", "customer__country"), timed=False),
]


# added to the tutorial's transactions model and metrics: what it lacks of MetricFlow's concepts
# onpace translates (offset_to_grain; non-additive measures, with and without window_groupings; conversions)
EXTRA_MEASURES = """\
      - name: amount_on_last_day
        expr: transaction_amount_usd
        agg: SUM
        non_additive_dimension: {name: ds, window_choice: max}
      - name: amount_on_first_day
        expr: transaction_amount_usd
        agg: SUM
        non_additive_dimension: {name: ds, window_choice: min}
      - name: amount_on_each_customers_last_day
        expr: transaction_amount_usd
        agg: SUM
        non_additive_dimension: {name: ds, window_choice: max, window_groupings: [customer]}
"""
EXTRA_METRICS = """
  - {name: amount_on_last_day, label: Last day, type: simple, type_params: {measure: amount_on_last_day}}
  - {name: amount_on_first_day, label: First day, type: simple, type_params: {measure: amount_on_first_day}}
  - name: amount_on_each_customers_last_day
    label: Each customer's last day
    type: simple
    type_params: {measure: amount_on_each_customers_last_day}
  - name: signups_transacting_within_week
    label: Sign-ups transacting within 7 days
    type: conversion
    type_params:
      conversion_type_params:
        entity: customer
        calculation: conversion_rate
        base_measure: {name: new_customers}
        conversion_measure: {name: transactions}
        window: 7 days
  - name: transactions_after_signup
    label: Transactions after sign-up
    type: conversion
    type_params:
      conversion_type_params:
        entity: customer
        calculation: conversions
        base_measure: {name: new_customers}
        conversion_measure: {name: transactions}
  - name: transactions_at_month_start
    label: Transactions on the first day of the month
    type: derived
    type_params:
      expr: start_of_month
      metrics:
        - name: transactions
          alias: start_of_month
          offset_to_grain: month
"""


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "DBT_PROFILES_DIR": str(cwd), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not (DBT_BIN / "mf").exists():
        require_or_skip(".venv-dbt has no dbt-metricflow: run `make dbt-venv` (scripts/dbt-venv.sh)")
    base = tmp_path_factory.mktemp("mf")
    _run([str(DBT_BIN / "mf"), "tutorial", "--yes"], base)
    dbt = base / "mf_tutorial_project"
    with (dbt / "models" / "sample_model" / "metrics.yml").open("a", encoding="utf-8") as f:
        f.write(EXTRA_METRICS)
    transactions = dbt / "models" / "sample_model" / "transactions.yml"
    text = transactions.read_text(encoding="utf-8")
    assert text.count("    measures:\n") == 1, "the tutorial's transactions model changed: place the measures by hand"
    transactions.write_text(text.replace("    measures:\n", "    measures:\n" + EXTRA_MEASURES), encoding="utf-8")
    _run([str(DBT_BIN / "dbt"), "build"], dbt)
    manifest = json.loads((dbt / "target" / "semantic_manifest.json").read_text(encoding="utf-8"))
    metrics = {m["name"]: m for m in manifest["metrics"]}
    plan = plan_import(dbt, base / "onpace")
    # every MetricFlow query first: mf opens the DuckDB file read-write, onpace only reads it
    results: dict[Case, list[dict[str, str]]] = {}
    for case in CASES:
        names = _case_metrics(case, metrics, {i.name for i in plan.not_translated if i.kind == "metric"})
        out = base / f"q{len(results)}.csv"
        _run([str(DBT_BIN / "mf"), "query", "--metrics", ",".join(names), "--group-by", ",".join(case.group_by),
              "--csv", str(out)], dbt)  # fmt: skip
        with out.open(newline="", encoding="utf-8") as f:
            results[case] = list(csv.DictReader(f))
    apply_import(plan)
    return {"metrics": metrics, "plan": plan, "results": results, "project": base / "onpace"}


def _case_metrics(case: Case, metrics: dict[str, Any], untranslated: set[str]) -> list[str]:
    names = []
    for name, metric in metrics.items():
        if case.metrics is not None and name not in case.metrics:
            continue
        if name in untranslated:
            continue
        if not case.timed and _needs_time(metric):
            continue
        if name.startswith("amount_on_") and not case.snapshots:
            continue
        if not case.customers and (name == "new_customers" or metric["type"] == "conversion"):  # sign-ups
            continue
        names.append(name)
    return names


def _needs_time(metric: dict[str, Any]) -> bool:
    inputs = metric["type_params"].get("metrics") or []
    offsets = any(i.get("offset_window") or i.get("offset_to_grain") for i in inputs)
    return metric["type"] == "cumulative" or offsets


def test_every_tutorial_metric_is_translated_or_reported(tutorial: dict[str, Any]) -> None:
    plan = tutorial["plan"]
    translated = {m["name"] for m in plan.translation.metrics}
    reported = {i.name: i.reason for i in plan.not_translated if i.kind == "metric"}
    for name in tutorial["metrics"]:
        assert name in translated or reported.get(name), f"metric {name!r} neither translated nor reported"
    # the tutorial's metrics are all translatable: simple, filtered, ratio, derived (offset_to_grain too), cumulative
    assert set(tutorial["metrics"]) <= translated, reported
    assert not plan.not_translated, [str(i) for i in plan.not_translated]
    # cumulative metrics keep MetricFlow's period_agg (first, its default): nothing to caveat
    assert not [c for c in plan.translation.caveats if "period_agg" in c.reason]


def _period_end(first: date, grain: str) -> date:
    if grain == "day":
        return first
    assert grain == "month", grain
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _cell(name: str, text: str) -> str:
    """A group-by's value as both sides write it: a time dimension at a grain as its day."""
    return text[:10] if name.rpartition("__")[2] in ("day", "week", "month", "quarter", "year") else text


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    return float(text)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a or 0.0) == (b or 0.0)  # no row / null on one side is 0 on the other: no data
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0) or a == b


def _empty(values: dict[str, float | None]) -> bool:
    return all(v is None or v == 0 for v in values.values())


@pytest.mark.parametrize("case", CASES, ids=lambda c: "+".join(c.group_by))
def test_onpace_equals_metricflow(tutorial: dict[str, Any], case: Case) -> None:
    rows = tutorial["results"][case]
    assert rows, f"MetricFlow returned no rows for {case.group_by}"
    untranslated = {i.name for i in tutorial["plan"].not_translated if i.kind == "metric"}
    metrics = _case_metrics(case, tutorial["metrics"], untranslated)
    grain, dims = None, []
    time_column = None
    for name in case.group_by:
        g, d = group_by(name)
        if g is not None:
            grain, time_column = g, name
        else:
            dims.append(d)
    mf: dict[tuple[Any, ...], dict[str, float | None]] = {}
    for row in rows:
        key = ((row[time_column][:10],) if time_column else ()) + tuple(
            _cell(n, row[n]) for n in case.group_by if n != time_column
        )
        mf[key] = {m: _number(row[m]) for m in metrics}
    days = sorted(k[0] for k in mf) if time_column else []
    query = Query(
        metrics=metrics,
        dimensions=[d for d in dims if d is not None],
        grain=grain,
        # MetricFlow runs cumulative metrics to the end of its time spine: onpace to the same last period
        end=_period_end(date.fromisoformat(days[-1]), grain) if days and grain else None,
    )
    with Engine(load_project(tutorial["project"])) as engine:
        table = engine.query(query).to_pylist()
    ours: dict[tuple[Any, ...], dict[str, float | None]] = {}
    for row in table:
        key = ((row["period"].isoformat(),) if grain else ()) + tuple(
            "" if row[d] is None else _cell(d, str(row[d])) for d in query.dimensions
        )
        ours[key] = {m: None if row[m] is None else float(row[m]) for m in metrics}
    compared = dict.fromkeys(metrics, 0)
    for key, values in mf.items():
        if key not in ours:
            assert _empty(values), f"{case.group_by} {key}: MetricFlow has {values}, onpace no row"
            continue
        for metric, value in values.items():
            assert _same(value, ours[key][metric]), (
                f"{case.group_by} {key} {metric}: MetricFlow {value}, onpace {ours[key][metric]}"
            )
            compared[metric] += value not in (None, 0)
    for key, values in ours.items():
        if key not in mf:
            assert _empty(values), f"{case.group_by} {key}: onpace has {values}, MetricFlow no row"
    assert all(compared.values()), f"a metric with no non-zero cell compared: {compared}"
