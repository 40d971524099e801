"""Small in-memory tables the queries join to: periods, days, as-of dates.

Their names derive from their contents, so the SQL of a query is the same
every time it is compiled (SQL snapshots stay stable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from functools import lru_cache
from typing import Any

import pyarrow as pa

from onpace.engine.ibis_internals import named_memtable

_EPOCH = dt.date(1970, 1, 1).toordinal()


def _dates(values: tuple[dt.date, ...]) -> pa.Array:
    """A date32 array built from its buffer (pa.array would import pandas, 0.3 s, to check its input)."""
    days = struct.pack(f"<{len(values)}i", *(v.toordinal() - _EPOCH for v in values))
    return pa.Array.from_buffers(pa.date32(), len(values), [None, pa.py_buffer(days)])


def date_table(prefix: str, columns: dict[str, list[dt.date]]) -> Any:
    """An ibis table of date columns, named by a hash of its contents.

    Equal contents give the very same table object, so one query can use it twice.
    """
    return _date_table(prefix, tuple((name, tuple(values)) for name, values in columns.items()))


@lru_cache(maxsize=256)
def _date_table(prefix: str, items: tuple[tuple[str, tuple[dt.date, ...]], ...]) -> Any:
    columns = dict(items)
    arrow = pa.Table.from_arrays([_dates(values) for values in columns.values()], names=list(columns))
    digest = hashlib.sha1(usedforsecurity=False)
    for name, values in columns.items():
        digest.update(name.encode())
        digest.update(b"".join(v.toordinal().to_bytes(4, "little") for v in values))
    return named_memtable(f"onpace_{prefix}_{digest.hexdigest()[:12]}", arrow)
