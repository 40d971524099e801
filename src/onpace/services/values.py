"""Values of manual metrics: checked from a CSV file (or rows), then written to the store in one go.

A manual metric (``type: manual``) has no data source: its values are entered
by hand. :func:`parse_values` checks every row and raises one
:class:`ValuesError` listing every problem with its line; :func:`import_values`
writes good rows as observations of the series (metric, its grain, segment) in
one transaction, records who did it, and re-evaluates the KPIs.

The CSV has a header row with the columns ``metric``, ``period`` (the ISO date
the period starts), ``value`` and, optionally, ``segment`` (empty: the whole
metric). Line 1 is the header, so the first value is on line 2. Its separator
(``,``, ``;`` or a tab) and the decimal mark of its values (``1250.5`` or
``1.250,5``) are found in the file (:mod:`onpace.services.values_csv`) or named.

:func:`list_values` lists the values stored for a metric: what was imported, and
what a refresh computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace import calendar as cal
from onpace.calendar import DATE_RANGE, out_of_range
from onpace.catalog import models as m
from onpace.catalog.project import Project
from onpace.errors import Issue, NotFoundError, UserError, did_you_mean, did_you_mean_suffix
from onpace.kpi.instances import canonical
from onpace.services.failures import Failure
from onpace.services.values_csv import DecimalReading, Mark, Names, decimal_reading, plain_number, separator_of
from onpace.services.views.values import StoredValue, ValueListing
from onpace.store import audit
from onpace.store import observations as obs
from onpace.store.db import Store
from onpace.store.models import AuditEntry, Observation, Series

REQUIRED = ("metric", "period", "value")
COLUMNS = (*REQUIRED, "segment")
EXPECTED_COLUMNS = "the columns metric, period, value and, optionally, segment"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class ValueRow:
    """One checked value: ``line`` is its line in the file (or its 1-based position among the rows given)."""

    line: int
    metric: str
    period: dt.date
    value: float
    segment: str = ""


@dataclass(frozen=True)
class ImportResult:
    rows: int
    metrics: dict[str, int] = field(default_factory=dict)  # metric -> values written
    evaluated: int = 0
    kpi_errors: dict[Failure, str] = field(default_factory=dict)  # KPI -> why it could not be evaluated


class ValuesError(UserError):
    """Values that cannot be imported: every problem, each with its line (``issues``)."""

    status = 422

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = issues
        count = len(issues)
        head = f"{count} problem{'s' if count != 1 else ''} in {source}; nothing was imported"
        super().__init__(head + ":\n" + "\n".join(f"  {i}" for i in issues))


# -- reading ------------------------------------------------------------------


def read_values_file(path: Path) -> str:
    """The text of a values file; a missing, unreadable or non-UTF-8 file is a :class:`ValuesError`."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValuesError(source, [Issue("file not found", file=source)]) from None
    except IsADirectoryError:
        raise ValuesError(source, [Issue("is a directory; expected a CSV file", file=source)]) from None
    except OSError as exc:
        raise ValuesError(source, [Issue(f"cannot read the file: {exc.strerror or exc}", file=source)]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issue = Issue(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            file=source,
            line=data[: exc.start].count(b"\n") + 1,
            expected="a CSV file saved as UTF-8",
        )
        raise ValuesError(source, [issue]) from None


# -- checking -----------------------------------------------------------------


@dataclass(frozen=True)
class CsvFormat:
    """How a values CSV is read: the separator between cells, and the decimal mark of the values."""

    separator: str
    decimal: DecimalReading


def csv_format(
    text: str, separator: str | None = None, decimal: Mark | None = None, names: Names | None = None
) -> CsvFormat:
    """The separator (``separator``, else found from the header) and decimal mark (``decimal``, else
    found from the values) of the CSV ``text``."""
    text = text.removeprefix("\ufeff")
    sep = separator or separator_of(text, COLUMNS)
    records, _ = _csv_records(text, "", sep)
    values = [(line, _text(cells.get("value"))) for line, cells in records]
    return CsvFormat(sep, decimal_reading([(line, v) for line, v in values if v], sep, decimal, names))


def parse_values(
    project: Project,
    text_or_rows: str | Iterable[Mapping[str, Any]],
    source_name: str,
    *,
    separator: str | None = None,
    decimal: Mark | None = None,
    names: Names | None = None,
) -> list[ValueRow]:
    """Check every value; return them all, or raise a :class:`ValuesError` listing every problem.

    ``text_or_rows`` is CSV text (with its header row) or rows already read,
    as mappings with the keys ``metric``, ``period``, ``value`` and
    optionally ``segment`` (their ``line`` is their 1-based position).
    CSV text is read with ``separator`` and the decimal mark ``decimal``
    (``point`` or ``comma``), each found in the text when not given
    (:func:`csv_format`); a value whose decimal mark is ambiguous is a problem.
    """
    reading: DecimalReading | None = None
    if isinstance(text_or_rows, str):
        form = csv_format(text_or_rows, separator, decimal, names)
        records, issues = _csv_records(text_or_rows.removeprefix("\ufeff"), source_name, form.separator)
        reading = form.decimal
    else:
        records, issues = _mapping_records(text_or_rows, source_name)
    rows: list[ValueRow] = []
    first: dict[tuple[str, dt.date, str], int] = {}
    for line, cells in records:
        row, found = _check_row(project, line, cells, source_name, reading)
        issues += found
        if row is None:
            continue
        key = (row.metric, row.period, row.segment)
        if key in first:
            issues.append(
                Issue(
                    f"duplicate row: same metric, period and segment as line {first[key]}",
                    file=source_name,
                    line=line,
                    expected="one value per metric, period and segment",
                )
            )
            continue
        first[key] = line
        rows.append(row)
    if not issues and not rows:
        issues.append(Issue("no values: there are no rows", file=source_name, expected="at least one row of values"))
    if issues:
        raise ValuesError(source_name, sorted(issues, key=lambda i: i.line or 0))
    return rows


def _csv_records(text: str, source: str, separator: str = ",") -> tuple[list[tuple[int, dict[str, str]]], list[Issue]]:
    """(line, cells by column) of each non-blank row, or the problems of the header and the shape."""
    if not text.strip():
        return [], [
            Issue("the file is empty", file=source, expected=f"a header row with {EXPECTED_COLUMNS}, then the values")
        ]
    reader = csv.reader(text.splitlines(keepends=True), delimiter=separator, strict=True)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):  # blank lines before the header
            header = next(reader)
    except StopIteration:  # only blank rows (such as ",,"): no header at all
        return [], [
            Issue(
                "the file has no header row: every row is blank",
                file=source,
                expected=f"a header row with {EXPECTED_COLUMNS}, then the values",
            )
        ]
    except csv.Error as exc:
        return [], [Issue(f"cannot read the header as CSV: {exc}", file=source, line=reader.line_num)]
    header_line = reader.line_num
    names = [cell.strip().lower() for cell in header]
    issues = _header_issues(names, source, header_line)
    if issues:
        return [], issues
    records: list[tuple[int, dict[str, str]]] = []
    previous = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(Issue(f"not valid CSV: {exc}", file=source, line=previous + 1))
            break
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            issues.append(
                Issue(
                    f"{len(cells)} cells, but the header has {len(names)} columns",
                    file=source,
                    line=line,
                    expected=f"{len(names)} cells: {', '.join(names)} (quote a value that holds a {_named(separator)})",
                )
            )
            continue
        records.append((line, dict(zip(names, cells, strict=False))))
    return records, issues


def _header_issues(names: list[str], source: str, line: int) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            issues.append(Issue(f"column '{name}' appears twice", file=source, line=line, expected=EXPECTED_COLUMNS))
        elif not name:
            issues.append(Issue("a column has no name", file=source, line=line, expected=EXPECTED_COLUMNS))
        elif name not in COLUMNS:
            issues.append(
                Issue(
                    f"unknown column '{name}'",
                    file=source,
                    line=line,
                    expected=EXPECTED_COLUMNS,
                    suggestion=did_you_mean(name, COLUMNS),
                )
            )
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            issues.append(Issue(f"missing column '{name}'", file=source, line=line, expected=EXPECTED_COLUMNS))
    return issues


def _mapping_records(rows: Iterable[Any], source: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Issue]]:
    records: list[tuple[int, dict[str, Any]]] = []
    issues: list[Issue] = []
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            issues.append(Issue("expected an object with metric, period and value", file=source, line=position))
            continue
        unknown = [str(key) for key in row if key not in COLUMNS]
        for key in unknown:
            issues.append(
                Issue(
                    f"unknown key '{key}'",
                    file=source,
                    line=position,
                    expected="metric, period, value and, optionally, segment",
                    suggestion=did_you_mean(key, COLUMNS),
                )
            )
        if not unknown:
            records.append((position, dict(row)))
    return records, issues


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class _Problems:
    """The problems of one row, each naming its column."""

    def __init__(self, source: str, line: int) -> None:
        self.source, self.line = source, line
        self.issues: list[Issue] = []

    def add(self, column: str, message: str, expected: str | None = None, suggestion: str | None = None) -> None:
        self.issues.append(
            Issue(message, file=self.source, line=self.line, path=column, expected=expected, suggestion=suggestion)
        )


def _named(separator: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}.get(separator, repr(separator))


def _check_row(
    project: Project, line: int, cells: Mapping[str, Any], source: str, reading: DecimalReading | None = None
) -> tuple[ValueRow | None, list[Issue]]:
    problems = _Problems(source, line)
    for column in REQUIRED:
        if not _text(cells.get(column)):
            problems.add(column, f"'{column}' is empty")

    metric: m.ManualMetric | None = None
    name = _text(cells.get("metric"))
    if name:
        found = project.metrics.get(name)
        if found is None:
            problems.add("metric", f"unknown metric '{name}'", suggestion=did_you_mean(name, project.metrics))
        elif not isinstance(found, m.ManualMetric):
            problems.add("metric", f"metric '{name}' is computed from data; only manual metrics take imported values")
        else:
            metric = found

    period = _period(cells.get("period"), metric, project.calendar, problems)
    value = (
        _value(cells.get("value"), problems) if reading is None else _csv_value(cells.get("value"), reading, problems)
    )
    segment = canonical(_text(cells.get("segment")))
    if len(segment) > m.MAX_SEGMENT:  # as a segment pushed in JSON, or typed anywhere else
        problems.add("segment", f"the segment is {len(segment)} characters long; at most {m.MAX_SEGMENT} are accepted")
    if problems.issues or metric is None or period is None or value is None:
        return None, problems.issues
    return ValueRow(line=line, metric=metric.name, period=period, value=value, segment=segment), []


def _period(raw: Any, metric: m.ManualMetric | None, calendar: m.Calendar, problems: _Problems) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        problems.add("period", f"{raw.isoformat()} is a date and time", expected="a date as YYYY-MM-DD")
        return None
    if isinstance(raw, dt.date):
        day = raw
    else:
        text = _text(raw)
        if not text:
            return None
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            problems.add("period", f"'{text}' is not a date", expected="a date as YYYY-MM-DD, such as 2025-01-01")
            return None
    problem = out_of_range(day)
    if problem is not None:
        problems.add("period", problem, expected=f"{DATE_RANGE}, the first day of a period")
        return None
    if metric is None:
        return day
    start = cal.period_start(day, metric.grain, calendar)
    if start != day:
        grain = metric.grain.value.replace("_", " ")
        problems.add(
            "period",
            f"{day.isoformat()} is not the first day of a {grain}, the grain of metric '{metric.name}'",
            expected=f"{start.isoformat()}, the start of the {grain} that holds it",
        )
        return None
    return day


_NOT_A_NUMBER = "a number such as 1250 or 0.85, with a dot for decimals and no thousands separators"
_NOT_A_NUMBER_COMMA = "a number such as 1250 or 0,85, with a comma for decimals"


def _value(raw: Any, problems: _Problems, expected: str = _NOT_A_NUMBER) -> float | None:
    if isinstance(raw, bool):
        problems.add("value", f"{raw!r} is not a number", expected=expected)
        return None
    if isinstance(raw, (int, float)):
        number, text = float(raw), repr(raw)
    else:
        text = _text(raw)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            number = 0.0
            text_is_number = False
        else:
            # float() also reads '1_000', which is not a number people mean to write; 'inf' is reported below
            text_is_number = bool(_NUMBER.match(text)) or not math.isfinite(number)
        if not text_is_number:
            problems.add("value", f"'{text}' is not a number", expected=expected)
            return None
    if not math.isfinite(number):
        problems.add("value", f"{text} is not a finite number", expected=expected)
        return None
    return number


def _csv_value(raw: Any, reading: DecimalReading, problems: _Problems) -> float | None:
    """A value of a CSV file, read with the file's decimal mark (thousands separators dropped)."""
    text = _text(raw)
    if not text:
        return None
    problem = reading.problem(text)
    if problem is not None:
        problems.add("value", problem[0], expected=problem[1])
        return None
    if reading.mark == "comma":
        return _value(plain_number(text, "comma"), problems, expected=_NOT_A_NUMBER_COMMA)
    return _value(plain_number(text, "point"), problems)


# -- writing ------------------------------------------------------------------


def import_values(project: Project, store: Store, rows: list[ValueRow], actor: str, source: str) -> ImportResult:
    """Write checked values in one transaction, audit the import, then re-evaluate the KPIs.

    Each value is an observation of the series (metric, the metric's grain,
    segment) with origin ``manual``; importing the same values again leaves
    the same values (an upsert by period). Nothing is written unless every
    row is written. A KPI that cannot be evaluated afterwards is listed in
    ``kpi_errors``; the others are evaluated.
    """
    from onpace.services.evaluate import evaluate_and_store

    groups: dict[tuple[str, str], list[tuple[dt.date, float | None]]] = {}
    for row in rows:
        groups.setdefault((row.metric, row.segment), []).append((row.period, row.value))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.metric] = counts.get(row.metric, 0) + 1
    with store.session() as s:
        for (name, segment), values in groups.items():
            metric = project.metrics[name]
            assert isinstance(metric, m.ManualMetric), f"{name} is not a manual metric"
            series_id = obs.get_or_create_series(s, name, metric.grain.value, segment, origin="manual")
            obs.write_observations(s, series_id, sorted(values))
        audit.audit(
            s,
            actor,
            "values.import",
            "metric",
            _object_name(list(counts)),
            {"file": source, "rows": len(rows), "metrics": counts},
        )
    # the values are in: a KPI that cannot be evaluated is reported, and does not undo or fail the import
    kpi_errors: dict[Failure, str] = {}
    evaluated = evaluate_and_store(project, store, errors=kpi_errors)
    return ImportResult(rows=len(rows), metrics=counts, evaluated=evaluated, kpi_errors=kpi_errors)


def _object_name(metrics: list[str]) -> str:
    """The metrics of an import as one audit object name (at most 128 characters)."""
    joined = ", ".join(metrics)
    if len(joined) <= 128:
        return joined
    return f"{metrics[0]} and {len(metrics) - 1} more"[:128]


# -- listing --------------------------------------------------------------------

IMPORT_ACTION = "values.import"
DEFAULT_GRAIN = m.Grain.month  # what refresh stores for a metric without a default_grain (services.needs)


def list_values(
    project: Project, store: Store, metric: str, *, grain: m.Grain | None = None, segment: str | None = None
) -> ValueListing:
    """The values stored for ``metric`` at ``grain``, by segment and period (of one ``segment`` when given).

    A manual metric's grain is its own (``grain`` must match it); a computed metric's is
    ``grain``, else its ``default_grain`` (month when it has none), the grain refresh stores
    for it. Who entered a manual value is the person of the import that wrote it last: the
    first ``values.import`` entry of the audit log naming the metric at or after the value's
    time (an import writes its values, then its audit entry, in one transaction).
    """
    found = project.metrics.get(metric)
    if found is None:
        raise NotFoundError(f"no metric named '{metric}'" + did_you_mean_suffix(metric, project.metrics))
    manual = isinstance(found, m.ManualMetric)
    if isinstance(found, m.ManualMetric):
        if grain is not None and grain != found.grain:
            raise UserError(
                f"metric '{metric}' is entered by {found.grain.value}; its values have no other grain than "
                f"{found.grain.value}"
            )
        grain = found.grain
    else:
        grain = grain or found.default_grain or DEFAULT_GRAIN
    query = (
        select(Series.segment, Observation.period_start, Observation.value, Observation.updated_at, Observation.run_id)
        .join(Series, Series.id == Observation.series_id)
        .where(Series.metric == metric, Series.grain == grain.value)
        .order_by(Series.segment, Observation.period_start)
    )
    if segment is not None:
        query = query.where(Series.segment == canonical(segment))
    with store.session(readonly=True) as s:
        rows = list(s.execute(query))
        imports = _imports_of(s, metric) if manual else []
    values = [
        StoredValue(
            period=period,
            label=cal.period_label(period, grain, project.calendar),
            segment=seg or None,
            value=value,
            updated_at=updated_at,
            entered_by=_entered_by(imports, updated_at) if manual else None,
            run_id=run_id,
        )
        for seg, period, value, updated_at, run_id in rows
    ]
    return ValueListing(
        metric=metric,
        label=found.label or metric,
        kind="manual" if manual else "computed",
        grain=grain.value,
        format=found.format,
        values=values,
    )


def _imports_of(s: Session, metric: str) -> list[tuple[dt.datetime, str]]:
    """(time, actor) of every import that wrote values of ``metric``, oldest first."""
    entries = s.scalars(
        select(AuditEntry).where(AuditEntry.action == IMPORT_ACTION).order_by(AuditEntry.at, AuditEntry.id)
    )
    return [(e.at, e.actor) for e in entries if metric in ((e.details or {}).get("metrics") or {})]


def _entered_by(imports: list[tuple[dt.datetime, str]], written: dt.datetime) -> str | None:
    return next((actor for at, actor in imports if at >= written), None)
