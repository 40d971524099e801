"""Broken projects: each one must fail with issues a person can act on.

Every folder under ``broken/`` is a small project with one kind of mistake (or
several, in ``several_at_once``). For each, the test pins the file, the exact
line, what the message names, what was expected and the "did you mean".
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import duckdb
import pytest

from onpace.catalog.project import Project, load_project
from onpace.errors import DefinitionError, Issue

BROKEN = Path(__file__).parent / "broken"


@dataclass(frozen=True)
class Want:
    """One issue the project must report."""

    file: str
    line: int
    message: str  # a part of the message: it must name what is wrong
    expected: str | None = None  # a part of `expected`, when the issue says what was expected
    suggestion: str | None = None  # the exact "did you mean"

    def matches(self, issue: Issue) -> bool:
        return issue.file == self.file and issue.line == self.line and self.message in issue.message


CASES: dict[str, list[Want]] = {
    "kpi_problems": [
        Want("models/shape.yml", 8, "a target needs exactly one of 'at_least', 'at_most', 'between' or 'change'"),
        Want("models/goals.yml", 4, "unknown parent objective 'grwo'", expected="an objective", suggestion="grow"),
        Want("models/goals.yml", 6, "cycle between objectives: loop_a -> loop_b -> loop_a"),
        Want(
            "models/goals.yml",
            11,
            "KPI 'just_a_number' has no objective, target, timeframe or review cadence; "
            "a KPI needs a metric, an objective, a target, a timeframe, an owner and a review cadence. "
            "Without them it is not a KPI: it can stay a metric",
            expected="metric, objective, target, timeframe, owner, review_cadence",
        ),
        Want("models/goals.yml", 15, "unknown metric 'revenu' in KPI 'wrong_references'", suggestion="revenue"),
        Want("models/goals.yml", 16, "unknown objective 'grwth' in KPI 'wrong_references'", suggestion="grow"),
        Want("models/goals.yml", 18, "invalid period '2025-Q5'", expected="YYYY-QN"),
        Want("models/goals.yml", 20, "unknown dimension 'regoin' in segment", suggestion="region"),
        Want("models/goals.yml", 28, "target 'at_least' contradicts direction 'lower'", expected="at_most"),
        Want("models/goals.yml", 37, "a milestone with 'date' needs a one-period timeframe", expected="'elapsed'"),
        Want("models/goals.yml", 40, "two targets for the KPI from 2025-01-01 (targets 0 and 1)"),
        Want("models/goals.yml", 41, "target for segment 'EU' but the KPI has no 'segment_by'", expected="segment_by"),
    ],
    "ratio_unknown_metric": [
        Want(
            "models/metrics.yml",
            9,
            "unknown metric 'order' in ratio metric 'average_order_value'",
            expected="a metric defined in the project",
            suggestion="orders",
        ),
    ],
    "derived_unknown_metric": [
        Want(
            "models/metrics.yml",
            8,
            "unknown metric 'orders_count' in derived metric 'revenue_per_order'",
            expected="a metric defined in the project",
            suggestion="orders",
        ),
        Want(
            "models/metrics.yml",
            14,
            "unknown metric 'revenu' in derived metric 'revenue_growth'",
            expected="a metric defined in the project",
            suggestion="revenue",
        ),
    ],
    "cycle_two": [
        Want(
            "models/metrics.yml",
            4,
            "cycle between metrics: gross_margin -> cost -> gross_margin",
            expected="metrics that do not depend on themselves",
        ),
    ],
    "cycle_three": [
        Want(
            "models/metrics.yml",
            4,
            "cycle between metrics: step_a -> step_b -> step_c -> step_a",
            expected="metrics that do not depend on themselves",
        ),
    ],
    "duplicate_metric": [
        Want("models/sales.yml", 2, "duplicate metric name 'orders' (first defined in models/metrics.yml:4)"),
    ],
    "duplicate_dimension": [
        Want("models/datasets.yml", 19, "duplicate dimension name 'region' (also in dataset 'orders')"),
        Want("models/datasets.yml", 21, "duplicate dimension name 'segment' in dataset 'customers'"),
    ],
    "filter_syntax": [
        Want("models/metrics.yml", 4, "unexpected '=' at column 10 in \"channel == 'web'\"", expected="a name"),
    ],
    "unknown_function": [
        Want("models/metrics.yml", 5, "unknown function 'rond' at column 1 in 'rond(amount, 2)'", suggestion="round"),
    ],
    "wrong_types": [
        Want("models/metrics.yml", 4, "invalid value 'up'", expected="higher or lower"),
        Want("models/metrics.yml", 5, "invalid value 5", expected="list"),
        Want("models/metrics.yml", 9, "invalid duration 'abc'", expected="such as '28 days'"),
        Want("models/metrics.yml", 14, "invalid value 2", expected="less than 1"),
    ],
    "unknown_key": [
        Want("models/metrics.yml", 4, "unknown key 'curency'", expected="kind, currency", suggestion="currency"),
        Want(
            "models/metrics.yml", 9, "unknown key 'numeratr'", expected="numerator, denominator", suggestion="numerator"
        ),
        Want("models/datasets.yml", 5, "unknown key 'dimensons'", expected="dimensions", suggestion="dimensions"),
    ],
    "unknown_key_project": [
        Want("onpace.yml", 2, "unknown key 'calender'", expected="calendar", suggestion="calendar"),
    ],
    "unknown_metric_type": [
        Want(
            "models/metrics.yml",
            7,
            "unknown metric type 'ration'",
            expected="simple, ratio, derived, cumulative, conversion, semi_additive",
            suggestion="ratio",
        ),
    ],
    "unknown_dataset": [
        Want("models/metrics.yml", 3, "unknown dataset 'order'", expected="the name of a dataset", suggestion="orders"),
    ],
    "unknown_measure": [
        Want("models/metrics.yml", 3, "unknown measure 'revenu'", expected="'dataset.measure'", suggestion="revenue"),
        Want(
            "models/metrics.yml",
            5,
            "unknown measure 'order.order_count'",
            expected="'dataset.measure'",
            suggestion="orders.order_count",
        ),
    ],
    "missing_env_var": [
        Want(
            "onpace.yml",
            4,
            "environment variable PGPASSWORD is not set (source 'warehouse')",
            expected="export PGPASSWORD=",
        ),
    ],
    "unsupported_scheme": [
        Want("onpace.yml", 4, "unsupported source URL scheme 'postgress'", expected="duckdb", suggestion="postgres"),
        Want("onpace.yml", 6, "unsupported source URL scheme 'sqlite'", expected="duckdb, mariadb, mysql"),
    ],
    "yaml_syntax": [
        Want("models/metrics.yml", 6, "YAML syntax error at column 4", expected="valid YAML"),
    ],
    "several_at_once": [
        Want("onpace.yml", 4, "environment variable PGPASSWORD is not set"),
        Want("models/metrics.yml", 9, "unknown metric 'order'", suggestion="orders"),
        Want("models/metrics.yml", 12, "unexpected '=' at column 10"),
        Want("models/metrics.yml", 14, "unknown measure 'refund_amount'"),
        Want("models/metrics.yml", 15, "cycle between metrics: net_revenue -> net_refunds -> net_revenue"),
        Want("models/sales.yml", 2, "duplicate metric name 'orders'"),
        Want("models/targets.yml", 4, "invalid value 'down'", expected="higher or lower"),
    ],
}

#: Cases that need the data: the columns are only known to the data source.
ENGINE_CASES: dict[str, list[Want]] = {
    "unknown_column": [
        Want("models/datasets.yml", 11, "'amont'", suggestion="amount"),
    ],
    "unknown_filter_dimension": [
        Want("models/metrics.yml", 6, "'chanel'", suggestion="channel"),
    ],
}


def _issues(case: str, env: Mapping[str, str] | None = None) -> list[Issue]:
    with pytest.raises(DefinitionError) as info:
        load_project(BROKEN / case, env=env or {})
    return info.value.issues


def _assert_issues(issues: list[Issue], wants: list[Want]) -> None:
    listing = "\n".join(f"  {i}" for i in issues)
    for want in wants:
        found = [i for i in issues if want.matches(i)]
        assert len(found) == 1, f"no issue at {want.file}:{want.line} with {want.message!r} in:\n{listing}"
        issue = found[0]
        assert issue.suggestion == want.suggestion, f"suggestion of {issue}"
        if want.expected is not None:
            assert issue.expected is not None and want.expected in issue.expected, f"expected of {issue}"
        # what a person reads: file:line first
        assert str(issue).startswith(f"{want.file}:{want.line}: ")
    assert len(issues) == len(wants), f"{len(issues)} issues, {len(wants)} expected:\n{listing}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_project(case: str) -> None:
    _assert_issues(_issues(case), CASES[case])


def test_every_folder_is_a_case() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders == set(CASES) | set(ENGINE_CASES)


def test_several_problems_are_listed_in_one_error() -> None:
    with pytest.raises(DefinitionError) as info:
        load_project(BROKEN / "several_at_once", env={})
    assert len(info.value.issues) == 7
    text = str(info.value)
    assert text.startswith("7 problems in the definitions:")
    assert "onpace.yml:4: " in text and "models/targets.yml:4: " in text


def test_environment_variables_fill_the_url() -> None:
    project = load_project(BROKEN / "missing_env_var", env={"PGPASSWORD": "s3cret"})
    # ${PGHOST:-localhost} falls back to its default
    assert project.source_url("warehouse") == "postgresql://analyst:s3cret@localhost:5432/shop"
    project = load_project(BROKEN / "missing_env_var", env={"PGPASSWORD": "s3cret", "PGHOST": "db.internal"})
    assert project.source_url("warehouse") == "postgresql://analyst:s3cret@db.internal:5432/shop"


def test_a_source_named_like_a_metric_type_keeps_its_path(tmp_path: Path) -> None:
    (tmp_path / "onpace.yml").write_text("name: shop\nsources:\n  simple:\n    ur: duckdb:///a.duckdb\n")
    with pytest.raises(DefinitionError) as info:
        load_project(tmp_path, env={})
    # one issue: the misspelt required key is not also reported as missing
    [issue] = info.value.issues
    assert (issue.message, issue.line, issue.path, issue.suggestion) == ("unknown key 'ur'", 4, "sources.simple", "url")


def test_a_missing_key_is_reported_at_its_parent(tmp_path: Path) -> None:
    (tmp_path / "onpace.yml").write_text("name: shop\nsources:\n  warehouse:\n    description: no url\n")
    with pytest.raises(DefinitionError) as info:
        load_project(tmp_path, env={})
    [issue] = info.value.issues
    assert (issue.message, issue.file, issue.line) == ("missing required key 'url'", "onpace.yml", 3)


# -- cases checked against the data (onpace.engine.check) ---------------------------------------------------


def _check_sources() -> Callable[[Project], list[Issue]]:
    """The lead's data checks; skipped (failed under CI) while onpace.engine.check does not exist."""
    try:
        module = importlib.import_module("onpace.engine.check")
    except ModuleNotFoundError as exc:
        if exc.name != "onpace.engine.check":
            raise
        reason = "onpace.engine.check is not written yet"
        if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return cast(Callable[[Project], list[Issue]], module.check_sources)


def _warehouse(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "create table orders (order_id integer, customer_id integer, ordered_at date, channel varchar,"
            " amount decimal(12, 2))"
        )
        con.execute(
            "insert into orders values (1, 1, date '2024-01-05', 'web', 10.5), (2, 2, date '2024-02-01', 'shop', 4)"
        )
        con.execute("create table customers (customer_id integer, region varchar)")
        con.execute("insert into customers values (1, 'EU'), (2, 'US')")
    finally:
        con.close()


@pytest.mark.parametrize("case", sorted(ENGINE_CASES))
def test_broken_against_the_data(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_sources = _check_sources()
    root = tmp_path / case
    shutil.copytree(BROKEN / case, root)
    _warehouse(root / "data" / "warehouse.duckdb")  # the default source: data/warehouse.duckdb
    monkeypatch.chdir(root)
    project = load_project(root, env={})  # the definitions alone are fine
    _assert_issues(check_sources(project), ENGINE_CASES[case])
