"""Benchmark of shared scans: onpace's full refresh of the TPC-H example against one hand-written query per series.

    python benchmarks/shared.py                       # scales 1 and 10, 5 runs each
    python benchmarks/shared.py --scales 1 --repeat 3
    python benchmarks/shared.py --no-check --markdown

A refresh of the example computes every series its metrics and KPIs need (metric, grain,
segment: :func:`onpace.services.needs.series_needed`, 36 today). onpace computes the series of
one grain and segment by one query and rolls sums and counts up from daily values kept for the
refresh (docs/engine-contract.md, "Days shared by a refresh"). The baseline is what an analyst
would write without onpace: one hand-written DuckDB query per series
(benchmarks/reference_series.py), run one after the other.

Scale 10 is about 2.8 GB and takes minutes to generate the first time (benchmarks/data/sf10/,
like benchmarks/refresh.py and benchmarks/engine.py); give ``--scales 1`` to leave it out.

Method, per scale, in this one process: the example with a copy of the data in a temporary
folder (the shared data is never touched); a warm-up (one refresh, the queries once: the
machine drops its file cache when idle); then ``--repeat`` times, interleaved so that a busy
moment of the machine hits both: (a) the scheduler's refresh job (``refresh_source``: the
series, then KPI and alert evaluation) into an empty SQLite store with the scheduler's warm
engine (benchmarks/refresh.py's WarmRefresher), timed from the call to its return; (b) the
hand-written queries one after the other on one read-only DuckDB connection to the same file,
each fetched as Arrow, timed from the first query to the last result. Medians.

Target (exit code 1 when missed, unless --no-check): at every scale, the full refresh takes at
most half the time of the hand-written queries. The values are checked every run: each stored
series must hold the same periods as its query and the same values (1e-9 relative), and the
store must hold exactly the series listed; any difference exits with code 2, whatever the
times. A series without a hand-written query stops the run. Results are printed and written to
benchmarks/results/shared-<date>.json, with the machine's load average at the start and the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import compare
import duckdb
import pyarrow as pa
import reference_series
from common import RESULTS, load_average
from refresh import WarmRefresher, private_project, read_store
from rich.console import Console
from rich.table import Table

from onpace.catalog.project import load_project
from onpace.examples.tpch_data import DATABASE
from onpace.services.needs import series_needed

TARGET = 0.5  # onpace's full refresh / the hand-written queries, at most
SCALES = (1.0, 10.0)
Key = tuple[str, str, str]  # metric, grain, segment

console = Console(width=None if sys.stdout.isatty() else 120)


def label(key: Key) -> str:
    metric, grain, segment = key
    return f"{metric} by {grain}" + (f" where {segment}" if segment else "")


# -- the baseline: one hand-written query per series ----------------------------------------------
def open_read_only(database: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file onpace's warm engine also reads, in this process.

    DuckDB keeps one database per file in a process and refuses a second connection with other
    settings, so this one takes the settings onpace opens a source with (engine/connect.py):
    read-only, rows not kept in insertion order (every query here sorts its own result).
    """
    return duckdb.connect(str(database.resolve()), read_only=True, config={"preserve_insertion_order": False})


def reference_queries(project: Path) -> dict[Key, str]:
    """The hand-written query of every series the project's refresh computes; stops when one has none."""
    definitions = load_project(project)
    fiscal = definitions.calendar.fiscal_year_start
    if fiscal != reference_series.FISCAL_YEAR_START:
        raise SystemExit(
            f"the hand-written queries start fiscal years in month {reference_series.FISCAL_YEAR_START}, "
            f"the project in month {fiscal}: update benchmarks/reference_series.py"
        )
    queries: dict[Key, str] = {}
    missing: list[str] = []
    for spec in series_needed(definitions, None):
        key = (spec.metric, spec.grain.value, spec.segment)
        try:
            queries[key] = reference_series.series_sql(*key)
        except reference_series.NoReference as why:
            missing.append(f"{label(key)}: {why}")
    if missing:
        raise SystemExit(
            "series without a hand-written query (benchmarks/reference_series.py):\n  " + "\n  ".join(missing)
        )
    return queries


def hand_written(con: duckdb.DuckDBPyConnection, queries: dict[Key, str]) -> dict[str, Any]:
    """Every query once, one after the other, fetched as Arrow: the total time, each one's, the results."""
    results: dict[Key, pa.Table] = {}
    each: dict[Key, float] = {}
    start = time.perf_counter()
    for key, sql in queries.items():
        began = time.perf_counter()
        results[key] = con.sql(sql).to_arrow_table()
        each[key] = time.perf_counter() - began
    return {"wall_s": time.perf_counter() - start, "each_s": each, "results": results}


def value_differences(store: Path, expected: dict[Key, pa.Table]) -> list[str]:
    """How the store's series differ from the hand-written results (periods, values within 1e-9); [] when equal."""
    got = read_store(store)
    problems = [f"{label(key)}: not stored" for key in sorted(expected.keys() - got.keys())]
    problems += [f"{label(key)}: stored, but not listed" for key in sorted(got.keys() - expected.keys())]
    for key in sorted(expected.keys() & got.keys()):
        problems += [f"{label(key)}: {p}" for p in compare.differences(expected[key], got[key], rel=1e-9, limit=5)]
    return problems


# -- the benchmark --------------------------------------------------------------------------------
def bench(scale: float, repeat: int) -> dict[str, Any]:
    load = {"start": load_average()}
    with tempfile.TemporaryDirectory(prefix="onpace-shared-bench-") as tmp:
        folder = Path(tmp)
        console.print(f"[bold]scale {scale:g}[/]: copying the data to {folder}")
        project = private_project(scale, folder)
        queries = reference_queries(project)
        warm = WarmRefresher(project)
        con = open_read_only(project / DATABASE)
        try:
            con.execute("SET enable_progress_bar = false")
            lineitem_rows = int(con.sql("SELECT COUNT(*) FROM lineitem").fetchall()[0][0])
            console.print(f"  {len(queries)} series; warm-up: a full refresh and the hand-written queries")
            warmup_store = folder / "warmup.db"
            warmup = {"onpace": warm.refresh(warmup_store)}
            baseline = hand_written(con, queries)
            warmup["hand_written_s"] = baseline["wall_s"]
            wrong = [f"warm-up: {p}" for p in value_differences(warmup_store, baseline["results"])]
            onpace_runs: list[dict[str, Any]] = []
            hand_runs: list[dict[str, Any]] = []
            for i in range(repeat):
                store = folder / f"full-{i}.db"
                onpace_runs.append(warm.refresh(store))
                baseline = hand_written(con, queries)
                hand_runs.append({"wall_s": baseline["wall_s"], "each_s": baseline["each_s"]})
                wrong += [f"run {i + 1}: {p}" for p in value_differences(store, baseline["results"])]
                store.unlink()
                console.print(
                    f"  run {i + 1}/{repeat}: onpace {onpace_runs[-1]['wall_s']:.2f} s, "
                    f"hand-written {hand_runs[-1]['wall_s']:.2f} s"
                )
        finally:
            con.close()
            warm.close()
    load["end"] = load_average()
    onpace_s = statistics.median(r["wall_s"] for r in onpace_runs)
    series_s = statistics.median(r["series_s"] for r in onpace_runs)
    hand_s = statistics.median(r["wall_s"] for r in hand_runs)
    each = {key: statistics.median(r["each_s"][key] for r in hand_runs) for key in queries}
    return {
        "scale": scale,
        "series": len(queries),
        "lineitem_rows": lineitem_rows,
        "load_average_1min": load,
        "warmup": warmup,
        "onpace_runs": onpace_runs,
        "hand_written_runs": [{"wall_s": r["wall_s"]} for r in hand_runs],
        "median": {
            "onpace_s": onpace_s,
            "onpace_series_s": series_s,
            "onpace_evaluate_s": statistics.median(r["evaluate_s"] for r in onpace_runs),
            "hand_written_s": hand_s,
            "rows_written": statistics.median_low(r["rows_written"] for r in onpace_runs),
        },
        "hand_written_each_s": {label(key): seconds for key, seconds in sorted(each.items(), key=lambda kv: -kv[1])},
        "ratio": onpace_s / hand_s,
        "ratio_series_only": series_s / hand_s,
        "disagreements": wrong,
    }


# -- report ---------------------------------------------------------------------------------------
def report(results: dict[str, Any]) -> None:
    table = Table(title="full refresh of the TPC-H example: onpace (shared scans) vs one hand-written query per series")
    for column in (
        "scale",
        "series",
        "runs",
        "onpace s",
        "of which series s",
        "hand-written s",
        "onpace / hand-written",
        "target",
        "load avg start / end",
    ):
        table.add_column(column, justify="right")
    for r in results["results"]:
        m = r["median"]
        table.add_row(
            f"{r['scale']:g}",
            str(r["series"]),
            str(len(r["onpace_runs"])),
            f"{m['onpace_s']:.2f}",
            f"{m['onpace_series_s']:.2f}",
            f"{m['hand_written_s']:.2f}",
            f"[bold]{r['ratio']:.2f}[/]",
            f"<= {TARGET:g}",
            f"{r['load_average_1min']['start']:.1f} / {r['load_average_1min']['end']:.1f}",
        )
    console.print(table)
    for r in results["results"]:
        slowest = list(r["hand_written_each_s"].items())[:3]
        console.print(
            f"scale {r['scale']:g}, slowest hand-written queries: "
            + "; ".join(f"{name} {seconds:.2f} s" for name, seconds in slowest),
            markup=False,
            highlight=False,
        )


def markdown(results: dict[str, Any]) -> str:
    """The figures as a Markdown table, for docs/performance.md."""
    lines = [
        "| scale | line items | series | runs | onpace full refresh s | of which series s "
        "| hand-written queries s | onpace / hand-written | load average (start / end) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["results"]:
        m = r["median"]
        lines.append(
            f"| {r['scale']:g} | {r['lineitem_rows']:,} | {r['series']} | {len(r['onpace_runs'])} "
            f"| {m['onpace_s']:.2f} | {m['onpace_series_s']:.2f} | {m['hand_written_s']:.2f} "
            f"| {r['ratio']:.2f} | {r['load_average_1min']['start']:.1f} / {r['load_average_1min']['end']:.1f} |"
        )
    lines += ["", f"Target: onpace / hand-written ≤ {TARGET:g} at every scale (medians)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=list(SCALES),
        help="TPC-H scale factors (default: 1 10; scale 10 is ~2.8 GB and minutes to generate on first use)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side, interleaved (medians)")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/shared-<date>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": compare.machine(("onpace", "duckdb", "ibis-framework", "pyarrow", "sqlalchemy", "tpchgen-cli")),
        "repeat": args.repeat,
        "target": f"onpace full refresh / hand-written queries <= {TARGET:g}",
        "load_average_1min": {"start": load_average()},
    }
    busy = results["load_average_1min"]["start"]
    if busy > 0.5:
        console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")
    results["results"] = [bench(scale, args.repeat) for scale in args.scales]
    results["load_average_1min"]["end"] = load_average()
    missed = [
        f"scale {r['scale']:g}: onpace / hand-written = {r['ratio']:.2f}, target <= {TARGET:g}"
        for r in results["results"]
        if r["ratio"] > TARGET
    ]
    results["missed"] = missed
    output = args.output or RESULTS / f"shared-{results['date']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    report(results)
    if args.markdown:
        console.print(markdown(results), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results written to {output}")

    wrong = [p for r in results["results"] for p in (f"scale {r['scale']:g}, {q}" for q in r["disagreements"])]
    if wrong:
        console.print("[bold red]WRONG NUMBERS[/]: the stored series differ from the hand-written queries:")
        for problem in wrong[:20]:
            console.print(f"  {problem}", markup=False, highlight=False)
        if len(wrong) > 20:
            console.print(f"  ... and {len(wrong) - 20} more")
        return 2
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {sentence}")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
