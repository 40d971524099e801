"""`onpace values import`: values of manual metrics, every bad row reported, all or nothing written."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from onpace.catalog.project import Project, load_project
from onpace.cli.main import app
from onpace.services import scorecard
from onpace.services.values import ValueRow, ValuesError, import_values, parse_values, read_values_file
from onpace.store import audit
from onpace.store import observations as obs
from onpace.store.db import Store
from onpace.store.models import AuditEntry, KpiEvaluation, Observation, Series

runner = CliRunner()

MANUAL = """
metrics:
  - {name: engagement, type: manual, grain: quarter, over_time: avg}
  - {name: nps, type: manual, grain: month, over_time: last}
  - {name: donations, type: manual}
  - {name: calls, type: manual, grain: week}
  - {name: fy_budget, type: manual, grain: fiscal_year, over_time: last}

kpis:
  - name: engagement_score
    metric: engagement
    objective: grow
    owner: People
    timeframe: quarter
    review_cadence: quarterly
    target: {at_least: 70}
"""

GOOD = """\
metric,period,value,segment
engagement,2025-01-01,72.5,
engagement,2024-10-01,68,
nps,2025-03-01,41,
donations,2025-03-14,1250.75,
donations,2025-03-14,300,region = 'NORTH'
"""


@pytest.fixture
def manual_shop(shop: Path) -> Path:
    """The shop (see conftest.py) with manual metrics and a KPI on one; weeks start on Sunday."""
    (shop / "models" / "manual.yml").write_text(textwrap.dedent(MANUAL), encoding="utf-8")
    config = shop / "onpace.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "calendar:\n  week_start: sunday\n  fiscal_year_start: 4\n",
        encoding="utf-8",
    )
    return shop


@pytest.fixture
def project(manual_shop: Path) -> Project:
    return load_project(manual_shop)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


def _problems(project: Project, text: str) -> list[str]:
    with pytest.raises(ValuesError) as caught:
        parse_values(project, text, "values.csv")
    return [str(issue) for issue in caught.value.issues]


def _counts(store: Store) -> dict[str, int]:
    with store.session(readonly=True) as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Series, Observation, AuditEntry, KpiEvaluation)
        }


# -- checking -------------------------------------------------------------------------------


def test_good_rows_are_parsed(project: Project) -> None:
    rows = parse_values(project, GOOD, "values.csv")
    assert rows == [
        ValueRow(2, "engagement", dt.date(2025, 1, 1), 72.5),
        ValueRow(3, "engagement", dt.date(2024, 10, 1), 68.0),
        ValueRow(4, "nps", dt.date(2025, 3, 1), 41.0),
        ValueRow(5, "donations", dt.date(2025, 3, 14), 1250.75),
        ValueRow(6, "donations", dt.date(2025, 3, 14), 300.0, "region = 'NORTH'"),
    ]


def test_header_order_case_spaces_blank_lines_and_a_bom_are_fine(project: Project) -> None:
    text = "\ufeff Value , PERIOD,metric\r\n\r\n 3 ,2025-03-02, calls\r\n\r\n-1e3,2024-04-01,fy_budget\r\n"
    rows = parse_values(project, text, "values.csv")
    assert rows == [
        ValueRow(3, "calls", dt.date(2025, 3, 2), 3.0),  # a Sunday: weeks start on Sunday here
        ValueRow(5, "fy_budget", dt.date(2024, 4, 1), -1000.0),  # the fiscal year starts in April
    ]


def test_the_bad_file_lists_every_problem_with_its_line(project: Project) -> None:
    text = (
        "metric,period,value\n"
        "engagment,2025-01-01,70\n"  # 2: unknown metric
        "nps,2025-02-30,40\n"  # 3: not a date
        "nps,2025-01-01,forty\n"  # 4: not a number
        "donations,2025-01-05,10\n"  # 5
        "donations,2025-01-05,11\n"  # 6: repeats line 5
    )
    assert _problems(project, text) == [
        "values.csv:2: metric: unknown metric 'engagment'; did you mean 'engagement'?",
        "values.csv:3: period: '2025-02-30' is not a date (expected a date as YYYY-MM-DD, such as 2025-01-01)",
        "values.csv:4: value: 'forty' is not a number (expected a number such as 1250 or 0.85"
        ", with a dot for decimals and no thousands separators)",
        "values.csv:6: duplicate row: same metric, period and segment as line 5 "
        "(expected one value per metric, period and segment)",
    ]


def test_a_computed_metric_takes_no_values(project: Project) -> None:
    assert _problems(project, "metric,period,value\nrevenue,2025-01-01,1\n") == [
        "values.csv:2: metric: metric 'revenue' is computed from data; only manual metrics take imported values"
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "engagement,2025-02-01,70",
            "2025-02-01 is not the first day of a quarter, the grain of metric 'engagement' "
            "(expected 2025-01-01, the start of the quarter that holds it)",
        ),
        (
            "nps,2025-03-15,40",
            "2025-03-15 is not the first day of a month, the grain of metric 'nps' "
            "(expected 2025-03-01, the start of the month that holds it)",
        ),
        (
            "calls,2025-03-03,4",  # a Monday; this project's weeks start on Sunday
            "2025-03-03 is not the first day of a week, the grain of metric 'calls' "
            "(expected 2025-03-02, the start of the week that holds it)",
        ),
        (
            "fy_budget,2025-01-01,4",
            "2025-01-01 is not the first day of a fiscal year, the grain of metric 'fy_budget' "
            "(expected 2024-04-01, the start of the fiscal year that holds it)",
        ),
        ("nps,20250301,40", "'20250301' is not a date (expected a date as YYYY-MM-DD, such as 2025-01-01)"),
        ("nps,2025-03-01,inf", "inf is not a finite number"),
        ("nps,2025-03-01,NaN", "NaN is not a finite number"),
        ("nps,2025-03-01,1e999", "1e999 is not a finite number"),
        ("nps,2025-03-01,1_000", "'1_000' is not a number"),
        ('nps,2025-03-01,"1,5"', "'1,5' is not a number"),
        ("nps,,40", "'period' is empty"),
        (",2025-03-01,40", "'metric' is empty"),
        ("nps,2025-03-01,", "'value' is empty"),
        ("nps,2025-03-01", "'value' is empty"),
        ("nps,2025-03-01,1,2", "4 cells, but the header has 3 columns"),
    ],
)
def test_each_kind_of_bad_row(project: Project, row: str, message: str) -> None:
    problems = _problems(project, f"metric,period,value\n{row}\n")
    assert len(problems) == 1
    assert problems[0].startswith("values.csv:2: ")
    assert message in problems[0]


def test_a_segment_longer_than_any_other_form_takes_is_refused(project: Project) -> None:
    """An upload stored a 700-character segment that the JSON push and every other form refuse."""
    [row] = parse_values(project, "metric,period,value,segment\nnps,2025-03-01,40," + "z" * 500 + "\n", "values.csv")
    assert len(row.segment) == 500
    problems = _problems(project, "metric,period,value,segment\nnps,2025-03-01,40," + "z" * 501 + "\n")
    assert problems == ["values.csv:2: segment: the segment is 501 characters long; at most 500 are accepted"]


def test_a_row_with_several_problems_reports_each(project: Project) -> None:
    assert _problems(project, "metric,period,value\nnope,someday,\n") == [
        "values.csv:2: value: 'value' is empty",
        "values.csv:2: metric: unknown metric 'nope'",
        "values.csv:2: period: 'someday' is not a date (expected a date as YYYY-MM-DD, such as 2025-01-01)",
    ]


def test_a_quoted_value_over_two_lines_keeps_the_line_numbers(project: Project) -> None:
    text = 'metric,period,value,segment\nnps,2025-03-01,1,"a\nb"\nnps,2025-03-01,x,\n'
    assert _problems(project, text) == [
        "values.csv:4: value: 'x' is not a number (expected a number such as 1250 or 0.85"
        ", with a dot for decimals and no thousands separators)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "metric,period,valeu\n",
            [
                "values.csv:1: unknown column 'valeu' (expected the columns metric, period, value and, optionally, "
                "segment); did you mean 'value'?",
                "values.csv:1: missing column 'value' (expected the columns metric, period, value and, optionally, "
                "segment)",
            ],
        ),
        (
            "metric,metric,period,value\n",
            [
                "values.csv:1: column 'metric' appears twice (expected the columns metric, period, value and, "
                "optionally, segment)"
            ],
        ),
        (
            "",
            [
                "values.csv: the file is empty (expected a header row with the columns metric, period, value and, "
                "optionally, segment, then the values)"
            ],
        ),
        (
            " \n\n",
            [
                "values.csv: the file is empty (expected a header row with the columns metric, period, value "
                "and, optionally, segment, then the values)"
            ],
        ),
        ("metric,period,value\n\n", ["values.csv: no values: there are no rows (expected at least one row of values)"]),
    ],
)
def test_header_and_empty_file_problems(project: Project, text: str, expected: list[str]) -> None:
    assert _problems(project, text) == expected


def test_rows_given_as_objects_are_checked_the_same_way(project: Project) -> None:
    rows = parse_values(
        project,
        [
            {"metric": "nps", "period": "2025-03-01", "value": 40},
            {"metric": "nps", "period": dt.date(2025, 4, 1), "value": "41.5", "segment": None},
        ],
        "request",
    )
    assert rows == [ValueRow(1, "nps", dt.date(2025, 3, 1), 40.0), ValueRow(2, "nps", dt.date(2025, 4, 1), 41.5)]
    with pytest.raises(ValuesError) as caught:
        parse_values(
            project,
            [
                {"metric": "nps", "period": "2025-03-01", "value": True},
                {"metric": "nps", "period": "2025-03-01", "valu": 1},
                "nps,2025-03-01,1",
                {"metric": "nps", "period": dt.datetime(2025, 3, 1, 12), "value": 1},
            ],
            "request",
        )
    assert [str(i) for i in caught.value.issues] == [
        "request:1: value: True is not a number (expected a number such as 1250 or 0.85"
        ", with a dot for decimals and no thousands separators)",
        "request:2: unknown key 'valu' (expected metric, period, value and, optionally, segment); did you mean 'value'?",
        "request:3: expected an object with metric, period and value",
        "request:4: period: 2025-03-01T12:00:00 is a date and time (expected a date as YYYY-MM-DD)",
    ]


def test_reading_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(b"metric,period,value\nnps,2025-03-01,1\n")
    assert read_values_file(good).startswith("metric,")

    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"metric,period,value,segment\nnps,2025-03-01,1,Z\xfcrich\n")
    with pytest.raises(ValuesError) as caught:
        read_values_file(latin)
    assert [str(i) for i in caught.value.issues] == [
        f"{latin}:2: not UTF-8 text (byte 0xfc at offset 46) (expected a CSV file saved as UTF-8)"
    ]

    with pytest.raises(ValuesError, match="file not found"):
        read_values_file(tmp_path / "missing.csv")
    with pytest.raises(ValuesError, match="is a directory"):
        read_values_file(tmp_path)


# -- writing -------------------------------------------------------------------------------


def test_import_writes_every_value_once_audits_and_evaluates(project: Project, store: Store) -> None:
    rows = parse_values(project, GOOD, "values.csv")
    result = import_values(project, store, rows, "alice", "values.csv")
    assert (result.rows, result.metrics) == (5, {"engagement": 2, "nps": 1, "donations": 2})
    assert result.evaluated > 0
    before = _counts(store)

    with store.session(readonly=True) as s:
        assert obs.read_series(s, "engagement", "quarter") == [
            (dt.date(2024, 10, 1), 68.0),
            (dt.date(2025, 1, 1), 72.5),
        ]
        assert obs.read_series(s, "nps", "month") == [(dt.date(2025, 3, 1), 41.0)]
        assert obs.read_series(s, "donations", "day") == [(dt.date(2025, 3, 14), 1250.75)]
        assert obs.read_series(s, "donations", "day", "region = 'NORTH'") == [(dt.date(2025, 3, 14), 300.0)]
        series = obs.get_series(s, "engagement", "quarter")
        assert series is not None and series.origin == "manual" and series.data_until == dt.date(2025, 1, 1)
        [entry] = audit.list_audit(s, action="values.import")
        assert (entry.actor, entry.object_kind, entry.object_name) == ("alice", "metric", "engagement, nps, donations")
        assert entry.details == {
            "file": "values.csv",
            "rows": 5,
            "metrics": {"engagement": 2, "nps": 1, "donations": 2},
        }

    # the KPI on the manual metric reflects the values: a quarterly value covers its whole quarter,
    # so as of the latest data (the end of 2025-Q1) that quarter is over, and its target met
    row = next(r for r in scorecard.kpi_rows(project, store) if r["kpi"] == "engagement_score")
    assert (row["period_start"], row["as_of"], row["actual"]) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31), 72.5)
    assert row["status"] == "achieved"

    # the same file again: the same values, one more audit entry and evaluation round, nothing else
    import_values(project, store, rows, "alice", "values.csv")
    after = _counts(store)
    assert after["series"] == before["series"] and after["observations"] == before["observations"]
    assert after["audit_log"] == before["audit_log"] + 1
    with store.session(readonly=True) as s:
        assert obs.read_series(s, "engagement", "quarter") == [
            (dt.date(2024, 10, 1), 68.0),
            (dt.date(2025, 1, 1), 72.5),
        ]

    # a new value for a period replaces the old one
    import_values(
        project, store, parse_values(project, "metric,period,value\nnps,2025-03-01,45\n", "b.csv"), "bob", "b.csv"
    )
    with store.session(readonly=True) as s:
        assert obs.read_series(s, "nps", "month") == [(dt.date(2025, 3, 1), 45.0)]


# -- command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_store(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The store the CLI uses (ONPACE_DATABASE_URL), opened for the test to look at."""
    monkeypatch.setenv("ONPACE_DATABASE_URL", store_url)
    monkeypatch.setenv("ONPACE_USER", "carol")
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


def test_cli_bad_file_lists_every_problem_and_writes_nothing(manual_shop: Path, cli_store: Store) -> None:
    good = manual_shop / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(app, ["values", "import", str(good), "--project", str(manual_shop)]).exit_code == 0
    before = _counts(cli_store)

    bad = manual_shop / "bad.csv"
    bad.write_text(
        "metric,period,value\n"
        "nps,2025-04-01,42\n"  # 2: fine, but nothing is written when another row is bad
        "nsp,2025-05-01,42\n"  # 3: unknown metric
        "nps,2025-13-01,42\n"  # 4: bad date
        "nps,2025-06-01,n/a\n"  # 5: not a number
        "engagement,2025-04-01,70\n"  # 6
        "engagement,2025-04-01,71\n",  # 7: repeats line 6
        encoding="utf-8",
    )
    done = runner.invoke(app, ["values", "import", str(bad), "--project", str(manual_shop)], env={"COLUMNS": "300"})
    assert done.exit_code == 1
    assert f"4 problems in {bad}; nothing was imported" in done.output
    for line, text in [
        (3, "metric: unknown metric 'nsp'; did you mean 'nps'?"),
        (4, "period: '2025-13-01' is not a date"),
        (5, "value: 'n/a' is not a number"),
        (7, "duplicate row: same metric, period and segment as line 6"),
    ]:
        assert f"{bad}:{line}: {text}" in done.output
    assert "Traceback" not in done.output
    assert _counts(cli_store) == before
    with cli_store.session(readonly=True) as s:
        assert obs.read_series(s, "nps", "month") == [(dt.date(2025, 3, 1), 41.0)]


def test_cli_import_dry_run_and_file_errors(manual_shop: Path, cli_store: Store) -> None:
    good = manual_shop / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    base = ["values", "import", str(good), "--project", str(manual_shop)]

    dry = runner.invoke(app, [*base, "--dry-run"], env={"COLUMNS": "300"})
    assert dry.exit_code == 0, dry.output
    assert "5 values for engagement (2), nps (1), donations (2); dry run, nothing written" in dry.output
    assert _counts(cli_store)["observations"] == 0

    done = runner.invoke(app, base, env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    assert "Imported 5 values for engagement (2), nps (1), donations (2); KPIs evaluated again" in done.output
    with cli_store.session(readonly=True) as s:
        [entry] = audit.list_audit(s, action="values.import")
        assert entry.actor == "carol" and entry.details["file"] == str(good)
    shown = runner.invoke(app, ["status", "--project", str(manual_shop), "--format", "json"])
    assert shown.exit_code == 0 and '"engagement_score"' in shown.output

    missing = runner.invoke(app, ["values", "import", str(manual_shop / "nope.csv"), "--project", str(manual_shop)])
    assert missing.exit_code == 1 and "nope.csv: file not found" in missing.output

    empty = manual_shop / "empty.csv"
    empty.write_text("", encoding="utf-8")
    shown = runner.invoke(app, ["values", "import", str(empty), "--project", str(manual_shop)])
    assert shown.exit_code == 1 and "the file is empty" in shown.output

    latin = manual_shop / "latin.csv"
    latin.write_bytes(b"metric,period,value\nnps,2025-03-01,\xa340\n")
    shown = runner.invoke(app, ["values", "import", str(latin), "--project", str(manual_shop)])
    assert shown.exit_code == 1 and "not UTF-8 text" in shown.output
