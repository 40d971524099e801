"""Numbers for people: a metric's value in its format (currency, percent, duration), in full or compact."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from onpace.catalog import models as m

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact_value(value: Any, fmt: m.Format | None) -> str:
    """A short form for narrow tables: 290.8M USD, 4.34K; percentages and small numbers as format_value."""
    kind = fmt.kind if fmt else "number"
    if not isinstance(value, (int, float)) or isinstance(value, bool) or kind in ("percent", "duration"):
        return format_value(value, fmt)
    if math.isnan(value) or abs(value) < 1e4:
        if kind == "number" and (fmt is None or fmt.decimals is None) and abs(value) >= 100:
            return f"{value:,.0f}"
        return format_value(value, fmt)
    size, suffix = next((s, x) for s, x in _SCALES if abs(value) >= s)
    code = f" {fmt.currency}" if kind == "currency" and fmt and fmt.currency else ""
    return f"{value / size:,.1f}{suffix}{code}"


_DURATION_UNITS = {"seconds": "s", "minutes": "min", "hours": "h", "days": "days"}


def format_value(value: Any, fmt: m.Format | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "–"
    kind = fmt.kind if fmt else "number"
    decimals = fmt.decimals if fmt and fmt.decimals is not None else None
    if kind == "percent":
        return f"{value * 100:,.{1 if decimals is None else decimals}f}%"
    if kind == "currency":
        code = fmt.currency if fmt else ""
        return f"{value:,.{2 if decimals is None else decimals}f} {code}".strip()
    unit = f" {_DURATION_UNITS[fmt.duration_unit]}" if kind == "duration" and fmt and fmt.duration_unit else ""
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value:,.{2 if decimals is None else decimals}f}{unit}"
