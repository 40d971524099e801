"""What a query result says about its range, carried in the Arrow schema's metadata.

A query reads the days of its range ``[start, end]`` only; a period the range cuts
(a month of which only 15-31 January is in the range, or a month in progress) is
*partial*: its value is that of its days inside the range. The result keeps its
columns; the partial periods and the days read are schema metadata, read back with
:func:`partial_periods` and :func:`days_read` (see docs/engine-contract.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pyarrow as pa

PARTIAL_PERIODS_KEY = b"onpace.partial_periods"
"""Schema metadata: a JSON list of the ISO start dates of the partial periods."""
DAYS_READ_KEY = b"onpace.days_read"
"""Schema metadata: a JSON list ``[start, end]`` of the first and last day read (ISO dates)."""


def mark(table: pa.Table, partial: Sequence[dt.date], days: tuple[dt.date, dt.date] | None) -> pa.Table:
    """``table`` with the partial periods and the days read in its schema metadata."""
    metadata = dict(table.schema.metadata or {})
    metadata[PARTIAL_PERIODS_KEY] = json.dumps([p.isoformat() for p in partial]).encode()
    if days is not None:
        metadata[DAYS_READ_KEY] = json.dumps([days[0].isoformat(), days[1].isoformat()]).encode()
    else:
        metadata.pop(DAYS_READ_KEY, None)
    return table.replace_schema_metadata(metadata)


def partial_periods(table: pa.Table) -> list[dt.date]:
    """The start dates of the result's periods that the range cuts (only their days inside it were read).

    [] for a result without a grain, with no period cut, or not made by :meth:`Engine.query`.
    """
    raw = (table.schema.metadata or {}).get(PARTIAL_PERIODS_KEY)
    return [] if raw is None else [dt.date.fromisoformat(text) for text in json.loads(raw)]


def days_read(table: pa.Table) -> tuple[dt.date, dt.date] | None:
    """The first and last day the result's values were read from (inclusive); None when no data was read.

    Without a start the range starts on the first day of the period holding the first row;
    without an end it ends on the last day with data. Earlier periods read by offsets and the
    windows of cumulative metrics are read too; they are not in this range.
    """
    raw = (table.schema.metadata or {}).get(DAYS_READ_KEY)
    if raw is None:
        return None
    start, end = json.loads(raw)
    return dt.date.fromisoformat(start), dt.date.fromisoformat(end)
