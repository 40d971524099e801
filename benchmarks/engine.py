"""Benchmark of the onpace engine on the TPC-H example: speed and memory against hand-written code.

    python benchmarks/engine.py                      # scales 1 and 10, 5 runs each (what `make bench` runs)
    python benchmarks/engine.py --scales 0.1 --repeat 3 --no-check

For each scale the TPC-H example project is generated once under benchmarks/data/sf<scale>/
(reused afterwards), then the example's metrics by month and region are computed four ways:
hand-written DuckDB SQL (reference_sql.py), onpace, pandas (reference_pandas.py) and polars lazy
(reference_polars.py). Every run is a fresh process that imports the same modules (so no run
inherits another's heap, and the baselines match) and reports the time of the computation
(connecting, querying, fetching the result; not the imports) and its memory: the peak resident
memory minus what the process held before the computation. After a warm-up run of each (the
machine drops its file cache when idle), the runs are interleaved and the medians reported.
The four results must agree (numbers within 1e-9 relative): a disagreement always fails.

Also timed: compiling (not running) 100 metrics by 10 dimensions in a synthetic project.

Targets (exit code 1 when one is missed, unless --no-check): onpace/sql <= 1.25,
pandas/onpace >= 3, onpace/polars <= 1.25, memory used by onpace <= memory used by the SQL,
compile < 1 s.
Results are printed and written to benchmarks/results/engine-<date>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import compare
import duckdb
import ibis.backends.duckdb  # noqa: F401  (ibis imports it at the first connection: keep it out of the timings)
import pyarrow as pa
import reference_pandas
import reference_polars
import reference_sql
from common import DATA, HERE, RESULTS
from rich.console import Console
from rich.table import Table

from onpace.catalog.project import load_project
from onpace.engine import Engine, Query
from onpace.examples.tpch_data import DATABASE, copy_project, generate

METRICS = list(reference_sql.METRICS)
IMPLEMENTATIONS = ("sql", "onpace", "pandas", "polars")
TARGETS = {
    "onpace/sql": ("<=", 1.25),
    "pandas/onpace": (">=", 3.0),
    "onpace/polars": ("<=", 1.25),
    "onpace_mem/sql_mem": ("<=", 1.0),
    "compile_s": ("<", 1.0),
}

console = Console(width=None if sys.stdout.isatty() else 120)


# -- the four implementations: prepare(project directory) -> run() -> result table -----------------
QUERY = Query(metrics=METRICS, dimensions=["region"], grain="month")


def prepare(name: str, project: Path) -> Callable[[], pa.Table]:
    """What one run of ``name`` does; set-up that a long-lived process does once (loading the project) is left out."""
    database = project / DATABASE
    if name == "onpace":
        loaded = load_project(project)

        def run_onpace() -> pa.Table:
            engine = Engine(loaded)
            try:
                return engine.query(QUERY)
            finally:
                engine.close()

        return run_onpace
    module = {"sql": reference_sql, "pandas": reference_pandas, "polars": reference_polars}[name]
    return lambda: module.compute(database)


# -- data -----------------------------------------------------------------------------------------
def example_project(scale: float) -> Path:
    """The TPC-H example at ``scale`` under benchmarks/data/, generated on first use."""
    directory = DATA / f"sf{scale:g}"
    if (directory / DATABASE).is_file():
        copy_project(directory, scale)  # refresh the definitions, keep the data
    else:
        console.print(f"generating the TPC-H example at scale {scale:g} in {directory.relative_to(HERE.parent)} ...")
        generate(directory, scale, force=True)
    return directory


# -- timing and memory: one fresh process per run ------------------------------------------------
def measure(name: str, project: Path, save: Path | None = None) -> dict[str, float]:
    """Run one implementation once in a fresh process: its time (s), peak memory and memory before the run (MB)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--project", str(project)]
    if save is not None:
        command += ["--save", str(save)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run of {name} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def child(name: str, project: Path, save: Path | None) -> None:
    """In the subprocess: every implementation's modules are already imported (same baseline for all).

    Peak memory is the kernel's high-water mark of resident memory (VmHWM), reset after the imports.
    Not ``ru_maxrss``: on Linux it keeps the parent's peak across fork and exec.
    """
    run = prepare(name, project)
    gc.collect()
    _reset_peak()
    baseline = _status_mb("VmRSS")
    start = time.perf_counter()
    table = run()
    seconds = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    if save is not None:
        with pa.OSFile(str(save), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "baseline_mb": baseline}))


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # "5": reset the peak resident set size
    except OSError as exc:
        raise SystemExit(f"cannot reset the peak memory counter (Linux only): {exc}") from exc


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise SystemExit(f"no {field} in /proc/self/status")


def bench_scale(scale: float, repeat: int) -> dict[str, Any]:
    project = example_project(scale)
    load = [os.getloadavg()[0]]
    console.print(f"[bold]scale {scale:g}[/]: warm-up")
    results: dict[str, pa.Table] = {}
    warmup: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="onpace-bench-") as tmp:
        for name in IMPLEMENTATIONS:
            saved = Path(tmp) / f"{name}.arrow"
            warmup[name] = measure(name, project, saved)["seconds"]
            with pa.memory_map(str(saved)) as source:
                results[name] = pa.ipc.open_file(source).read_all()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in IMPLEMENTATIONS}
    for i in range(repeat):
        console.print(f"  run {i + 1}/{repeat}")
        for name in IMPLEMENTATIONS:  # interleaved, so a busy moment of the machine hits all of them
            runs[name].append(measure(name, project))
    load.append(os.getloadavg()[0])

    disagreements = {name: compare.differences(results["sql"], results[name], rel=1e-9) for name in IMPLEMENTATIONS[1:]}
    median = {name: statistics.median(r["seconds"] for r in values) for name, values in runs.items()}
    mem = {name: _median_memory(values) for name, values in runs.items()}
    ratios = {
        "onpace/sql": median["onpace"] / median["sql"],
        "pandas/onpace": median["pandas"] / median["onpace"],
        "onpace/polars": median["onpace"] / median["polars"],
        "onpace_mem/sql_mem": _used(mem["onpace"]) / _used(mem["sql"]),
    }
    return {
        "scale": scale,
        "rows": results["sql"].num_rows,
        "lineitem_rows": _count(project, "lineitem"),
        "load_average_1min": {"start": load[0], "end": load[1]},
        "warmup_s": warmup,
        "runs_s": {name: [r["seconds"] for r in values] for name, values in runs.items()},
        "median_s": median,
        "memory": mem,
        "memory_used_mb": {name: [_used(r) for r in values] for name, values in runs.items()},
        "ratios": ratios,
        "disagreements": {name: problems for name, problems in disagreements.items() if problems},
    }


def _median_memory(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median memory used (DuckDB's peak varies with thread timing)."""
    ordered = sorted(runs, key=_used)
    return {key: ordered[len(ordered) // 2][key] for key in ("peak_mb", "baseline_mb")}


def _used(memory: dict[str, float]) -> float:
    """Memory the computation took: peak minus what the process held before it (imports)."""
    return max(memory["peak_mb"] - memory["baseline_mb"], 1.0)


def _count(project: Path, table: str) -> int:
    con = duckdb.connect(str(project / DATABASE), read_only=True)
    try:
        rows = con.sql(f"SELECT COUNT(*) FROM {table}").fetchall()
    finally:
        con.close()
    return int(rows[0][0])


# -- compile time: 100 metrics x 10 dimensions ---------------------------------------------------
FACT_DIMENSIONS = ("channel", "country", "device", "plan", "campaign", "status")
CUSTOMER_DIMENSIONS = ("segment", "industry", "size_band", "account_manager")


def synthetic_project(root: Path) -> list[str]:
    """A project with 100 metrics (sums, counts, filtered counts, ratios) and 10 dimensions; its metric names."""
    (root / "models").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "onpace.yml").write_text(
        "name: synthetic\nsources:\n  warehouse:\n    url: duckdb:///data/synthetic.duckdb\n", encoding="utf-8"
    )
    con = duckdb.connect(str(root / "data" / "synthetic.duckdb"))
    try:
        fact_columns = ", ".join(f"{d} VARCHAR" for d in FACT_DIMENSIONS)
        con.execute(
            f"CREATE TABLE events (event_id BIGINT, event_date DATE, customer_id BIGINT, {fact_columns}, "
            + ", ".join(f"amount_{i} DOUBLE" for i in range(10))
            + ")"
        )
        customer_columns = ", ".join(f"{d} VARCHAR" for d in CUSTOMER_DIMENSIONS)
        con.execute(f"CREATE TABLE customers (customer_id BIGINT, {customer_columns})")
        # a year of rows: the engine compiles against the data's range (an empty table has none)
        con.execute(
            "INSERT INTO events SELECT i, DATE '2024-01-01' + CAST(i % 366 AS INTEGER), i % 100, "
            + ", ".join(f"'{d}_' || (i % 7)" for d in FACT_DIMENSIONS)
            + ", "
            + ", ".join(f"(i * {k + 1}) % 1000" for k in range(10))
            + " FROM range(10000) AS t(i)"
        )
        con.execute(
            "INSERT INTO customers SELECT i, "
            + ", ".join(f"'{d}_' || (i % 5)" for d in CUSTOMER_DIMENSIONS)
            + " FROM range(100) AS t(i)"
        )
    finally:
        con.close()
    lines = [
        "datasets:",
        "  - name: events",
        "    table: events",
        "    time: event_date",
        "    keys:",
        "      - {name: event, column: event_id, primary: true}",
        "      - {name: customer, column: customer_id}",
        "    dimensions:",
        "      - {name: event_date, column: event_date, type: time}",
        *(f"      - {{name: {d}, column: {d}}}" for d in FACT_DIMENSIONS),
        "  - name: customers",
        "    table: customers",
        "    keys:",
        "      - {name: customer, column: customer_id, primary: true}",
        "    dimensions:",
        *(f"      - {{name: {d}, column: {d}}}" for d in CUSTOMER_DIMENSIONS),
        "metrics:",
    ]
    names: list[str] = []
    for i in range(30):
        names.append(f"total_{i}")
        lines.append(f"  - {{name: total_{i}, dataset: events, agg: sum, expr: amount_{i % 10}}}")
    for i in range(20):
        names.append(f"big_{i}")
        lines.append(f"  - {{name: big_{i}, dataset: events, agg: count, filter: 'amount_{i % 10} > {i * 10}'}}")
    for i in range(10):
        names.append(f"customers_{i}")
        lines.append(f"  - {{name: customers_{i}, dataset: events, agg: count_distinct, expr: customer_id}}")
    for i in range(40):
        names.append(f"ratio_{i}")
        lines.append(f"  - {{name: ratio_{i}, type: ratio, numerator: total_{i % 30}, denominator: big_{i % 20}}}")
    (root / "models" / "synthetic.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(names) == 100
    return names


def bench_compile(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="onpace-compile-") as tmp:
        root = Path(tmp)
        metrics = synthetic_project(root)
        project = load_project(root)
        query = Query(metrics=metrics, dimensions=[*FACT_DIMENSIONS, *CUSTOMER_DIMENSIONS], grain="month")
        times = []
        for _ in range(repeat + 1):  # a fresh engine each time: nothing cached from the run before
            engine = Engine(project)
            start = time.perf_counter()
            sql = engine.sql(query)
            times.append(time.perf_counter() - start)
            engine.close()
            _check_compiled(sql)
    return {
        "metrics": len(metrics),
        "dimensions": len(query.dimensions),
        "first_s": times[0],
        "median_s": statistics.median(times[1:]),
        "sql_chars": len(sql),
    }


def _check_compiled(sql: str) -> None:
    if "select" not in sql.lower():
        raise SystemExit(f"the compile benchmark produced no query: {sql[:200]}")


# -- report ---------------------------------------------------------------------------------------
def check(results: dict[str, Any]) -> list[str]:
    """Targets missed, as sentences."""
    missed = []
    for scale in results["scales"]:
        for key, value in scale["ratios"].items():
            op, limit = TARGETS[key]
            if not _meets(value, op, limit):
                missed.append(f"scale {scale['scale']:g}: {key} = {value:.2f}, target {op} {limit:g}")
    compile_s = results["compile"]["median_s"]
    op, limit = TARGETS["compile_s"]
    if not _meets(compile_s, op, limit):
        missed.append(f"compile 100 metrics x 10 dimensions = {compile_s:.3f} s, target {op} {limit:g} s")
    return missed


def _meets(value: float, op: str, limit: float) -> bool:
    return {"<=": value <= limit, ">=": value >= limit, "<": value < limit}[op]


def report(results: dict[str, Any]) -> None:
    table = Table(title="onpace engine benchmark: TPC-H example, 13 metrics by month x region")
    for column in ("scale", "implementation", "median s", "min s", "peak MB", "MB over imports"):
        table.add_column(column, justify="right")
    for scale in results["scales"]:
        for name in IMPLEMENTATIONS:
            mem = scale["memory"].get(name)
            table.add_row(
                f"{scale['scale']:g}",
                name,
                f"{scale['median_s'][name]:.3f}",
                f"{min(scale['runs_s'][name]):.3f}",
                f"{mem['peak_mb']:.0f}" if mem else "-",
                f"{_used(mem):.0f}" if mem else "-",
            )
    console.print(table)
    ratios = Table(title="ratios (targets)")
    ratios.add_column("scale", justify="right")
    for key, (op, limit) in TARGETS.items():
        if key != "compile_s":
            ratios.add_column(f"{key} ({op} {limit:g})", justify="right")
    for scale in results["scales"]:
        cells = [
            f"{scale['ratios'][key]:.2f}" if key in scale["ratios"] else "-" for key in TARGETS if key != "compile_s"
        ]
        ratios.add_row(f"{scale['scale']:g}", *cells)
    console.print(ratios)
    c = results["compile"]
    console.print(
        f"compile {c['metrics']} metrics x {c['dimensions']} dimensions: median {c['median_s']:.3f} s "
        f"(first {c['first_s']:.3f} s; target < 1 s)"
    )


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown tables, for docs/performance.md."""
    lines = [
        "| scale | lineitem rows | implementation | median s | min s | memory used MB | peak MB |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for scale in results["scales"]:
        for name in IMPLEMENTATIONS:
            mem = scale["memory"][name]
            lines.append(
                f"| {scale['scale']:g} | {scale['lineitem_rows']:,} | {name} | {scale['median_s'][name]:.2f} "
                f"| {min(scale['runs_s'][name]):.2f} | {_used(mem):,.0f} | {mem['peak_mb']:,.0f} |"
            )
    keys = [key for key in TARGETS if key != "compile_s"]
    lines += ["", "| scale | " + " | ".join(f"{k} (target {TARGETS[k][0]} {TARGETS[k][1]:g})" for k in keys) + " |"]
    lines.append("|---:|" + "---:|" * len(keys))
    for scale in results["scales"]:
        lines.append(f"| {scale['scale']:g} | " + " | ".join(f"{scale['ratios'][k]:.2f}" for k in keys) + " |")
    c = results["compile"]
    lines += [
        "",
        f"Compiling {c['metrics']} metrics x {c['dimensions']} dimensions (SQL only, fresh engine): "
        f"median {c['median_s']:.3f} s, first {c['first_s']:.3f} s (target < 1 s).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0], help="TPC-H scale factors")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per implementation (median reported)")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when a target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/engine-<date>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as Markdown tables")
    parser.add_argument("--child", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.project, args.save)
        return 0

    results: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": compare.machine(
            ("onpace", "duckdb", "ibis-framework", "pyarrow", "pandas", "polars", "tpchgen-cli")
        ),
        "repeat": args.repeat,
    }
    busy = os.getloadavg()[0]
    if busy > 0.5:
        console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")
    results["scales"] = [bench_scale(scale, args.repeat) for scale in args.scales]
    results["compile"] = bench_compile(args.repeat)
    missed = check(results)
    results["targets"] = {key: f"{op} {limit:g}" for key, (op, limit) in TARGETS.items()}
    results["missed"] = missed
    output = args.output or RESULTS / f"engine-{results['date']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(results)
    if args.markdown:
        console.print(markdown(results), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results written to {output}")

    wrong = [(s["scale"], name, problems) for s in results["scales"] for name, problems in s["disagreements"].items()]
    for scale, name, problems in wrong:
        console.print(f"[bold red]WRONG NUMBERS[/] scale {scale:g}: {name} differs from the hand-written SQL:")
        for problem in problems:
            console.print(f"  {problem}")
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {sentence}")
    if wrong:
        return 2
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
