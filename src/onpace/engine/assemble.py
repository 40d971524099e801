"""Build the whole ibis expression of a query.

1. Leaves of the same dataset and time dimension are aggregated together in
   one scan (filters become conditional aggregates).
2. Semi-additive and cumulative nodes get their own scans (they need the rows
   at the snapshot dates, or a dense daily series).
3. A time spine (every period x every dimension combination seen in the rows
   the metrics read for the result's periods) receives each group by a left
   join, so empty periods are present and metrics from different datasets
   never multiply each other.
4. Ratios, derived expressions and offsets are computed on that table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import ibis
import pyarrow as pa

from onpace import calendar as cal
from onpace.catalog import models as m
from onpace.catalog.expr import Name, parse
from onpace.catalog.project import Project
from onpace.engine import conversion as conv
from onpace.engine import levels, shapes
from onpace.engine import plan as p
from onpace.engine.calendar import interval, truncate
from onpace.engine.compile_expr import compile_expr
from onpace.engine.days import TIME
from onpace.engine.joins import JoinGraph
from onpace.engine.query import Query
from onpace.engine.scan import Scan, TableOf, as_date, dim_col
from onpace.engine.spine import date_table
from onpace.errors import QueryError

Bounds = Callable[[str], tuple[dt.date | None, dt.date | None]]
# the daily table of (dataset, time dimension) for these leaves over lo..hi, and each leaf's column;
# its last argument builds the expression of any leaves (with their columns) over any days
DayExpr = Callable[[dict[p.Leaf, str], dt.date, dt.date], Any]
DayReader = Callable[[str, str, list[p.Leaf], dt.date, dt.date, DayExpr], tuple[Any, dict[p.Leaf, str]]]

PERIOD = "__p"


@dataclass
class Range:
    """The periods a query covers, and the data each kind of node must read.

    The result's periods are read from ``start`` to ``end`` only: a period the range
    cuts (``partial``) gets the value of its days inside the range. Periods before
    ``first``, read by offsets, are read whole; so is the first period under the key
    ``whole_first`` (the day before it) when it is partial and a later period's offset
    reads it.
    """

    grain: m.Grain | None
    first: dt.date  # first period in the result
    last: dt.date  # last period in the result
    spine_first: dt.date  # first period computed (earlier when offsets look back)
    end: dt.date  # last day of data read for the result periods
    start: dt.date  # first day of data read for the result periods (first, or a day inside it)
    partial: list[dt.date] = field(default_factory=list)  # result periods not wholly inside the range
    days: tuple[dt.date, dt.date] | None = None  # the range [start, end] as the output reports it
    whole_first: dt.date | None = None

    @property
    def periods(self) -> list[dt.date]:
        if self.grain is None:
            return [self.first]
        out = list(_periods(self.spine_first, self.last, self.grain))
        if self.whole_first is not None:
            out.insert(out.index(self.first), self.whole_first)
        return out

    def period_end(self, start: dt.date) -> dt.date:
        return self.end if self.grain is None else cal.period_end(start, self.grain)

    @property
    def key(self) -> tuple[Any, ...]:
        """What of the range the expression holds (``partial`` and ``days`` only describe the result)."""
        return (self.grain, self.first, self.last, self.spine_first, self.end, self.start, self.whole_first)


def _periods(first: dt.date, last: dt.date, grain: m.Grain) -> list[dt.date]:
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = cal.shift_period(current, 1, grain)
    return out


@dataclass
class Group:
    """Aggregated values keyed by period and dimensions, and the combinations its metrics read.

    ``seen`` has a row (period and dimensions) for each combination found in the rows read
    for that period, before the metrics' own filters (a filter never hides a combination);
    ``reads`` are the runs of periods (first, last) the metrics are read for. The spine
    takes its combinations from ``seen`` within ``reads``.
    """

    table: Any
    cols: list[str]
    seen: Any = None  # None: the table itself (aggregated from the rows before the metrics' own filters)
    reads: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @property
    def combos_source(self) -> Any:
        return self.table if self.seen is None else self.seen


@dataclass
class _Window:
    as_of: dict[dt.date, dt.date]  # period -> the day its value is taken on
    lo: dt.date
    hi: dt.date
    starts: dict[dt.date, dt.date] = field(default_factory=dict)  # period -> first day of its window


@dataclass
class _Daily:
    """Leaves of one dataset needed by day, and the days needed."""

    leaves: list[p.Leaf] = field(default_factory=list)
    lo: dt.date = dt.date.max
    hi: dt.date = dt.date.min

    def add(self, leaves: list[p.Leaf], lo: dt.date, hi: dt.date) -> None:
        self.leaves += [leaf for leaf in leaves if leaf not in self.leaves]
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)


@dataclass
class Built:
    expr: Any  # ibis table: period (if grain), dimensions, metrics
    columns: list[str]
    integer_columns: set[str] = field(default_factory=set)
    empty: bool = False
    partial: list[dt.date] = field(default_factory=list)  # periods the range cuts (see Range)
    days: tuple[dt.date, dt.date] | None = None  # the days read for the result: [start, end]
    # the kept days the query reads (engine/days.py): registered under their names while it runs
    kept: dict[str, pa.Table] = field(default_factory=dict)
    reads: list[KeptRead] = field(default_factory=list)  # how to read them again (a build kept for later)
    # what the expression depends on besides the query: its range (the periods, dates it reads) and
    # the data bounds it consulted otherwise (cumulative windows)
    range_key: tuple[Any, ...] | None = None
    consulted: dict[str, tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeptRead:
    """One read of kept days by a query: what it asked, and the table's name and columns in the query."""

    name: str
    dataset: str
    time: str
    leaves: tuple[p.Leaf, ...]
    lo: dt.date
    hi: dt.date
    columns: tuple[str, ...]  # the leaves' columns in the query, in order
    dims: tuple[str, ...]  # the dimensions' columns
    expr: DayExpr = field(compare=False, hash=False)

    def table(self, found: pa.Table, columns: dict[p.Leaf, str]) -> pa.Table:
        """The kept days as the query reads them: the day, the dimensions, each leaf under its column."""
        picked = found.select([TIME, *self.dims, *[columns[leaf] for leaf in self.leaves]])
        return picked.rename_columns([TIME, *self.dims, *self.columns])


class Assembler:
    """What every query of one project shares: its definitions, joins, tables, data bounds and dialect.

    It keeps nothing of a query: :meth:`build` gives each query its own :class:`_Assembly`,
    so one assembler serves any number of queries, one after another or at the same time.
    """

    def __init__(
        self, project: Project, graph: JoinGraph, table_of: TableOf, bounds: Bounds, dialect: str = "duckdb"
    ) -> None:
        self.dialect = dialect
        self.project = project
        self.graph = graph
        self.table_of = table_of
        self.bounds = bounds
        self.calendar = project.calendar
        self.planner = p.Planner(project)

    def build(self, query: Query, days: DayReader | None = None) -> Built:
        """The ibis expression of ``query`` (see the module's docstring).

        ``days``: where sums and counts are read by day (:mod:`onpace.engine.days`); every
        period is then rolled up from those days. None: each query aggregates its own rows.
        """
        return _Assembly(self, query.checked(), days).build()

    def range_of(self, query: Query) -> Range | None:
        """The range :meth:`build` gives ``query`` now (None: no data in range), without building it."""
        return _Assembly(self, query.checked()).range_now()


class _Assembly:
    """One query being built: the query, its dimensions and its range, next to what the assembler shares."""

    rng: Range  # set by build(), before anything reads it

    def __init__(self, shared: Assembler, query: Query, days: DayReader | None = None) -> None:
        self.days = days
        self.kept: dict[str, pa.Table] = {}  # the kept days this query reads, by table name
        self.reads: list[KeptRead] = []
        self.consulted: dict[str, tuple[dt.date | None, dt.date | None]] = {}
        self.dialect = shared.dialect
        self.project = shared.project
        self.graph = shared.graph
        self.table_of = shared.table_of
        self.calendar = shared.calendar
        self.planner = shared.planner
        self.query = query
        self._bounds = shared.bounds
        self.dims = list(query.dimensions)

    def bounds(self, time: str) -> tuple[dt.date | None, dt.date | None]:
        """The data's bounds of ``time``, recorded: a build kept for later holds while they hold."""
        found = self.consulted[time] = self._bounds(time)
        return found

    # -- entry point ----------------------------------------------------------
    def range_now(self) -> Range | None:
        grain = self.query.grain_value
        roots = [self.planner.resolve(name) for name in self.query.metrics]
        return self._range(self.query, grain, p.walk(roots), roots)

    def build(self) -> Built:
        query = self.query
        grain = query.grain_value
        roots = [self.planner.resolve(name) for name in query.metrics]
        nodes = p.walk(roots)
        if grain is None and any(isinstance(n, p.Offset) for n in nodes):
            raise QueryError("metrics with offsets (period over period, year over year) need a grain")
        for node in nodes:
            to = node.start_of if isinstance(node, p.Offset) else None
            if to is not None and grain is not None and not cal.within(grain, to):
                raise QueryError(
                    f"offset 'start of {to.value}' at grain {grain.value}: a {grain.value} is not always within one "
                    f"{to.value}; query at day grain or a grain that {to.value}s are made of"
                )
        for dim in query.dimensions:
            if not self.graph.is_dimension(dim):
                from onpace.errors import did_you_mean

                period = _metric_time_hint(dim)
                raise QueryError(
                    f"unknown dimension '{dim}'" + period,
                    suggestion=None if period else did_you_mean(dim, self.graph.dimension_names()),
                )
        names = {n: f"__n{i}" for i, n in enumerate(nodes)}
        out_cols = ([] if grain is None else ["period"]) + self.dims + list(query.metrics)
        integer_cols = {name for name, root in zip(query.metrics, roots, strict=True) if p.is_integer(root)}

        rng = self._range(query, grain, nodes, roots)
        if rng is None:
            return Built(None, out_cols, integer_cols, empty=True, consulted=self.consulted)
        self.rng = rng

        reads = self._reads(roots)
        groups: list[Group] = []
        leaves = [n for n in nodes if isinstance(n, p.Leaf)]
        by_scan: dict[tuple[str, str], list[p.Leaf]] = {}
        for leaf in leaves:
            if leaf.agg == m.Agg.count_distinct and not reads.get(leaf):
                continue  # read only by running distinct counts, which read the rows themselves
            by_scan.setdefault((leaf.dataset, leaf.time), []).append(leaf)
        # cumulative metrics need a daily series; additive leaves of the same dataset
        # are rolled up from that series too, so the dataset is scanned once
        daily: dict[tuple[str, str], _Daily] = {}
        windows: dict[p.Cumulative, _Window] = {}
        for node in nodes:
            if isinstance(node, p.Cumulative):
                window = windows[node] = self._cumulative_window(node)
                if not node.distinct:  # distinct counts do not add up by day: they read the rows
                    key = (node.leaf.dataset, node.leaf.time)
                    daily.setdefault(key, _Daily()).add([node.leaf], window.lo, window.hi)
        leaf_lo = self.rng.spine_first if grain else self.rng.first
        rolled: dict[tuple[str, str], list[p.Leaf]] = {}
        for key, group in by_scan.items():
            additive = all(leaf.agg in (m.Agg.sum, m.Agg.count) for leaf in group)
            if additive and (key in daily or self.days is not None):
                daily.setdefault(key, _Daily()).add(group, leaf_lo, self.rng.end)
                rolled[key] = group
            else:
                if self.dialect == "mysql":  # no percentile aggregate there: ranks by window functions instead
                    ranked = [leaf for leaf in group if leaf.agg in (m.Agg.median, m.Agg.percentile)]
                    groups += [
                        self._reading(
                            self._percentile_group(leaf, names[leaf], _first_read([leaf], reads)), [leaf], reads
                        )
                        for leaf in ranked
                    ]
                    group = [leaf for leaf in group if leaf not in ranked]
                if group:
                    lo = _first_read(group, reads)
                    groups.append(self._reading(self._leaf_group(key[0], key[1], group, names, lo), group, reads))
        series = {key: self._daily_source(key, need, names) for key, need in daily.items()}
        for key, group in rolled.items():
            groups.append(self._reading(self._rollup(series[key], group, names, leaf_lo), group, reads))
        for node, window in windows.items():
            if node.distinct:
                cumulative = self._distinct_group(node, window, names[node])
            else:
                key = (node.leaf.dataset, node.leaf.time)
                source = series[key]
                if self.days is None and shapes.evaluates_each_reference(self.dialect):  # its own leaf only
                    source = self._daily_table(key, {node.leaf: names[node.leaf]}, daily[key].lo, daily[key].hi)
                cumulative = self._cumulative_group(source, daily[key], node, window, names)
            groups.append(self._reading(cumulative, [node], reads))
        for node in nodes:
            if isinstance(node, p.Semi):
                groups.append(self._reading(self._semi_group(node, names[node]), [node], reads))
            elif isinstance(node, p.Conversion):
                groups.append(self._reading(self._conversion_group(node, names[node]), [node], reads))

        table = self._combine_groups(groups, nodes, names)
        for level in _levels(nodes):
            offsets = [n for n in level if isinstance(n, p.Offset)]
            by_shift: dict[tuple[int, str], list[p.Offset]] = {}
            for node in offsets:
                by_shift.setdefault((node.count, node.unit), []).append(node)
            base = table  # what the level's offsets read (engine/shapes.py)
            for batch in by_shift.values():
                table = self._offset(table, batch, names, base)
            calcs = {names[n]: self._combine(table, n, names) for n in level if isinstance(n, (p.Ratio, p.Derived))}
            if calcs:
                table = table.mutate(**calcs)
        if grain is not None:
            table = table.filter(table[PERIOD] >= ibis.literal(rng.first, type="date"))
        select: dict[str, Any] = {}
        if grain is not None:
            select["period"] = table[PERIOD]
        for dim in self.dims:
            select[dim] = table[dim_col(dim)]
        for name, root in zip(query.metrics, roots, strict=True):
            value = table[names[root]]
            select[name] = value.cast("int64") if name in integer_cols else value.cast("float64")
        return Built(
            table.select(**select),
            out_cols,
            integer_cols,
            partial=rng.partial,
            days=rng.days,
            kept=self.kept,
            reads=self.reads,
            range_key=rng.key,
            consulted=self.consulted,
        )

    # -- range ----------------------------------------------------------------
    def _time_refs(self, nodes: list[p.Node]) -> set[str]:
        refs: set[str] = set()
        for n in nodes:
            if isinstance(n, (p.Leaf, p.Semi)):
                refs.add(n.time)
            elif isinstance(n, p.Cumulative):
                refs.add(n.leaf.time)
            elif isinstance(n, p.Conversion):  # its periods are its base events'
                refs.add(n.base.time)
        return refs

    def _range(self, query: Query, grain: m.Grain | None, nodes: list[p.Node], roots: list[p.Node]) -> Range | None:
        start, end = query.start, query.end
        if start is None or end is None:
            lows, highs = [], []
            for time in sorted(self._time_refs(nodes)):
                lo, hi = self._bounds(time)  # not recorded: a kept build compares the range itself
                if lo is not None and hi is not None:
                    lows.append(lo)
                    highs.append(hi)
            if not lows and (start is None or end is None):
                return None
            start = start or min(lows)
            end = end or max(highs)
            if start > end:
                return None
        if grain is None:
            return Range(None, start, start, start, end, start=start, days=(start, end))
        # every period that overlaps [start, end] is in the result, valued from its days inside the
        # range; without a start, the range starts with the period holding the first row
        first = cal.period_start(start, grain, self.calendar)
        if query.start is None:
            start = first
        last = cal.period_start(end, grain, self.calendar)
        if first > last:
            return None
        partial = [
            period for period in dict.fromkeys([first, last]) if period < start or cal.period_end(period, grain) > end
        ]
        # without an end the data's last day ends the range; reading on to the period's end reads
        # the same rows, and what a stale bound missed
        read_end = end if query.end is not None else cal.period_end(last, grain)
        spine_first = min(self._earliest(root, first, grain) for root in roots)
        # a later period's offset reads the first period whole: it gets its own key, the day before it
        offsets = any(isinstance(n, p.Offset) for n in nodes)
        whole_first = first - dt.timedelta(days=1) if offsets and start > first and first < last else None
        return Range(
            grain,
            first,
            last,
            spine_first,
            read_end,
            start=start,
            partial=partial,
            days=(start, end),
            whole_first=whole_first,
        )

    def _reads(self, roots: list[p.Node]) -> dict[p.Node, set[dt.date]]:
        """The periods each node is read for: the result's periods, shifted back under an offset.

        A cumulative metric's leaf is read for the days of its windows, not for periods:
        the cumulative group itself tells which combinations those days hold.
        """
        reads: dict[p.Node, set[dt.date]] = {}

        def visit(node: p.Node, periods: frozenset[dt.date]) -> None:
            known = reads.setdefault(node, set())
            if periods <= known:
                return
            known |= periods
            if isinstance(node, p.Offset):
                assert self.rng.grain is not None
                grain = self.rng.grain
                visit(node.node, frozenset(self._read_back(period, node, grain) for period in periods))
            elif not isinstance(node, p.Cumulative):
                for kid in p.children(node):
                    visit(kid, periods)

        result = frozenset(period for period in self.rng.periods if period >= self.rng.first)
        for root in roots:
            visit(root, result)
        return reads

    def _reading(self, group: Group, nodes: Sequence[p.Node], reads: dict[p.Node, set[dt.date]]) -> Group:
        """The group, with the runs of consecutive periods its nodes are read for."""
        wanted = set().union(*(reads.get(node, set()) for node in nodes))
        runs: list[tuple[dt.date, dt.date]] = []
        run: list[dt.date] = []
        for period in self.rng.periods:
            if period in wanted:
                run.append(period)
            elif run:
                runs.append((run[0], run[-1]))
                run = []
        if run:
            runs.append((run[0], run[-1]))
        group.reads = runs
        return group

    def _earliest(self, node: p.Node, first: dt.date, grain: m.Grain) -> dt.date:
        if isinstance(node, p.Offset):
            return self._earliest(node.node, self._shift_back(first, node, grain), grain)
        kids = p.children(node)
        return min((self._earliest(k, first, grain) for k in kids), default=first)

    def _read_back(self, period: dt.date, node: p.Offset, grain: m.Grain) -> dt.date:
        """The period an offset reads for ``period``: the first period's whole key in place of it."""
        whole = self.rng.whole_first
        prior = self._shift_back(self.rng.first if period == whole else period, node, grain)
        if period == self.rng.first and prior == period:  # 'start of': the first period reads itself, as cut
            return prior
        return whole if whole is not None and prior == self.rng.first else prior

    def _shift_back(self, period: dt.date, node: p.Offset, grain: m.Grain) -> dt.date:
        to = node.start_of
        if to is not None:  # the period holding the first day of the period's `to` period
            return cal.period_start(cal.period_start(period, to, self.calendar), grain, self.calendar)
        if node.unit == "period":
            return cal.shift_period(period, -node.count, grain)
        return cal.period_start(cal.shift_date(period, -node.count, node.unit), grain, self.calendar)

    # -- scans ----------------------------------------------------------------
    def _scan(self, dataset: str, time: str, texts: list[str | None], dims: Sequence[str] = ()) -> tuple[Scan, Any]:
        """The dataset's rows with the query's dimensions, ``dims`` and the time, after the query's where."""
        scan = Scan(self.project, self.graph, self.table_of, dataset)
        for dim in [*self.dims, *dims]:
            scan.need_dimension(dim)
        scan.need_dimension(time)
        scan.need(self.query.where, dimensions_first=True)
        for text in texts:
            scan.need(text)
        table = scan.table()
        table = table.mutate(**{TIME: as_date(table[dim_col(time)])})
        if self.query.where:
            table = table.filter(scan.compile(table, self.query.where, dimensions_first=True, condition="where"))
        return scan, table

    def _period(self, table: Any) -> Any:
        """The period of each row: its own column once :meth:`_rows_in_range` gave it one."""
        if PERIOD in table.columns:
            return table[PERIOD]
        if self.rng.grain is None:
            return ibis.literal(self.rng.first, type="date")
        return truncate(table[TIME], self.rng.grain, self.calendar, self.dialect)

    def _rows_in_range(self, table: Any, lo: dt.date | None = None) -> Any:
        """The rows read for the result's periods (and the earlier ones offsets read), with their period.

        Days from ``lo`` (the first period computed) to the range's end, without the days of the
        first result period before the range's start: a period the range cuts is valued from its
        days inside the range. Periods before the first one are read whole, and so is the first
        one, again, under the key ``whole_first`` when a later period's offset reads it.
        """
        rng = self.rng
        if lo is None:
            lo = rng.spine_first if rng.grain else rng.first
        table = self._in_window(table, lo, rng.end)
        rows = table
        if rng.grain is not None and rng.start > rng.first:
            first, start = ibis.literal(rng.first, type="date"), ibis.literal(rng.start, type="date")
            rows = table.filter((table[TIME] < first) | (table[TIME] >= start))
        rows = rows.mutate(**{PERIOD: self._period(rows)})
        if rng.whole_first is not None:
            assert rng.grain is not None
            first_end = ibis.literal(cal.period_end(rng.first, rng.grain), type="date")
            whole = table.filter((table[TIME] >= ibis.literal(rng.first, type="date")) & (table[TIME] <= first_end))
            whole = whole.mutate(**{PERIOD: ibis.literal(rng.whole_first, type="date")})
            rows = rows.union(whole.select(*rows.columns))
        return rows

    def _in_window(self, table: Any, lo: dt.date | None, hi: dt.date | None) -> Any:
        """The rows of ``table`` from day ``lo`` to day ``hi`` (None: no bound on that side)."""
        conds = []
        if hi is not None:
            conds.append(table[TIME] <= ibis.literal(hi, type="date"))
        if lo is not None:
            conds.append(table[TIME] >= ibis.literal(lo, type="date"))
        return table.filter(*conds) if conds else table

    def _keys(self, table: Any) -> dict[str, Any]:
        return {dim_col(d): table[dim_col(d)] for d in self.dims}

    def _seen(self, table: Any) -> Any:
        """The period and dimensions of each scanned row: the combinations a group has seen."""
        return table.select(**{PERIOD: self._period(table), **self._keys(table)})

    def _leaf_group(
        self, dataset: str, time: str, leaves: list[p.Leaf], names: dict[p.Node, str], lo: dt.date | None = None
    ) -> Group:
        """Leaves that do not add up by day, from their rows: those of the periods they are read for, from ``lo``."""
        texts: list[str | None] = []
        for leaf in leaves:
            texts.append(leaf.expr)
            texts.extend(leaf.filters)
        scan, table = self._scan(dataset, time, texts)
        table = self._rows_in_range(table, lo)
        aggs = {names[leaf]: self._aggregate(scan, table, leaf) for leaf in leaves}
        grouped = table.group_by([table[PERIOD], *self._keys(table).values()]).aggregate(**aggs)
        return Group(grouped, [names[leaf] for leaf in leaves])

    def _condition(self, scan: Scan, table: Any, filters: tuple[str, ...]) -> Any:
        cond = None
        for text in filters:
            part = scan.compile(table, text, condition="filter")
            cond = part if cond is None else cond & part
        return cond

    def _value(self, scan: Scan, table: Any, text: str) -> Any:
        """The expression to aggregate; booleans count as 0/1."""
        value = _per_row(table, scan.compile(table, text))
        return value.cast("int64") if value.type().is_boolean() else value

    def _aggregate(self, scan: Scan, table: Any, leaf: p.Leaf) -> Any:
        """One aggregate. Sums run in the column's own type (exact for decimals and
        integers) and become float64 in the output; percentiles interpolate in float64."""
        if leaf.null_when_empty and leaf.is_count:
            # empty_periods: null: a count of nothing is null, as a sum of no rows is (SQL's SUM)
            return self._aggregate(scan, table, replace(leaf, null_when_empty=False)).nullif(0)
        where = self._condition(scan, table, leaf.filters)
        agg = leaf.agg
        if agg == m.Agg.count:
            if leaf.expr is None:
                return table.count(where=where)
            return _per_row(table, scan.compile(table, leaf.expr)).count(where=where)
        assert leaf.expr is not None
        if agg == m.Agg.count_distinct:
            return _per_row(table, scan.compile(table, leaf.expr)).nunique(where=where)
        value = self._value(scan, table, leaf.expr)
        numeric = value.type().is_numeric() or (agg in (m.Agg.min, m.Agg.max) and value.type().is_boolean())
        if not numeric:  # a date's max was cast to a number in the SQL: a cast error naming no column
            raise QueryError(
                f"cannot {agg.value} '{leaf.expr}' in dataset '{leaf.dataset}': it is {value.type()}, not a number"
            )
        if agg == m.Agg.sum:
            # exact types stay exact until the output (rolled-up and windowed sums add no rounding error)
            total = value.sum(where=where)
            return total if value.type().is_decimal() or value.type().is_integer() else total.cast("float64")
        if agg == m.Agg.avg:
            # in float64 from the start: AVG of an integer is a numeric on PostgreSQL, of a decimal
            # a decimal with 4 more digits on MariaDB (precision lost)
            return value.cast("float64").mean(where=where)
        if agg in (m.Agg.min, m.Agg.max):
            out = value.min(where=where) if agg == m.Agg.min else value.max(where=where)
            return out.cast("float64") if value.type().is_numeric() else out  # a boolean's: cast at the output
        quantile = 0.5 if agg == m.Agg.median else leaf.percentile
        return value.cast("float64").quantile(quantile, where=where)

    def _percentile_group(self, leaf: p.Leaf, name: str, lo: dt.date | None = None) -> Group:
        """A continuous percentile from row ranks: x[lo] + (pos - lo) * (x[hi] - x[lo]), pos = q * (n - 1)."""
        assert leaf.expr is not None
        scan, table = self._scan(leaf.dataset, leaf.time, [leaf.expr, *leaf.filters])
        table = self._rows_in_range(table, lo)
        seen = self._seen(table)  # before the metric's own filter: it hides no combination
        cond = self._condition(scan, table, leaf.filters)
        if cond is not None:
            table = table.filter(cond)
        value = self._value(scan, table, leaf.expr).cast("float64")
        rows = table.select(**{PERIOD: self._period(table), "__v": value, **self._keys(table)})
        rows = rows.filter(rows["__v"].notnull())
        keys = [rows[PERIOD], *[rows[dim_col(d)] for d in self.dims]]
        q = 0.5 if leaf.agg == m.Agg.median else float(leaf.percentile or 0.5)
        ranked = rows.mutate(
            __r=ibis.row_number().over(ibis.window(group_by=keys, order_by=rows["__v"])),
            __n=rows["__v"].count().over(ibis.window(group_by=keys)),
        )
        pos = (ranked["__n"] - 1).cast("float64") * q
        ranked = ranked.mutate(__pos=pos, __lo=pos.floor(), __hi=pos.ceil())
        at_lo = ibis.ifelse(ranked["__r"] == ranked["__lo"], ranked["__v"], ibis.null("float64")).max()
        at_hi = ibis.ifelse(ranked["__r"] == ranked["__hi"], ranked["__v"], ibis.null("float64")).max()
        grouped = ranked.group_by([ranked[PERIOD], *[ranked[dim_col(d)] for d in self.dims]]).aggregate(
            __xlo=at_lo, __xhi=at_hi, __q=ranked["__pos"].max(), __l=ranked["__lo"].max()
        )
        result = grouped["__xlo"] + (grouped["__q"] - grouped["__l"]) * (grouped["__xhi"] - grouped["__xlo"])
        out = grouped.select(PERIOD, *[dim_col(d) for d in self.dims], **{name: result})
        return Group(out, [name], seen=seen)

    def _semi_group(self, node: p.Semi, name: str) -> Group:
        scan, table = self._scan(node.dataset, node.time, [node.expr, *node.filters], dims=node.per)
        if node.per and node.carry and self.rng.grain == m.Grain.day:
            return self._level_group(scan, table, node, name)
        table = self._rows_in_range(table)
        seen = self._seen(table)  # before the metric's own filter: it hides no combination
        cond = self._condition(scan, table, node.filters)
        if cond is not None:
            table = table.filter(cond)
        value = self._value(scan, table, node.expr).cast("float64")
        entity = {dim_col(d): table[dim_col(d)] for d in node.per}
        rows = table.select(
            **{PERIOD: self._period(table), TIME: table[TIME], "__v": value, **self._keys(table), **entity}
        )
        if node.per:
            return Group(self._per_entity(rows, node, name), [name], seen=seen)
        keys = [rows[PERIOD], *[rows[dim_col(d)] for d in self.dims]]
        if node.over_time == "avg":
            sums = rows.group_by(keys).aggregate(__s=rows["__v"].sum())
            times = rows.group_by(__tp=rows[PERIOD]).aggregate(__c=rows[TIME].nunique())
            joined = sums.join(times, sums[PERIOD] == times["__tp"])
            out = joined.select(PERIOD, *[dim_col(d) for d in self.dims], **{name: joined["__s"] / joined["__c"]})
            return Group(out, [name], seen=seen)
        pick = rows.group_by(__tp=rows[PERIOD]).aggregate(
            __pick=rows[TIME].max() if node.over_time == "last" else rows[TIME].min()
        )
        chosen = rows.join(pick, [rows[PERIOD] == pick["__tp"], rows[TIME] == pick["__pick"]])
        out = chosen.group_by([chosen[PERIOD], *[chosen[dim_col(d)] for d in self.dims]]).aggregate(
            **{name: chosen["__v"].sum()}
        )
        return Group(out, [name], seen=seen)

    def _level_group(self, scan: Scan, table: Any, node: p.Semi, name: str) -> Group:
        """A balance per entity by day: the level as of each day (:mod:`onpace.engine.levels`), from every
        snapshot (the earlier ones carry into the range; the last one bounds the days valued)."""
        cond = self._condition(scan, table, node.filters)  # picks the rows each entity's snapshot is chosen from
        value = self._value(scan, table, node.expr).cast("float64")
        entity = {f"__e{i}": table[dim_col(d)] for i, d in enumerate(node.per)}
        kept = ibis.literal(True) if cond is None else ibis.coalesce(cond, False)
        rows = table.select(**{TIME: table[TIME], "__v": value, "__k": kept, **self._keys(table), **entity})
        days = date_table("days", {PERIOD: self.rng.periods})
        dims = [dim_col(d) for d in self.dims]
        out = levels.as_of_each_day(rows, TIME, list(entity), dims, days, PERIOD, name)
        seen = None if cond is None else levels.seen_each_day(rows, TIME, list(entity), dims, days, PERIOD)
        return Group(out, [name], seen=seen)

    def _conversion_group(self, node: p.Conversion, name: str) -> Group:
        """Conversions by the base events' periods and dimensions (:mod:`onpace.engine.conversion`).

        Conversion events: the conversion metric's rows (its filters only: the query's dimensions
        are the base events') from the first day read to the range's end plus the window (no
        window: to the end of the data). Base events: the base metric's rows (after the query's
        ``where`` and the metric's filters) over the same days, so that a later base event after
        the range's end still takes the conversions that follow it; the events are attributed,
        then counted in the periods of their base events that the query reads."""
        base, events = node.base, node.conversion
        first = self.rng.spine_first if self.rng.grain else self.rng.first
        reach = node.reach_days
        last = None if reach is None else self.rng.end + dt.timedelta(days=reach)

        base_key = _entity_key(self.project.datasets[base.dataset], node.entity)
        scan, table = self._scan(base.dataset, base.time, [*base.filters, base_key])
        seen = self._seen(self._rows_in_range(table))  # before the metric's own filter: it hides no combination
        table = self._in_window(table, first, last)
        cond = self._condition(scan, table, base.filters)
        if cond is not None:
            table = table.filter(cond)
        keys = self._keys(table)
        base_rows = table.select(
            **{conv.BASE_DAY: table[TIME], conv.BASE_ENTITY: scan.compile(table, base_key), **keys}
        )
        base_rows = base_rows.filter(base_rows[conv.BASE_ENTITY].notnull())

        event_key = _entity_key(self.project.datasets[events.dataset], node.entity)
        escan = Scan(self.project, self.graph, self.table_of, events.dataset)
        escan.need_dimension(events.time)
        for text in (events.expr, *events.filters, event_key):
            escan.need(text)
        rows = escan.table()
        rows = rows.mutate(**{TIME: as_date(rows[dim_col(events.time)])})
        rows = self._in_window(rows, first, last)
        econd = self._condition(escan, rows, events.filters)
        if econd is not None:
            rows = rows.filter(econd)
        value = ibis.literal(1) if events.expr is None else self._value(escan, rows, events.expr)
        picked = rows.select(
            **{conv.EVENT_DAY: rows[TIME], conv.EVENT_ENTITY: escan.compile(rows, event_key), conv.EVENT_VALUE: value}
        )
        picked = picked.filter(picked[conv.EVENT_ENTITY].notnull())
        picked = picked.mutate(**{conv.EVENT_ID: ibis.row_number().over(order_by=[picked[conv.EVENT_DAY]])})

        attributed = conv.attribute(base_rows, picked, node.window, list(keys))
        credited = self._rows_in_range(
            attributed.select(
                **{TIME: attributed[conv.BASE_DAY], conv.EVENT_VALUE: attributed[conv.EVENT_VALUE]},
                **{c: attributed[c] for c in keys},
            )
        )
        v = credited[conv.EVENT_VALUE]
        if events.agg == m.Agg.count:
            total = v.count()
        elif events.agg == m.Agg.count_distinct:
            total = v.nunique()
        else:
            total = v.sum()
        out = credited.group_by([credited[PERIOD], *[credited[c] for c in keys]]).aggregate(**{name: total})
        return Group(out, [name], seen=seen)

    def _per_entity(self, rows: Any, node: p.Semi, name: str) -> Any:
        """Each entity's own value in each period, summed by period and the query's dimensions.

        An entity is a combination of the ``per`` dimensions (null a value of its own).
        last/first: its rows at its own latest/earliest time in the period; avg: the sum of
        its rows in the period over the number of its own distinct times there. An entity
        with no row in a period adds nothing to it.
        """
        per = [dim_col(d) for d in node.per]
        result = [PERIOD, *[dim_col(d) for d in self.dims]]
        if node.over_time == "avg":
            sums = rows.group_by(list(dict.fromkeys([*result, *per]))).aggregate(__s=rows["__v"].sum())
            days = rows.group_by(__tp=rows[PERIOD], **{f"__e{i}": rows[c] for i, c in enumerate(per)}).aggregate(
                __c=rows[TIME].nunique()
            )
            preds = [sums[PERIOD] == days["__tp"], *[sums[c].identical_to(days[f"__e{i}"]) for i, c in enumerate(per)]]
            joined = sums.join(days, preds)
            shares = joined.select(*result, __a=joined["__s"] / joined["__c"])
            return shares.group_by(result).aggregate(**{name: shares["__a"].sum()})
        frame = ibis.window(group_by=[rows[PERIOD], *[rows[c] for c in per]])
        pick = rows[TIME].max() if node.over_time == "last" else rows[TIME].min()
        marked = rows.mutate(__pick=pick.over(frame))
        chosen = marked.filter(marked[TIME] == marked["__pick"])
        return chosen.group_by(result).aggregate(**{name: chosen["__v"].sum()})

    def _cumulative_window(self, node: p.Cumulative) -> _Window:
        """The as-of day of each period, and the days of data the metric reads.

        A period's value is the window's as of its last day (``period_agg: last``), or the last
        day with data when earlier; or as of its first day (``first``, MetricFlow's default), or
        the first day with data when later. At day grain both are the day itself.
        """
        data_lo, data_hi = self.bounds(node.leaf.time)
        as_of: dict[dt.date, dt.date] = {}
        for period in self.rng.periods:
            own = self.rng.first if period == self.rng.whole_first else period  # the first period, read whole
            if node.period_agg == "first":
                day = own
                if self.rng.grain != m.Grain.day and data_lo is not None:
                    day = min(max(own, data_lo), self.rng.period_end(own), self.rng.end)
                as_of[period] = day
                continue
            # a period the range's end cuts is taken as of that end (a month in progress: to date)
            day = min(self.rng.period_end(own), self.rng.end)
            if self.rng.grain != m.Grain.day and data_hi is not None:
                day = max(own, min(day, data_hi))
            as_of[period] = day
        starts = {period: self._window_start(node, day, data_lo) for period, day in as_of.items()}
        return _Window(as_of, min(starts.values()), max(as_of.values()), starts)

    def _window_start(self, node: p.Cumulative, day: dt.date, data_lo: dt.date | None) -> dt.date:
        """The first day of the window of ``node`` as of ``day``.

        A window of N months holds the days after ``day`` moved back N months (a day the
        earlier month lacks becomes its last day: as of 2024-05-31, 3 months start on
        2024-03-01), up to ``day``; a quarter is 3 months, a year 12.
        """
        if node.window_days is not None:
            return day - dt.timedelta(days=node.window_days - 1)
        if node.months is not None:
            return cal.shift_date(day, -node.months, "month") + dt.timedelta(days=1)
        if node.to_date is not None:
            return cal.period_start(day, node.to_date, self.calendar)
        return data_lo if data_lo is not None and data_lo < day else day

    def _windows(self, rows: Any, window: _Window) -> Any:
        """``rows`` (with a day ``TIME``) once for each period whose window holds the day: the
        period is ``__ap``. The windows are a small table (period, as-of day, first day)."""
        bounds = date_table(
            "windows",
            {
                "__ap": list(window.as_of),
                "__ad": list(window.as_of.values()),
                "__al": [window.starts[period] for period in window.as_of],
            },
        )
        return bounds.join(rows, [rows[TIME] >= bounds["__al"], rows[TIME] <= bounds["__ad"]])

    def _calendar_window_group(self, daily: Any, node: p.Cumulative, window: _Window, name: str, value: str) -> Group:
        """A trailing window in months: the daily values of each period's window, summed by period
        and dimensions (months differ in length, so no fixed frame of rows fits). A combination
        is seen in a period when the window of its as-of day holds rows of it."""
        joined = self._windows(daily, window)
        total = ibis.coalesce(joined[value], 0).sum()
        if node.null_when_empty:  # empty_periods: null: null where the window holds no value
            total = ibis.ifelse(joined[value].count() > 0, total, ibis.null(total.type()))
        out = joined.group_by(**{PERIOD: joined["__ap"]}, **self._keys(joined)).aggregate(**{name: total})
        return Group(out, [name])

    def _distinct_group(self, node: p.Cumulative, window: _Window, name: str) -> Group:
        """A running count of distinct values: the distinct values among all the rows of each
        period's window, by period and dimensions. Distinct counts do not add up (a value on two
        days is one value), so the rows are joined to the windows, never the daily counts."""
        leaf = node.leaf
        assert leaf.expr is not None
        scan, table = self._scan(leaf.dataset, leaf.time, [leaf.expr, *leaf.filters])
        table = self._in_window(table, window.lo, window.hi)
        value = scan.compile(table, leaf.expr)
        cond = self._condition(scan, table, leaf.filters)
        if cond is not None:  # the metric's own filter picks the values; its rows still show their combination
            value = ibis.ifelse(cond, value, ibis.null(value.type()))
        rows = table.select(**{TIME: table[TIME], "__v": value, **self._keys(table)})
        joined = self._windows(rows, window)
        count = joined["__v"].nunique()
        if node.null_when_empty:  # empty_periods: null: null where the window holds no value
            count = count.nullif(0)
        out = joined.group_by(**{PERIOD: joined["__ap"]}, **self._keys(joined)).aggregate(**{name: count})
        return Group(out, [name])

    def _daily_source(self, key: tuple[str, str], need: _Daily, names: dict[p.Node, str]) -> Any:
        """The leaves by day: read by this query, or from the days a refresh shares (``self.days``)."""
        if self.days is None:
            return self._daily_table(key, {leaf: names[leaf] for leaf in need.leaves}, need.lo, need.hi)

        def expr(cols: dict[p.Leaf, str], lo: dt.date, hi: dt.date) -> Any:
            return self._daily_table(key, cols, lo, hi)

        leaves = tuple(need.leaves)
        found, columns = self.days(key[0], key[1], list(leaves), need.lo, need.hi, expr)
        own = tuple(names[leaf] for leaf in leaves)
        dims = tuple(dim_col(d) for d in self.dims)
        # a name of the query's own (its dimensions, the leaves and their columns, the days): the
        # same query gets the same SQL, and compiled SQL is kept by shape (engine/compiled.py)
        tag = repr((self.query.where, dims, key, [p.describe(leaf) for leaf in leaves], own, need.lo, need.hi))
        name = "onpace_kept_" + hashlib.sha256(tag.encode()).hexdigest()[:16]
        read = KeptRead(name, key[0], key[1], leaves, need.lo, need.hi, own, dims, expr)
        table = read.table(found, columns)
        self.kept[name] = table
        self.reads.append(read)
        return ibis.table(ibis.Schema.from_pyarrow(table.schema), name=name)

    def _daily_table(self, key: tuple[str, str], columns: dict[p.Leaf, str], lo: dt.date, hi: dt.date) -> Any:
        """Leaves aggregated by day (and the query's dimensions) over ``lo``..``hi``, in one scan."""
        texts: list[str | None] = []
        for leaf in columns:
            texts += [leaf.expr, *leaf.filters]
        scan, table = self._scan(key[0], key[1], texts)
        table = self._in_window(table, lo, hi)
        aggs = {column: self._aggregate(scan, table, leaf) for leaf, column in columns.items()}
        return table.group_by([table[TIME], *self._keys(table).values()]).aggregate(**aggs)

    def _rollup(self, daily: Any, leaves: list[p.Leaf], names: dict[p.Node, str], lo: dt.date) -> Group:
        """Additive leaves per period, summed from their daily values."""
        table = self._rows_in_range(daily, lo)
        aggs = {names[leaf]: table[names[leaf]].sum() for leaf in leaves}
        grouped = table.group_by([table[PERIOD], *self._keys(table).values()]).aggregate(**aggs)
        return Group(grouped, [names[leaf] for leaf in leaves])

    def _cumulative_group(
        self, daily: Any, need: _Daily, node: p.Cumulative, window: _Window, names: dict[p.Node, str]
    ) -> Group:
        name, value = names[node], names[node.leaf]
        if node.months is not None:
            return self._calendar_window_group(daily, node, window, name, value)
        days = date_table(
            "days", {"__day": [need.lo + dt.timedelta(days=i) for i in range((need.hi - need.lo).days + 1)]}
        )
        if self.dims:
            combos = daily.select(*[dim_col(d) for d in self.dims]).distinct()
            grid = days.cross_join(combos)
        else:
            grid = days
        preds = [grid["__day"] == daily[TIME], *[grid[dim_col(d)].identical_to(daily[dim_col(d)]) for d in self.dims]]
        # __f: the day has rows of the combination (a window that holds one sees the combination)
        flag = {"__f": ibis.ifelse(daily[TIME].isnull(), 0, 1)} if self.dims else {}
        if node.null_when_empty:  # __h: the day has a value (its leaf is null where no row passes the filters)
            flag["__h"] = ibis.ifelse(daily[value].isnull(), 0, 1)
        if shapes.stacks(self.dialect):  # stacked and grouped by day and dimensions instead
            by = [dim_col(d) for d in self.dims]
            dense = shapes.dense_days(grid, daily, TIME, by, value, seen=bool(self.dims), has=node.null_when_empty)
        else:
            dense = grid.left_join(daily, preds).select(
                "__day", *[grid[dim_col(d)] for d in self.dims], __v=ibis.coalesce(daily[value], 0), **flag
            )
        partition = [dense[dim_col(d)] for d in self.dims]
        if node.window_days is not None:
            frame = ibis.window(
                group_by=partition, order_by=dense["__day"], preceding=node.window_days - 1, following=0
            )
        else:
            if node.to_date is not None:
                partition.append(truncate(dense["__day"], node.to_date, self.calendar, self.dialect))
            frame = ibis.window(group_by=partition, order_by=dense["__day"], preceding=None, following=0)
        total = dense["__v"].sum().over(frame)
        if node.null_when_empty:  # empty_periods: null: null where the window holds no value
            total = ibis.ifelse(dense["__h"].sum().over(frame) > 0, total, ibis.null(total.type()))
        running = dense.mutate(__c=total)
        if self.dims:
            running = running.mutate(__s=dense["__f"].sum().over(frame))
        mapping = date_table("asof", {"__ap": list(window.as_of), "__ad": list(window.as_of.values())})
        picked = running.join(mapping, running["__day"] == mapping["__ad"])
        keys = {PERIOD: picked["__ap"], **{dim_col(d): picked[dim_col(d)] for d in self.dims}}
        out = picked.select(**keys, **{name: picked["__c"]})
        # a combination is seen in a period when the window of its as-of day holds rows of it
        seen = picked.filter(picked["__s"] > 0).select(**keys) if self.dims else None
        return Group(out, [name], seen=seen)

    # -- spine and combination --------------------------------------------------
    def _spine(self, groups: list[Group]) -> Any:
        periods = date_table("periods", {PERIOD: self.rng.periods})
        if not self.dims:
            return periods
        keys = [dim_col(d) for d in self.dims]
        parts = []
        for group in groups:
            if not group.reads:  # e.g. the leaf of a cumulative metric: its group has the combinations
                continue
            source = group.combos_source
            cond = None
            for first, last in group.reads:
                lo, hi = ibis.literal(first, type="date"), ibis.literal(last, type="date")
                part = (source[PERIOD] >= lo) & (source[PERIOD] <= hi)
                cond = part if cond is None else cond | part
            parts.append(source.filter(cond).select(*keys))
        combos = parts[0].distinct() if len(parts) == 1 else ibis.union(*parts, distinct=True)
        return periods.cross_join(combos)

    def _combine_groups(self, groups: list[Group], nodes: list[p.Node], names: dict[p.Node, str]) -> Any:
        """The spine with every group left-joined to it, in one join chain; sums and counts zero-filled."""
        zero = {
            names[n]
            for n in nodes
            if (isinstance(n, p.Leaf) and n.zero_when_empty)
            or (isinstance(n, p.Cumulative) and not n.null_when_empty)
            or isinstance(n, p.Conversion)
        }
        spine = self._spine(groups)
        if shapes.stacks(self.dialect):  # stacked and grouped by period and dimensions instead
            stacked = shapes.on_spine(spine, spine.columns, [(g.table, g.cols) for g in groups])
            filled = {c: ibis.coalesce(stacked[c], 0) if c in zero else stacked[c] for g in groups for c in g.cols}
            return stacked.select(*spine.columns, **filled)
        joined = spine
        renamed_groups = []
        for index, entry in enumerate(groups):
            group, cols = entry.table, entry.cols
            renamed = group.select(
                **{f"__g{index}p": group[PERIOD]},
                **{f"__g{index}_{i}": group[dim_col(d)] for i, d in enumerate(self.dims)},
                **{c: group[c] for c in cols},
            )
            preds = [joined[PERIOD] == renamed[f"__g{index}p"]]
            preds += [joined[dim_col(d)].identical_to(renamed[f"__g{index}_{i}"]) for i, d in enumerate(self.dims)]
            joined = joined.left_join(renamed, preds)
            renamed_groups.append((renamed, cols))
        values: dict[str, Any] = {}
        for renamed, cols in renamed_groups:
            for col in cols:
                values[col] = ibis.coalesce(renamed[col], 0) if col in zero else renamed[col]
        return joined.select(*[joined[c] for c in spine.columns], **values)

    def _combine(self, table: Any, node: p.Ratio | p.Derived, names: dict[p.Node, str]) -> Any:
        if isinstance(node, p.Ratio):
            num = table[names[node.numerator]].cast("float64")
            den = table[names[node.denominator]].cast("float64")
            return num / ibis.ifelse(den == 0, ibis.null("float64"), den)
        refs = dict(node.inputs)

        def resolve(name: Name) -> Any:
            return table[names[refs[name.text]]]

        return compile_expr(parse(node.expr), resolve, node.expr).cast("float64")

    def _offset(self, table: Any, batch: list[p.Offset], names: dict[p.Node, str], base: Any = None) -> Any:
        """Values of earlier periods (same shift for the whole batch), by a self-join on the prior period."""
        grain = self.rng.grain
        assert grain is not None
        node = batch[0]
        stacked = shapes.stacks(self.dialect)  # the periods and their priors, stacked beside the table
        readers = date_table("periods", {PERIOD: self.rng.periods}) if stacked else table
        current = readers[PERIOD]
        whole = self.rng.whole_first  # the first period read whole: its prior is the first period's
        if whole is not None:
            current = ibis.ifelse(current == ibis.literal(whole, type="date"), self._first_lit(), current)
        to = node.start_of
        if to is not None:
            prior = truncate(truncate(current, to, self.calendar, self.dialect), grain, self.calendar, self.dialect)
        elif node.unit == "period":
            if grain == m.Grain.day:
                prior = current - ibis.interval(days=node.count)
            elif grain == m.Grain.week:
                prior = current - ibis.interval(days=7 * node.count)
            else:
                months = {m.Grain.month: 1, m.Grain.quarter: 3, m.Grain.fiscal_quarter: 3}.get(grain, 12)
                prior = current - ibis.interval(months=months * node.count)
        else:
            shifted = current - interval(node.count, node.unit)
            prior = truncate(shifted.cast("date"), grain, self.calendar, self.dialect)
        prior = prior.cast("date")
        if whole is not None:  # a later period's offset reads the first period whole (the first itself: as cut)
            later = readers[PERIOD] != self._first_lit()
            prior = ibis.ifelse((prior == self._first_lit()) & later, ibis.literal(whole, type="date"), prior)
        if stacked:
            moves = {names[n]: names[n.node] for n in batch}
            by = [dim_col(d) for d in self.dims]
            source = table if base is None else base
            return shapes.offset_values(table, source, readers.mutate(__prior=prior), PERIOD, by, moves)
        with_prior = table.mutate(__prior=prior)
        source = table.select(
            __op=table[PERIOD],
            **{f"__o_{i}": table[dim_col(d)] for i, d in enumerate(self.dims)},
            **{f"__ov{j}": table[names[n.node]] for j, n in enumerate(batch)},
        )
        preds = [with_prior["__prior"] == source["__op"]]
        preds += [with_prior[dim_col(d)].identical_to(source[f"__o_{i}"]) for i, d in enumerate(self.dims)]
        joined = with_prior.left_join(source, preds)
        return joined.select(
            *[with_prior[c] for c in table.columns], **{names[n]: source[f"__ov{j}"] for j, n in enumerate(batch)}
        )

    def _first_lit(self) -> Any:
        return ibis.literal(self.rng.first, type="date")


def _entity_key(ds: m.Dataset, entity: str) -> str:
    """The expression of ``ds``'s key ``entity`` (a conversion metric's entity)."""
    for key in ds.keys:
        if key.name == entity:
            return key.expression
    raise QueryError(f"dataset '{ds.name}' has no key '{entity}' (the entity of a conversion metric)")


def _levels(nodes: list[p.Node]) -> list[list[p.Node]]:
    """Nodes computed on the combined table, by dependency level (a level needs only lower ones)."""
    depth: dict[p.Node, int] = {}
    for node in nodes:  # children come before parents
        kids = p.children(node)
        if isinstance(node, (p.Ratio, p.Derived, p.Offset)):
            depth[node] = 1 + max((depth[k] for k in kids), default=0)
        else:
            depth[node] = 0
    top = max(depth.values(), default=0)
    return [[n for n in nodes if depth[n] == level] for level in range(1, top + 1)]


def _first_read(nodes: Sequence[p.Node], reads: dict[p.Node, set[dt.date]]) -> dt.date | None:
    """The first period any of ``nodes`` is read for (None: none is read, read the whole range).

    Leaves that do not add up by day read their rows from there on: the periods before it
    are read by no metric of the query (a year-over-year offset of another metric reads that
    metric's earlier periods, not theirs).
    """
    first = [min(reads[node]) for node in nodes if reads.get(node)]
    return min(first) if first else None


def _per_row(table: Any, value: Any) -> Any:
    """``value`` as a column of ``table``: an expression naming no column (``expr: 1``, a measure
    that counts or sums a constant) compiles to a scalar, which ibis cannot aggregate. It becomes
    ``CASE WHEN <first column> IS NULL THEN value ELSE value END``: the same value, of the same
    type, on every row (SUM(1) is the number of rows, SUM of nothing NULL, as in SQL)."""
    if isinstance(value, ibis.expr.types.Scalar):
        anchor = table[table.columns[0]]
        return ibis.ifelse(anchor.isnull(), value, value)
    return value


def _metric_time_hint(dim: str) -> str:
    """For MetricFlow's ``metric_time[__grain]`` asked as a dimension: onpace's period is the query's grain."""
    base, _, grain = dim.partition("__")
    if base != "metric_time":
        return ""
    grain = grain or "day"
    if grain not in cal.Grain.__members__:
        known = ", ".join(g.value for g in cal.Grain)
        return f": metric_time is the period, set by the query's grain (one of {known})"
    return f": metric_time is the period; ask for grain {grain} instead (CLI --grain {grain}, API grain={grain})"
