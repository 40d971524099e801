"""Compare an engine result with the rows of a check query, and explain the differences."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

REL_TOL = 1e-9
ABS_TOL = 1e-12  # only for values that should be exactly 0 (x / x - 1, a - a)
MAX_REPORTED = 12


def _same(want: Any, got: Any) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, (int, float, Decimal)) and not isinstance(want, bool):
        if not isinstance(got, (int, float, Decimal)) or isinstance(got, bool):
            return False
        if isinstance(want, int) and isinstance(got, int):
            return want == got
        return math.isclose(float(want), float(got), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(want, dt.datetime) or isinstance(got, dt.datetime):
        return False  # a period or date dimension must be a date, never a timestamp
    return bool(want == got)


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return "NULL" if value is None else str(value)


def differences(columns: Sequence[str], want: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]]) -> list[str]:
    """Human-readable differences between two lists of rows (empty when they are the same)."""
    problems: list[str] = []
    if len(want) != len(got):
        problems.append(f"expected {len(want)} rows, got {len(got)}")
    for index in range(max(len(want), len(got))):
        w = want[index] if index < len(want) else None
        g = got[index] if index < len(got) else None
        if w is None or g is None:
            side = "missing" if g is None else "unexpected"
            row = w if g is None else g
            problems.append(
                f"row {index}: {side} row "
                + ", ".join(f"{c}={_show(v)}" for c, v in zip(columns, row or (), strict=True))
            )
        else:
            bad = [
                f"{c}: expected {_show(a)}, got {_show(b)}"
                for c, a, b in zip(columns, w, g, strict=True)
                if not _same(a, b)
            ]
            if bad:
                key = ", ".join(_show(v) for v in w[: len(columns)])
                problems.append(f"row {index} ({key}): " + "; ".join(bad))
        if len(problems) >= MAX_REPORTED:
            problems.append("...")
            break
    return problems


def type_problems(table: pa.Table, expected: Mapping[str, pa.DataType]) -> list[str]:
    """Columns of ``table`` whose Arrow type is not the expected one."""
    return [
        f"column {name}: expected type {want}, got {table.schema.field(name).type}"
        for name, want in expected.items()
        if name in table.column_names and table.schema.field(name).type != want
    ]


def rows_of(table: pa.Table) -> list[tuple[Any, ...]]:
    columns = [table.column(name).to_pylist() for name in table.column_names]
    return list(zip(*columns, strict=True)) if columns else []
