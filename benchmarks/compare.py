"""Compare two result tables cell by cell: same columns, types and rows; numbers within a relative tolerance."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Iterable
from importlib import metadata
from typing import Any

import pyarrow as pa


def differences(expected: pa.Table, got: pa.Table, *, rel: float = 1e-9, limit: int = 20) -> list[str]:
    """Every way ``got`` differs from ``expected`` (at most ``limit`` cell differences), or [] when equal.

    Rows are matched by position (both are sorted by period, then dimensions) and named by their
    non-metric columns. NaN and null are the same (a missing number). Integers must be equal.
    """
    if expected.column_names != got.column_names:
        return [f"columns differ: expected {expected.column_names}, got {got.column_names}"]
    problems = [
        f"type of {name}: expected {e.type}, got {g.type}"
        for name, e, g in zip(expected.column_names, expected.schema, got.schema, strict=True)
        if e.type != g.type and not (_is_number(e.type) and _is_number(g.type))
    ]
    if expected.num_rows != got.num_rows:
        return [*problems, f"row count: expected {expected.num_rows}, got {got.num_rows}"]
    labels = [
        name for name, field in zip(expected.column_names, expected.schema, strict=True) if not _is_number(field.type)
    ]
    rows = list(zip(*(expected.column(n).to_pylist() for n in labels), strict=True)) if labels else []
    cells: list[str] = []
    for name in expected.column_names:
        for i, (e, g) in enumerate(zip(expected.column(name).to_pylist(), got.column(name).to_pylist(), strict=True)):
            if not _same(e, g, rel):
                where = ", ".join(f"{k}={v}" for k, v in zip(labels, rows[i], strict=True)) if rows else f"row {i}"
                cells.append(f"{where}: {name} expected {e!r}, got {g!r}")
    if len(cells) > limit:
        cells = [*cells[:limit], f"... and {len(cells) - limit} more differing cells"]
    return problems + cells


def _is_number(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _same(e: Any, g: Any, rel: float) -> bool:
    if _missing(e) or _missing(g):
        return _missing(e) and _missing(g)
    if isinstance(e, float) or isinstance(g, float):
        return math.isclose(float(e), float(g), rel_tol=rel, abs_tol=0.0)
    return bool(e == g)


def machine(packages: Iterable[str]) -> dict[str, Any]:
    """What the figures were measured on: CPUs, memory, platform, Python and the packages' versions."""
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(pages / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }
