"""Daily values of additive leaves, kept between the queries of a refresh and between refreshes.

A refresh asks the same dataset for many series: the day, month, quarter and year of the
same metrics, each a query of its own. Sums and counts add up by day, so the engine
aggregates such leaves by day once (per dataset, time dimension, segment and dimensions)
and rolls every period up from those days (:meth:`onpace.engine.assemble._Assembly.build`).

The days are kept here, in the long-lived process (the scheduler's engine), under a
*generation*: :meth:`Engine.clear_cache` starts a new one when the data may have grown.

- Within a generation the kept days are the truth: a later query reads only the days
  it needs that are not kept yet.
- In a later generation, in ``reuse`` mode (an incremental refresh), the days before the
  kept data's last day minus ``lookback_days`` are kept: the incremental refresh's own
  contract (rows older than the lookback do not change; a full refresh re-reads them).
  The days from there on are read again, with every day after.
- In ``fill`` mode (a full refresh) every query reads all of its days from the source
  again, and keeps them for the incremental refreshes that follow.

Only sums and counts (``agg: sum | count``) are kept: distinct counts, medians and the
other aggregates read their rows for each period.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from onpace.engine import plan as p

Mode = Literal["reuse", "fill"]
TIME = "__t"  # the day column (the assembler's name for a row's time)


@dataclass(frozen=True)
class Sharing:
    """How the queries of a refresh share their days: ``mode``, the lookback, and ``fresh_from``.

    ``fresh_from``: a day from which kept days of an earlier generation are read again whatever
    the lookback says (the earliest day a series of the refresh recomputes from: a series whose
    data ends before the dataset's counts its lookback from its own last day).
    """

    mode: Mode
    lookback_days: int
    fresh_from: dt.date | None = None


# the sharing of the current refresh (None: queries read their own rows, as ad-hoc queries do)
_sharing: ContextVar[Sharing | None] = ContextVar("onpace_day_sharing", default=None)


@contextmanager
def sharing(mode: Mode, lookback_days: int, fresh_from: dt.date | None = None) -> Iterator[None]:
    """Queries run in this block share their daily values (see the module's docstring)."""
    token = _sharing.set(Sharing(mode, lookback_days, fresh_from))
    try:
        yield
    finally:
        _sharing.reset(token)


def current() -> Sharing | None:
    return _sharing.get()


@dataclass(frozen=True)
class DayKey:
    """The rows a daily table aggregates: a dataset's, by its time dimension, in a segment, by dimensions."""

    source: str
    dataset: str
    time: str
    where: str | None
    dims: tuple[str, ...]


@dataclass
class _Entry:
    table: pa.Table  # TIME, the dimensions' columns, one column per leaf; days lo..hi
    columns: dict[p.Leaf, str]
    lo: dt.date
    hi: dt.date
    generation: int


# compute(leaves with their columns, first day, last day) -> the daily table of those days
Compute = Callable[[dict[p.Leaf, str], dt.date, dt.date], pa.Table]


class DayCache:
    """Daily tables by :class:`DayKey`; at most ``limit`` of them, the least recently used dropped first."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self.generation = 0
        self._entries: OrderedDict[DayKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def new_generation(self) -> None:
        """The data may have changed since: kept days are trusted only up to the lookback from now on."""
        with self._lock:
            self.generation += 1

    def __len__(self) -> int:
        return len(self._entries)

    def days(
        self,
        key: DayKey,
        leaves: list[p.Leaf],
        lo: dt.date,
        hi: dt.date,
        how: Sharing,
        compute: Compute,
        data_last: dt.date | None = None,
    ) -> tuple[pa.Table, dict[p.Leaf, str]]:
        """The daily table of ``leaves`` over ``lo``..``hi`` (only those days), and each leaf's column.

        ``data_last``: the last day of the data's time dimension, learnt in this generation: days
        after it that are not kept yet are known to hold no row, and are not read.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            reusable = entry is not None and all(leaf in entry.columns for leaf in leaves)
            valid = self._valid(entry, how) if reusable and entry is not None else None
        if entry is None or valid is None or not reusable:
            # read from the source: the leaves kept with those asked (a full refresh keeps every
            # leaf it read in this generation, not only the last query's), over both ranges
            merge = entry is not None and (how.mode == "reuse" or entry.generation == self.generation)
            columns = dict(entry.columns) if merge and entry is not None else {}
            for leaf in leaves:
                columns.setdefault(leaf, f"__l{len(columns)}")
            first, last = (min(lo, entry.lo), max(hi, entry.hi)) if merge and entry is not None else (lo, hi)
            table = compute(columns, first, last)
            entry = _Entry(table, columns, first, last, self.generation)
        else:
            vlo, vhi = valid
            parts = [_between(entry.table, vlo, vhi)]
            first, last = min(lo, vlo), max(hi, vhi)
            if first < vlo:
                parts.insert(0, compute(entry.columns, first, vlo - dt.timedelta(days=1)))
            if last > vhi and (data_last is None or vhi < data_last):
                parts.append(compute(entry.columns, vhi + dt.timedelta(days=1), last))
            table = entry.table if len(parts) == 1 and (vlo, vhi) == (entry.lo, entry.hi) else _concat(parts)
            entry = _Entry(table, entry.columns, first, last, self.generation)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)
        return _between(entry.table, lo, hi), entry.columns

    def extent(
        self, key: DayKey, lo: dt.date, hi: dt.date, by: str | None = None
    ) -> dict[Any, tuple[dt.date, dt.date]] | None:
        """The first and last kept day of ``key``'s rows (by value of the column ``by``), or None.

        A daily table has a row for each day on which a row passes its segment (its leaves'
        own filters do not drop days), so its first and last day are the segment's days with
        data (:mod:`onpace.engine.extent`) when it holds every day from ``lo`` to ``hi`` (the
        time dimension's bounds) read in this generation. None when it does not: ask the source.
        Without ``by`` the one answer is under the key None; a value without a day is absent.
        """
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.generation != self.generation or entry.lo > lo or entry.hi < hi:
            return None
        table = entry.table
        if by is None:
            days = table.column(TIME)
            if not len(days) or days.null_count == len(days):
                return {}
            found = pc.min_max(days).as_py()
            return {None: (_day(found["min"]), _day(found["max"]))}
        if by not in table.column_names:
            return None
        grouped = table.group_by(by).aggregate([(TIME, "min"), (TIME, "max")])
        out: dict[Any, tuple[dt.date, dt.date]] = {}
        for value, first, last in zip(
            grouped.column(by).to_pylist(),
            grouped.column(f"{TIME}_min").to_pylist(),
            grouped.column(f"{TIME}_max").to_pylist(),
            strict=True,
        ):
            if first is not None and last is not None:
                out[value] = (_day(first), _day(last))
        return out

    def _valid(self, entry: _Entry, how: Sharing) -> tuple[dt.date, dt.date] | None:
        """The days of ``entry`` still to be trusted, or None when none is."""
        if how.mode == "fill":
            return None
        if entry.generation == self.generation:
            return entry.lo, entry.hi
        days = entry.table.column(TIME)
        last = pc.max(days).as_py() if len(days) else None
        if last is None:
            return None  # no row was read then: read them all again
        cut = last - dt.timedelta(days=how.lookback_days)  # a date: the scan casts the time to one
        if how.fresh_from is not None:
            cut = min(cut, how.fresh_from)
        if cut <= entry.lo:
            return None
        return entry.lo, min(entry.hi, cut - dt.timedelta(days=1))


def _between(table: pa.Table, lo: dt.date, hi: dt.date) -> pa.Table:
    days = table.column(TIME)
    if not len(days):
        return table
    kind = days.type
    low, high = pa.scalar(lo).cast(kind), pa.scalar(hi).cast(kind)
    return table.filter(pc.and_(pc.greater_equal(days, low), pc.less_equal(days, high)))


def _concat(parts: list[pa.Table]) -> pa.Table:
    schema = parts[-1].schema
    return pa.concat_tables([part.select(schema.names).cast(schema) for part in parts])


def _day(value: Any) -> dt.date:
    """A kept day as a date (the scan casts the time to a date; a timestamp would keep its day)."""
    return value.date() if isinstance(value, dt.datetime) else value
