"""How onpace's queries are shaped for PostgreSQL and MariaDB, so that their time grows linearly.

The assembler (engine/assemble.py) puts tables side by side by key again and again: each group of
metrics onto the time spine (period and dimensions), each day of a daily series onto the dense
grid of days and combinations (cumulative metrics), each earlier period's values onto the periods
that compare with it (offsets). As left joins on the period and the dimensions, compared null-safe
(``IS NOT DISTINCT FROM`` / ``<=>``: null meets null), those joins blow up on two engines:

- **MariaDB** (10.11, no hash join by default) looked a join on ``(period, dimension)`` up by a
  key on one column of the derived table (the dimension) and filtered the other: a query by a
  dimension at day grain read days x days rows per join, and a cumulative metric's rows, merged
  into the spine's joins, days x days x days (one running total by channel over 810 days: 564 s).
  It also evaluates a common table expression once per reference: offsets, each a self-join of
  the table the previous one made, read the data 2^k times for k offsets.
- **PostgreSQL** can neither hash nor merge on ``IS NOT DISTINCT FROM``, and multiplies its row
  estimates join after join (the small in-memory tables have no statistics): a few cumulative
  metrics or offsets are estimated at 10^20 to 10^56 rows, so it compiles the query with JIT,
  which takes 1-4 s for a query that runs in 0.1 s, longer the more metrics.

On those dialects (:func:`stacks`) the tables are stacked instead (``UNION ALL``), each row with
its own table's values and nulls in the other tables' columns, and grouped by the key: a key's row
takes the one value its table holds there (``MAX`` of a single value, exact for every type). A
group treats null as a value of its own, as the null-safe comparison does; keys the first table
lacks are dropped, as a left join drops them. The cost is one grouping of the stacked rows, so it
grows linearly with the number of tables, and the estimates add up instead of multiplying.
Offsets of one level all read the table the level started from (never the one the previous offset
made), by the periods they read, so k offsets read it k + 1 times. On MariaDB a cumulative metric
reads a daily table of its own leaf (:func:`evaluates_each_reference`). DuckDB and Spark keep the
joins: they hash-join on several keys and compute a shared table expression once.

PostgreSQL sessions onpace opens also run without JIT (:data:`POSTGRES_OPTIONS`): PostgreSQL
decides to compile a query by its estimated cost, which for these queries stays far off (tables
without statistics, group keys it cannot count) and grows with the number of metrics, so JIT
compiled queries of 0.1 s for 0.5 to 4 s. A URL's own ``options=-c jit=on`` turns it back on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis

STACKED = frozenset({"postgres", "mysql"})
POSTGRES_OPTIONS = "-c jit=off"
"""Settings of the PostgreSQL sessions onpace opens, before the URL's own ``options`` (which win)."""
_IN = "__in"  # 1 on the rows of the first table: the keys the result keeps


def stacks(dialect: str) -> bool:
    """Whether tables are put side by side by stacking and grouping (True) or by left joins."""
    return dialect in STACKED


def evaluates_each_reference(dialect: str) -> bool:
    """Whether the database computes a table expression again for each reference to it (MariaDB, MySQL).

    A cumulative metric then reads a daily table of its own leaf: the daily table of all the
    query's leaves (one scan on the other engines) would be computed in full for each of them.
    """
    return dialect == "mysql"


@dataclass(frozen=True)
class Side:
    """A table to put beside another: its key columns (in the other's order) and the values it brings.

    ``values``: the result's column name -> an expression over ``table``. At most one row per key.
    """

    table: Any
    keys: Sequence[str]
    values: dict[str, Any] = field(default_factory=dict)


def beside(left: Any, keys: Sequence[str], sides: Sequence[Side]) -> Any:
    """``left`` (one row per ``keys``) with each side's values at the same keys, null where it has none.

    The result of left-joining ``left`` to each side on equal keys (null equal to null), in one
    grouping of the stacked rows: ``left``'s columns, then the sides' values in order.
    """
    carried = [c for c in left.columns if c not in keys]
    types: dict[str, Any] = {c: left[c].type() for c in carried}
    for side in sides:
        for name, value in side.values.items():
            if name in types:
                raise ValueError(f"column '{name}' is brought twice")
            types[name] = value.type()
    key_types = {k: left[k].type() for k in keys}
    branches = [_branch(left, [left[k] for k in keys], keys, key_types, types, {c: left[c] for c in carried}, 1)]
    for side in sides:
        own = [side.table[k] for k in side.keys]
        branches.append(_branch(side.table, own, keys, key_types, types, side.values, None))
    stacked = ibis.union(*branches, distinct=False)
    grouped = stacked.group_by(list(keys)).aggregate(
        **{_IN: stacked[_IN].max()}, **{name: _one(stacked[name]) for name in types}
    )
    kept = grouped.filter(grouped[_IN].notnull())
    return kept.select(*keys, *types)


def _branch(
    table: Any,
    key_values: list[Any],
    keys: Sequence[str],
    key_types: dict[str, Any],
    types: dict[str, Any],
    own: dict[str, Any],
    present: int | None,
) -> Any:
    """One table's rows as the stack holds them: the keys, the mark, every column (its own, or null)."""
    columns: dict[str, Any] = {}
    for key, value in zip(keys, key_values, strict=True):
        kind = key_types[key]
        if present is None and kind.is_date():
            value = _date(value)
        columns[key] = value if value.type() == kind else value.cast(kind)
    columns[_IN] = ibis.literal(present, type="int8") if present is not None else ibis.null("int8")
    for name, kind in types.items():
        columns[name] = own[name] if name in own else ibis.null(kind)
    return table.select(**columns)


def _date(value: Any) -> Any:
    """A date expression that is a date in SQL too, so that the stacked keys have one type.

    A period truncated by ibis is a date to ibis but not to the database: PostgreSQL's
    ``DATE_TRUNC`` gives a timestamp with time zone, MariaDB's ``DATE_FORMAT`` a string. A join
    compares them with a date all the same; a ``UNION`` would give the key their common type.
    ibis drops a cast to the type it believes the value has, so this casts through a timestamp
    (the date's midnight, in the session's time zone: the day itself).
    """
    return value.cast("timestamp").cast("date")


def _one(column: Any) -> Any:
    """The one value of a key's rows (the others are null): MAX, which booleans lack on PostgreSQL."""
    if column.type().is_boolean():
        return column.cast("int8").max().cast("boolean")
    return column.max()


def dense_days(grid: Any, daily: Any, day: str, keys: Sequence[str], value: str, *, seen: bool, has: bool) -> Any:
    """Each day x combination of ``grid`` with the daily ``value`` (0 where no row), as a left join gives it.

    ``grid`` has ``__day`` and the dimensions ``keys``; ``daily`` one row per ``day`` and
    dimensions. ``seen`` adds ``__f`` (1: the day has a row of the combination), ``has`` adds
    ``__h`` (1: the day's value is not null).
    """
    side = Side(daily, (day, *keys), {"__x": daily[value], "__e": ibis.literal(1, type="int8")})
    joined = beside(grid, ("__day", *keys), [side])
    flags: dict[str, Any] = {}
    if seen:
        flags["__f"] = ibis.ifelse(joined["__e"].isnull(), 0, 1)
    if has:
        flags["__h"] = ibis.ifelse(joined["__x"].isnull(), 0, 1)
    return joined.select("__day", *keys, __v=ibis.coalesce(joined["__x"], 0), **flags)


def on_spine(spine: Any, keys: Sequence[str], groups: Sequence[tuple[Any, Sequence[str]]]) -> Any:
    """The spine (one row per period and combination) with each group's columns ``(table, columns)`` beside it."""
    return beside(spine, keys, [Side(table, keys, {c: table[c] for c in cols}) for table, cols in groups])


def offset_values(table: Any, base: Any, readers: Any, period: str, keys: Sequence[str], moves: dict[str, str]) -> Any:
    """``table`` with the values of ``base`` at each period's earlier period, as a left join on it gives them.

    ``readers`` holds each period (``period``) and the period it reads (``__prior``); ``moves``:
    the new column -> the column of ``base`` it takes. ``base`` is the table the level of offsets
    started from, so that offsets of several shifts each read it (never one another's results).
    """
    pairs = readers.select(__rp=readers[period], __rq=readers["__prior"])
    moved = pairs.join(base, pairs["__rq"] == base[period])
    side = Side(moved, ("__rp", *keys), {new: moved[old] for new, old in moves.items()})
    return beside(table, (period, *keys), [side])


__all__ = [
    "POSTGRES_OPTIONS",
    "STACKED",
    "Side",
    "beside",
    "dense_days",
    "evaluates_each_reference",
    "offset_values",
    "on_spine",
    "stacks",
]
