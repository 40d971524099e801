"""Values CSVs from any spreadsheet: `;` separators and decimal commas are found, ambiguity is refused.

Each file is written by the test, read back with ``read_values_file`` and checked with
``parse_values``, as ``onpace values import`` does. The numbers are the ones written, read
by hand: ``1.234,5`` is 1234.5 with a decimal comma, ``12,5`` is 12.5.
"""

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
from onpace.services.values import ValueRow, ValuesError, csv_format, parse_values, read_values_file
from onpace.services.values_csv import kind_of, plain_number, separator_of
from onpace.store.db import Store
from onpace.store.models import AuditEntry, Observation

runner = CliRunner()

MANUAL = """
metrics:
  - {name: nps, type: manual, grain: month, over_time: last}
  - {name: budget, type: manual, grain: year, over_time: last}
"""


@pytest.fixture
def project(shop: Path) -> Project:
    (shop / "models" / "manual.yml").write_text(textwrap.dedent(MANUAL), encoding="utf-8")
    return load_project(shop)


def _read(project: Project, path: Path, text: str, **options: str) -> list[ValueRow]:
    path.write_text(text, encoding="utf-8")
    return parse_values(project, read_values_file(path), path.name, **options)  # type: ignore[arg-type]


def _problems(project: Project, path: Path, text: str, **options: str) -> list[str]:
    with pytest.raises(ValuesError) as caught:
        _read(project, path, text, **options)
    return [str(issue) for issue in caught.value.issues]


# -- the separator ---------------------------------------------------------------------------------


def test_a_semicolon_file_with_decimal_commas(project: Project, tmp_path: Path) -> None:
    text = "metric;period;value\nbudget;2025-01-01;1.234.567,89\nnps;2025-01-01;12,5\nnps;2025-02-01;-0,75\n"
    assert _read(project, tmp_path / "eu.csv", text) == [
        ValueRow(2, "budget", dt.date(2025, 1, 1), 1234567.89),
        ValueRow(3, "nps", dt.date(2025, 1, 1), 12.5),
        ValueRow(4, "nps", dt.date(2025, 2, 1), -0.75),
    ]
    form = csv_format(text)
    assert (form.separator, form.decimal.mark) == (";", "comma")


def test_a_tab_file_and_a_semicolon_file_with_decimal_points(project: Project, tmp_path: Path) -> None:
    tabs = "metric\tperiod\tvalue\nnps\t2025-01-01\t40.5\nnps\t2025-02-01\t41\n"
    assert _read(project, tmp_path / "tabs.tsv", tabs) == [
        ValueRow(2, "nps", dt.date(2025, 1, 1), 40.5),
        ValueRow(3, "nps", dt.date(2025, 2, 1), 41.0),
    ]
    # a point followed by other than three digits is a decimal point: 1.234 is then 1.234 too
    points = "metric;period;value\nnps;2025-01-01;0.85\nnps;2025-02-01;1.234\n"
    assert _read(project, tmp_path / "points.csv", points) == [
        ValueRow(2, "nps", dt.date(2025, 1, 1), 0.85),
        ValueRow(3, "nps", dt.date(2025, 2, 1), 1.234),
    ]


def test_a_clean_comma_file_reads_as_it_always_did(project: Project, tmp_path: Path) -> None:
    text = "metric,period,value\nnps,2025-01-01,1.234\nnps,2025-02-01,1e3\nnps,2025-03-01,7\n"
    assert _read(project, tmp_path / "clean.csv", text) == [
        ValueRow(2, "nps", dt.date(2025, 1, 1), 1.234),  # the point is the decimal mark of a file separated by commas
        ValueRow(3, "nps", dt.date(2025, 2, 1), 1000.0),
        ValueRow(4, "nps", dt.date(2025, 3, 1), 7.0),
    ]
    assert separator_of(text, ("metric", "period", "value")) == ","


def test_a_comma_file_with_thousands_commas_shown_by_another_value(project: Project, tmp_path: Path) -> None:
    text = 'metric,period,value\nnps,2025-01-01,"12,500"\nnps,2025-02-01,"1,234.5"\n'
    assert _read(project, tmp_path / "thousands.csv", text) == [
        ValueRow(2, "nps", dt.date(2025, 1, 1), 12500.0),  # 1,234.5 shows the point is the decimal mark
        ValueRow(3, "nps", dt.date(2025, 2, 1), 1234.5),
    ]


def test_the_separator_and_the_mark_can_be_named(project: Project, tmp_path: Path) -> None:
    text = 'metric,period,value\nnps,2025-01-01,"12,500"\n'
    assert _read(project, tmp_path / "a.csv", text, decimal="comma") == [ValueRow(2, "nps", dt.date(2025, 1, 1), 12.5)]
    assert _read(project, tmp_path / "b.csv", text, decimal="point") == [
        ValueRow(2, "nps", dt.date(2025, 1, 1), 12500.0)
    ]
    # a header the sniffing cannot split: the separator named reads it
    odd = "metric;period;value\nnps;2025-01-01;3\n"
    assert _problems(project, tmp_path / "c.csv", odd, separator=",")[0].startswith("c.csv:1: unknown column")
    assert _read(project, tmp_path / "d.csv", odd, separator=";") == [ValueRow(2, "nps", dt.date(2025, 1, 1), 3.0)]


# -- ambiguous and mixed values --------------------------------------------------------------------


def test_an_ambiguous_value_is_refused_naming_its_line_and_how_to_say_which(project: Project, tmp_path: Path) -> None:
    text = 'metric,period,value\nnps,2025-01-01,7\nnps,2025-02-01,"12,500"\n'
    assert _problems(project, tmp_path / "amb.csv", text) == [
        "amb.csv:3: value: '12,500' is ambiguous: 12.5 with a decimal comma, or 12500 with a comma between "
        "thousands, and no other value of the file shows which (its cells are separated by ',') "
        "(expected the decimal mark named: --decimal comma or --decimal point (and --delimiter if the cells are "
        "separated by something else))"
    ]
    semicolons = "metric;period;value\nnps;2025-01-01;1.234\n"
    [problem] = _problems(project, tmp_path / "amb2.csv", semicolons)
    assert problem.startswith(
        "amb2.csv:2: value: '1.234' is ambiguous: 1.234 with a decimal point, or 1234 with a point between thousands"
    )


def test_two_decimal_marks_in_one_file_are_refused(project: Project, tmp_path: Path) -> None:
    text = "metric;period;value\nnps;2025-01-01;12,5\nnps;2025-02-01;0.85\nnps;2025-03-01;3,25\n"
    assert _problems(project, tmp_path / "mixed.csv", text) == [
        "mixed.csv:3: value: '0.85' has a decimal point, but line 2 ('12,5') has a decimal comma "
        "(expected one decimal mark in the whole file (or name it: --decimal comma or --decimal point))"
    ]


def test_a_decimal_comma_is_not_guessed_in_a_comma_file(project: Project, tmp_path: Path) -> None:
    [problem] = _problems(project, tmp_path / "q.csv", 'metric,period,value\nnps,2025-01-01,"1,5"\n')
    assert problem.startswith("q.csv:2: value: '1,5' is not a number (expected a number such as 1250 or 0.85")
    assert problem.endswith("; a file with decimal commas: --decimal comma)")


def test_a_value_that_does_not_fit_the_named_mark(project: Project, tmp_path: Path) -> None:
    text = "metric;period;value\nnps;2025-01-01;1,234.5\nnps;2025-02-01;n/a\n"
    assert _problems(project, tmp_path / "named.csv", text, decimal="comma") == [
        "named.csv:2: value: '1,234.5' is not a number (expected a number with a decimal comma such as 1250 or 0,85 "
        "(a point, if any, between thousands: 1.250,5))",
        "named.csv:3: value: 'n/a' is not a number (expected a number such as 1250 or 0,85, with a comma for decimals)",
    ]


@pytest.mark.parametrize(
    ("text", "kind", "point", "comma"),
    [
        ("12,5", "comma", None, "12.5"),
        ("0,500", "comma", None, "0.500"),
        ("1.234,5", "comma", None, "1234.5"),
        ("10.000.000,25", "comma", None, "10000000.25"),
        ("1.234.567", "comma", "1.234.567", "1234567"),
        ("12.5", "point", "12.5", None),
        ("1,234.5", "point", "1234.5", None),
        ("1,234,567", "point", "1234567", None),
        ("12,500", "ambiguous", "12500", "12.500"),
        ("-1.234", "ambiguous", "-1.234", "-1234"),
        ("1250", "none", "1250", "1250"),
        ("0.234,5", "none", None, None),
    ],
)
def test_what_the_marks_of_a_number_say(text: str, kind: str, point: str | None, comma: str | None) -> None:
    assert kind_of(text) == kind
    assert plain_number(text, "point") == point
    assert plain_number(text, "comma") == comma


# -- nothing is written from a refused file --------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("ONPACE_DATABASE_URL", url)
    monkeypatch.setenv("ONPACE_USER", "dora")
    opened = Store.open(url)
    try:
        yield opened
    finally:
        opened.close()


def _written(store: Store) -> tuple[int, int]:
    with store.session(readonly=True) as s:
        return (
            s.scalar(select(func.count()).select_from(Observation)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "values.import")) or 0,
        )


def test_an_ambiguous_file_writes_nothing(project: Project, cli_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "amb.csv"
    path.write_text('metric,period,value\nnps,2025-01-01,41\nnps,2025-02-01,"12,500"\n', encoding="utf-8")
    done = runner.invoke(app, ["values", "import", str(path), "--project", str(project.root)], env={"COLUMNS": "300"})
    assert done.exit_code == 1
    assert f"1 problem in {path}; nothing was imported" in done.output
    assert f"{path}:3: value: '12,500' is ambiguous" in done.output
    assert _written(cli_store) == (0, 0)

    named = runner.invoke(
        app,
        ["values", "import", str(path), "--decimal", "comma", "--project", str(project.root)],
        env={"COLUMNS": "300"},
    )
    assert named.exit_code == 0, named.output
    assert "Read with commas between cells and a decimal comma" in named.output
    assert _written(cli_store) == (2, 1)


def test_the_cli_reads_a_semicolon_file(project: Project, cli_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("metric;period;value\nnps;2025-01-01;12,5\n", encoding="utf-8")
    done = runner.invoke(app, ["values", "import", str(path), "--project", str(project.root)], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    assert "Read with semicolons between cells and a decimal comma" in done.output
    with cli_store.session(readonly=True) as s:
        assert s.scalars(select(Observation.value)).all() == [12.5]
    bad = runner.invoke(app, ["values", "import", str(path), "--delimiter", "pipe", "--project", str(project.root)])
    assert bad.exit_code == 2 and "expected comma, semicolon or tab" in bad.output
