"""Benchmark of query shapes on PostgreSQL and MariaDB: time per metric as cumulative metrics and offsets pile up.

    python benchmarks/shapes.py                      # 200,000 rows, both servers, 3 runs each
    python benchmarks/shapes.py --quick              # 20,000 rows, 1 run, targets not checked
    python benchmarks/shapes.py --before --timeout 120 --no-check   # the shapes before engine/shapes.py

Several cumulative metrics, or many offsets, in one query used to explode there: on PostgreSQL
a query with 3 cumulative metrics took seconds where 2 took 0.3 s (its row estimates multiplied
join after join, so it compiled the query with JIT), on MariaDB offsets at day grain took minutes
(each offset re-read the data the previous one had made: 2^k reads). engine/shapes.py stacks and
groups what was joined, on those two dialects, and runs PostgreSQL without JIT.

The data: ``--rows`` generated orders (day, channel, amount) over 27 months, 2022-01-01 to
2024-03-31 (821 days), in a table ``onpace_bench_shapes`` of each server (created once, reused
while it holds the same rows; ``--reload`` makes it again). The queries, at day grain over the
whole range, for k = 1, 2, 3, 6 and 11 metrics:

- ``cumulative``: k cumulative metrics (running totals, 7- and 28-day windows, month and year to
  date) over revenue, orders and web revenue;
- ``cumulative by channel``: the same by channel (a dimension: what blew up MariaDB most);
- ``offsets``: k derived metrics comparing revenue or orders with 1 and 7 days, 1 month,
  1 quarter and 1 year earlier (5 different offsets from k = 5 on).

Each query runs with a fresh engine (building, compiling and running it, fetching the result),
once to warm up and then ``--repeat`` times; the median is reported, and the time per metric
(median / k). A warm-up slower than 30 s is the only run of its query. A query slower than
``--timeout`` seconds is stopped by the server and counts as missed; the queries of the same
shape with more metrics are then not run. The results of the two
servers must agree (1e-9 relative): any difference exits with code 2.

Target (exit code 1 when missed, unless --no-check): for every dialect and shape, the time per
metric at every k >= 3 is at most 1.5 times the smaller of the times per metric at k = 1 and
k = 2. A query of k metrics pays once for building and compiling it, connecting and scanning
the data, so the time per metric falls as k grows when the time grows linearly; 1.5 leaves
room for the noise of a shared machine, while a cliff (JIT from k = 3 on) or a doubling (2^k
reads) exceeds it. Every k >= 3 is checked, not only the largest: a peak in the middle is as bad.

``--before`` measures the shapes as they were (the joins, JIT on), for the figures before the
change; the results file is then shapes-before-<date>.json. Results are printed and written to
benchmarks/results/shapes-<date>.json with the machine, the versions and the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import compare
import pyarrow as pa
from common import RESULTS, load_average
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query, shapes
from onpace.engine import connect as connect_module

TABLE = "onpace_bench_shapes"
FIRST_DAY, LAST_DAY = dt.date(2022, 1, 1), dt.date(2024, 3, 31)
CHANNELS = ("web", "store", "phone")
KS = (1, 2, 3, 6, 11)
SLOW_SECONDS = 30.0  # a query slower than this at its warm-up is not run again
RATIO = 1.5  # time per metric at k >= 3 / the smaller time per metric at k = 1, 2: at most
URLS = {"postgres": "postgresql://postgres@127.0.0.1:5432/test", "mysql": "mysql://root@127.0.0.1:3306/test"}

CUMULATIVE = {  # in the order they are added to the query
    "rev_running": "metric: revenue",
    "rev_7d": "metric: revenue, window: 7 days",
    "rev_28d": "metric: revenue, window: 28 days",
    "rev_mtd": "metric: revenue, grain_to_date: month",
    "ord_running": "metric: orders",
    "ord_7d": "metric: orders, window: 7 days",
    "ord_28d": "metric: orders, window: 28 days",
    "ord_mtd": "metric: orders, grain_to_date: month",
    "web_running": "metric: web_revenue",
    "web_7d": "metric: web_revenue, window: 7 days",
    "rev_ytd": "metric: revenue, grain_to_date: year",
}
OFFSETS = {  # name -> (metric, offset, expression)
    "rev_d1": ("revenue", "1 period", "revenue - before"),
    "rev_d7": ("revenue", "7 periods", "revenue - before"),
    "rev_m1": ("revenue", "1 month", "revenue - before"),
    "rev_q1": ("revenue", "1 quarter", "revenue - before"),
    "rev_y1": ("revenue", "1 year", "revenue / before - 1"),
    "ord_d1": ("orders", "1 period", "orders - before"),
    "ord_d7": ("orders", "7 periods", "orders - before"),
    "ord_m1": ("orders", "1 month", "orders - before"),
    "ord_q1": ("orders", "1 quarter", "orders - before"),
    "ord_y1": ("orders", "1 year", "orders / before - 1"),
    "rev_growth": ("revenue", "1 period", "revenue / before - 1"),
}
SHAPES: dict[str, tuple[list[str], list[str]]] = {  # name -> (metrics in order, dimensions)
    "cumulative": (list(CUMULATIVE), []),
    "cumulative by channel": (list(CUMULATIVE), ["channel"]),
    "offsets": (list(OFFSETS), []),
}

console = Console(width=None if sys.stdout.isatty() else 120)


# -- data and project -------------------------------------------------------------------------------
def rows(count: int) -> list[tuple[dt.date, str, str, int]]:
    """``count`` orders spread over the 821 days (the same every time: seeded)."""
    rng = random.Random(19)
    days = (LAST_DAY - FIRST_DAY).days + 1
    out = []
    for _ in range(count):
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(days))
        out.append((day, rng.choice(CHANNELS), f"{rng.randrange(100, 100_000) / 100:.2f}", rng.randrange(1, 5000)))
    return out


def load(dialect: str, url: str, count: int, reload: bool) -> float:
    """The table on the server, made again when it does not hold ``count`` rows; the seconds it took."""
    started = time.perf_counter()
    if dialect == "postgres":
        import psycopg

        with psycopg.connect(url) as con:
            held = con.execute(f"SELECT to_regclass('{TABLE}') IS NOT NULL").fetchone()
            if held and held[0] and not reload:
                found = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
                if found and found[0] == count:
                    return 0.0
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
            con.execute(f"CREATE TABLE {TABLE} (d DATE, channel VARCHAR(16), amount NUMERIC(12,2), customer INT)")
            with con.cursor() as cur, cur.copy(f"COPY {TABLE} FROM STDIN") as copy:
                for row in rows(count):
                    copy.write_row(row)
            con.execute(f"ANALYZE {TABLE}")
        return time.perf_counter() - started
    import MySQLdb

    parts = urlsplit(url)
    con = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
    )
    try:
        cur = con.cursor()
        cur.execute(f"SHOW TABLES LIKE '{TABLE}'")
        if cur.fetchall() and not reload:
            cur.execute(f"SELECT count(*) FROM {TABLE}")
            if cur.fetchone()[0] == count:
                return 0.0
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(f"CREATE TABLE {TABLE} (d DATE, channel VARCHAR(16), amount DECIMAL(12,2), customer INT)")
        made = rows(count)
        for i in range(0, len(made), 10_000):
            cur.executemany(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s)", made[i : i + 10_000])
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - started


def models() -> str:
    lines = [
        "datasets:",
        "  - name: orders",
        f"    table: {TABLE}",
        "    time: day",
        "    dimensions:",
        "      - {name: day, column: d, type: time}",
        "      - {name: channel, column: channel}",
        "metrics:",
        "  - {name: revenue, dataset: orders, agg: sum, expr: amount}",
        "  - {name: orders, dataset: orders, agg: count}",
        "  - {name: web_revenue, dataset: orders, agg: sum, expr: amount, filter: \"channel = 'web'\"}",
    ]
    lines += [f"  - {{name: {name}, type: cumulative, {spec}}}" for name, spec in CUMULATIVE.items()]
    for name, (metric, offset, expr) in OFFSETS.items():
        lines.append(
            f"  - {{name: {name}, type: derived, expr: '{expr}', "
            f"inputs: [{{metric: {metric}, alias: before, offset: {offset}}}]}}"
        )
    return "\n".join(lines) + "\n"


def write_project(root: Path, url: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "onpace.yml").write_text(f"name: shapes\nsources:\n  warehouse: {{url: '{url}'}}\n")
    (root / "models" / "models.yml").write_text(models())
    return root


@contextmanager
def shapes_before(before: bool) -> Iterator[None]:
    """With ``before``: the shapes as they were (left joins on every dialect, PostgreSQL with JIT)."""
    if not before:
        yield
        return
    stacked, options = shapes.STACKED, connect_module.POSTGRES_OPTIONS
    shapes.STACKED, connect_module.POSTGRES_OPTIONS = frozenset(), ""
    try:
        yield
    finally:
        shapes.STACKED, connect_module.POSTGRES_OPTIONS = stacked, options


# -- timing -----------------------------------------------------------------------------------------
class TimedOut(Exception):
    """The server stopped the query at the timeout."""


def run_once(project: Path, dialect: str, query: Query, timeout: float) -> tuple[float, pa.Table]:
    """Build, compile and run ``query`` with a fresh engine; the seconds it took and the result."""
    engine = Engine(load_project(project, env={}))
    try:
        backend = engine.backend("warehouse")
        if dialect == "postgres":
            backend.raw_sql(f"SET statement_timeout = {int(timeout * 1000)}").close()
        else:
            backend.raw_sql(f"SET SESSION max_statement_time = {timeout:g}").close()
        started = time.perf_counter()
        try:
            table = engine.query(query)
        except Exception as exc:  # the server's own timeout error, wrapped by the engine
            text = str(exc).lower()
            if "timeout" in text or "max_statement_time" in text or "interrupted" in text:
                raise TimedOut from exc
            raise
        return time.perf_counter() - started, table
    finally:
        engine.close()


def bench_shape(
    project: Path, dialect: str, shape: str, ks: tuple[int, ...], repeat: int, timeout: float
) -> tuple[dict[str, Any], dict[int, pa.Table]]:
    metrics, dims = SHAPES[shape]
    runs: dict[int, Any] = {}
    tables: dict[int, pa.Table] = {}
    for k in ks:
        query = Query(metrics=metrics[:k], dimensions=dims, grain="day")
        try:
            warm_up, table = run_once(project, dialect, query, timeout)
            # a query that takes minutes is timed once (its warm-up): the figure is clear enough
            slow = warm_up > SLOW_SECONDS
            timed = [warm_up] if slow else [run_once(project, dialect, query, timeout)[0] for _ in range(repeat)]
        except TimedOut:
            runs[k] = None
            console.print(f"  {dialect} {shape} k={k}: stopped at the timeout ({timeout:g} s)")
            break
        tables[k] = table
        median = statistics.median(timed)
        runs[k] = {"runs_s": timed, "median_s": median, "per_metric_s": median / k, "warm_up_s": warm_up}
        console.print(f"  {dialect} {shape} k={k}: median {median:.2f} s, {median / k:.3f} s per metric")
    return {"ks": {str(k): runs.get(k) for k in ks}}, tables


def check(result: dict[str, Any]) -> list[str]:
    """The target, for every dialect and shape: what is missed."""
    missed = []
    for dialect, by_shape in result["dialects"].items():
        for shape, measured in by_shape.items():
            ks = {int(k): v for k, v in measured["ks"].items()}
            base = [ks[k]["per_metric_s"] for k in (1, 2) if ks.get(k)]
            if not base:
                missed.append(f"{dialect} {shape}: no time at k = 1 or 2")
                continue
            for k, value in sorted(ks.items()):
                if k < 3:
                    continue
                if value is None:
                    missed.append(f"{dialect} {shape} k={k}: stopped at the timeout or not run")
                    break
                ratio = value["per_metric_s"] / min(base)
                value["ratio"] = ratio
                if ratio > RATIO:
                    missed.append(f"{dialect} {shape} k={k}: {ratio:.2f} x the time per metric at k <= 2 (> {RATIO})")
    return missed


def agreement(tables: dict[str, dict[tuple[str, int], pa.Table]]) -> list[str]:
    """The same numbers from both servers for every query both answered."""
    if len(tables) < 2:
        return []
    (a_name, a), (b_name, b) = list(tables.items())[:2]
    problems = []
    for key in sorted(set(a) & set(b)):
        for problem in compare.differences(a[key], b[key]):
            problems.append(f"{key[0]} k={key[1]}: {a_name} and {b_name} differ: {problem}")
    return problems


# -- report -----------------------------------------------------------------------------------------
def report(result: dict[str, Any]) -> None:
    table = Table(title=f"time per metric, day grain, {result['rows']:,} rows over 27 months")
    for column in ("dialect", "shape", *[f"k={k}" for k in result["ks"]]):
        table.add_column(column, justify="right")
    for dialect, by_shape in result["dialects"].items():
        for shape, measured in by_shape.items():
            cells = []
            for k in result["ks"]:
                value = measured["ks"][str(k)]
                cells.append("-" if value is None else f"{value['median_s']:.2f} s ({value['per_metric_s']:.3f})")
            table.add_row(dialect, shape, *cells)
    console.print(table)
    console.print("cells: median time of the query (time per metric)")


def markdown(result: dict[str, Any]) -> str:
    ks = result["ks"]
    lines = [
        "| dialect | shape | " + " | ".join(f"k={k}" for k in ks) + " |",
        "|---|---|" + "---:|" * len(ks),
    ]
    for dialect, by_shape in result["dialects"].items():
        for shape, measured in by_shape.items():
            cells = []
            for k in ks:
                value = measured["ks"][str(k)]
                cells.append("timeout" if value is None else f"{value['median_s']:.2f} s ({value['per_metric_s']:.2f})")
            lines.append(f"| {dialect} | {shape} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=200_000, help="orders generated over the 27 months")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per query (median reported)")
    parser.add_argument("--dialects", nargs="+", default=list(URLS), choices=list(URLS))
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES), metavar="SHAPE")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a query may take on the server")
    parser.add_argument("--before", action="store_true", help="the shapes before engine/shapes.py (for figures)")
    parser.add_argument("--reload", action="store_true", help="make the tables again")
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 1 run, the target not checked")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/shapes-<date>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table")
    for dialect in URLS:
        parser.add_argument(f"--{dialect}-url", default=URLS[dialect], help=f"the {dialect} database to use")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat, args.no_check = min(args.rows, 20_000), 1, True
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    date = dt.date.today().isoformat()
    result: dict[str, Any] = {
        "date": date,
        "machine": compare.machine(("onpace", "ibis-framework", "sqlglot", "psycopg", "mysqlclient", "pyarrow")),
        "rows": args.rows,
        "repeat": args.repeat,
        "timeout_s": args.timeout,
        "before": args.before,
        "ks": list(KS),
        "load_average": {"start": load_average()},
        "dialects": {},
    }
    if result["load_average"]["start"] > 0.5:
        console.print(f"[yellow]the machine is busy (load average {result['load_average']['start']}): noisy[/]")
    tables: dict[str, dict[tuple[str, int], pa.Table]] = {}
    with tempfile.TemporaryDirectory() as folder, shapes_before(args.before):
        for dialect in args.dialects:
            url = getattr(args, f"{dialect}_url")
            try:
                seconds = load(dialect, url, args.rows, args.reload)
            except Exception as exc:  # no server: say which and how to start it
                raise SystemExit(f"{dialect} at {url} is not reachable ({exc}); run 'make services'") from exc
            if seconds:
                console.print(f"{dialect}: {args.rows:,} rows loaded in {seconds:.1f} s")
            project = write_project(Path(folder) / dialect, url)
            result["dialects"][dialect] = {}
            tables[dialect] = {}
            for shape in args.shapes:
                measured, answered = bench_shape(project, dialect, shape, KS, args.repeat, args.timeout)
                result["dialects"][dialect][shape] = measured
                tables[dialect].update({(shape, k): t for k, t in answered.items()})
    result["load_average"]["end"] = load_average()
    missed = check(result)
    wrong = agreement(tables)
    result["target"] = f"time per metric at every k >= 3 <= {RATIO} x the smaller at k = 1, 2"
    result["missed"] = missed
    result["disagreements"] = wrong
    name = f"shapes{'-before' if args.before else ''}-{date}.json"
    output = args.output or RESULTS / name
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    report(result)
    if args.markdown:
        console.print(markdown(result), markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"load average {result['load_average']['start']} at the start, {result['load_average']['end']} at the end"
    )
    console.print(f"results written to {output}")
    if wrong:
        console.print("[bold red]WRONG NUMBERS[/]: the servers disagree:")
        for problem in wrong[:20]:
            console.print(f"  {problem}", markup=False, highlight=False)
        return 2
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {escape(sentence)}")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
