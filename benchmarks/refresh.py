"""Benchmark of the incremental refresh: one more day of TPC-H data, then `onpace refresh`, against a full refresh.

    python benchmarks/refresh.py                     # scale 1, 5 appended days
    python benchmarks/refresh.py --repeat 3 --no-check
    python benchmarks/refresh.py --profile           # also profile one incremental refresh (cProfile)
    python benchmarks/refresh.py --warm              # in one warm process, as the scheduler refreshes

With ``--warm`` every refresh runs in this one process, as ``onpace serve`` / ``onpace worker`` run
a source's scheduled refresh: the scheduler's own job (``refresh_source``: the source's metrics,
KPI evaluation, alert evaluation) with the scheduler's warm engine, the project loaded once. A
full refresh is the same job into an empty store. Timed from the call to its return.

The TPC-H example at the scale (benchmarks/data/sf<scale>/, generated on first use like
benchmarks/engine.py does) is copied into a temporary folder with the example's definitions, so
the shared data is never modified. Every refresh is the `onpace refresh` command in a fresh
process, its store an SQLite file chosen with ONPACE_DATABASE_URL, and is timed from start to
exit (what a scheduler waits for). The store's run record splits that time into starting
(Python, imports, loading the project), computing and writing the series, and evaluating the
KPIs (the last write of a series to the end of the run).

After a warm-up (a full and an incremental refresh into a scratch store: the machine drops its
file cache when idle), a full refresh into an empty store starts the incremental store; then,
``--repeat`` times: one more day of data is appended (the orders of the last day copied with new
order keys and the next day's date, with their line items, dates shifted by a day), `onpace
refresh` updates the incremental store, and `onpace refresh --full` fills a new empty store. The
two stores must then hold the same series, periods and values (within 1e-9 relative): a fast
incremental refresh with wrong numbers always fails the run (exit code 2).

Target (exit code 1 when missed, unless --no-check): the median incremental refresh takes at
most 10% of the median full refresh. Results are printed and written to
benchmarks/results/refresh-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import compare
import duckdb
import pyarrow as pa
from common import DATA, HERE, RESULTS
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from onpace.examples.tpch_data import DATABASE, copy_project, generate
from onpace.store import observations as obs
from onpace.store import runs
from onpace.store.db import Store
from onpace.store.models import Observation, Series

TARGET = 0.10  # incremental time / full time, at most
PHASES = ("wall_s", "start_s", "series_s", "evaluate_s")

console = Console(width=None if sys.stdout.isatty() else 120)


# -- data -----------------------------------------------------------------------------------------
def shared_data(scale: float) -> Path:
    """The TPC-H DuckDB file at ``scale`` under benchmarks/data/ (the one benchmarks/engine.py uses)."""
    directory = DATA / f"sf{scale:g}"
    if not (directory / DATABASE).is_file():
        console.print(f"generating the TPC-H example at scale {scale:g} in {directory.relative_to(HERE.parent)} ...")
        generate(directory, scale, force=True)
    return directory / DATABASE


def private_project(scale: float, folder: Path) -> Path:
    """The example project with its own copy of the data in ``folder``: appending days leaves the shared copy alone."""
    project = folder / "tpch"
    copy_project(project, scale)
    (project / DATABASE).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared_data(scale), project / DATABASE)
    return project


def append_day(database: Path) -> dict[str, Any]:
    """Copy the last day's orders (new keys above the largest) and their line items to the next day."""
    con = duckdb.connect(str(database))
    try:
        con.execute("BEGIN")
        last, top = con.execute("SELECT max(o_orderdate), max(o_orderkey) FROM orders").fetchall()[0]
        con.execute(
            """
            CREATE TEMP TABLE new_keys AS
            SELECT o_orderkey AS old_key, ? + row_number() OVER (ORDER BY o_orderkey) AS new_key
            FROM orders WHERE o_orderdate = ?
            """,
            [top, last],
        )
        con.execute(
            """
            INSERT INTO orders
            SELECT o.* REPLACE (k.new_key AS o_orderkey, o.o_orderdate + 1 AS o_orderdate)
            FROM orders AS o JOIN new_keys AS k ON o.o_orderkey = k.old_key
            """
        )
        con.execute(
            """
            INSERT INTO lineitem
            SELECT l.* REPLACE (k.new_key AS l_orderkey, l.l_shipdate + 1 AS l_shipdate,
                                l.l_commitdate + 1 AS l_commitdate, l.l_receiptdate + 1 AS l_receiptdate)
            FROM lineitem AS l JOIN new_keys AS k ON l.l_orderkey = k.old_key
            """
        )
        orders, lines = con.execute(
            "SELECT (SELECT count(*) FROM orders WHERE o_orderkey > ?), "
            "(SELECT count(*) FROM lineitem WHERE l_orderkey > ?)",
            [top, top],
        ).fetchall()[0]
        con.execute("DROP TABLE new_keys")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    day: dt.date = last + dt.timedelta(days=1)
    return {"day": day.isoformat(), "orders": int(orders), "line_items": int(lines)}


# -- one refresh: a fresh `onpace refresh` process --------------------------------------------------
def onpace_command() -> list[str]:
    script = Path(sys.executable).with_name("onpace")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from onpace.cli.main import app; app()"]


def store_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def timed_refresh(project: Path, store: Path, *, full: bool, profile: Path | None = None) -> dict[str, Any]:
    """Run `onpace refresh [--full]` once into ``store``; its times (s) and what the run recorded."""
    arguments = ["refresh", "--project", str(project), *(["--full"] if full else [])]
    command = onpace_command() + arguments
    if profile is not None:  # cProfile runs a script file: a two-line one that calls the entry point
        runner = profile.with_name("run_onpace.py")
        runner.write_text("from onpace.cli.main import app\n\napp()\n", encoding="utf-8")
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), str(runner), *arguments]
    env = {**os.environ, "ONPACE_DATABASE_URL": store_url(store)}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    recorded = _recorded(store)
    if recorded["mode"] != ("full" if full else "incremental") or recorded["status"] != "succeeded":
        raise SystemExit(f"`{' '.join(command)}` recorded a {recorded['status']} {recorded['mode']} run")
    return {"wall_s": wall, "start_s": wall - recorded["run_s"], **recorded}


def _recorded(store: Path) -> dict[str, Any]:
    """The last run's phases from the store: series written until the last series' write, then KPI evaluation."""
    with Store(store_url(store)) as db, db.session(readonly=True) as s:
        run = runs.last_run(s)
        if run is None or run.finished_at is None:
            raise SystemExit(f"no finished refresh run in {store}")
        last_write = s.scalar(select(func.max(Series.updated_at)).where(Series.last_run_id == run.id))
        rows = s.scalar(select(func.count()).select_from(Observation).where(Observation.run_id == run.id))
        series_done = last_write or run.started_at
        return {
            "run_s": (run.finished_at - run.started_at).total_seconds(),
            "series_s": (series_done - run.started_at).total_seconds(),
            "evaluate_s": (run.finished_at - series_done).total_seconds(),
            "mode": run.mode,
            "status": run.status,
            "rows_written": int(rows or 0),
        }


# -- correctness: the incremental store against a full recomputation -------------------------------
def read_store(store: Path) -> dict[tuple[str, str, str], pa.Table]:
    """Every series of the store as a (period, value) table, by (metric, grain, segment)."""
    out = {}
    with Store(store_url(store)) as db, db.session(readonly=True) as s:
        for series in obs.list_series(s):
            rows = obs.read_series(s, series.metric, series.grain, series.segment)
            out[(series.metric, series.grain, series.segment)] = pa.table(
                {"period": [p for p, _ in rows], "value": pa.array([v for _, v in rows], pa.float64())}
            )
    return out


def store_differences(expected: Path, got: Path) -> list[str]:
    """How the series of ``got`` differ from those of ``expected`` (values within 1e-9 relative); [] when equal."""
    want, have = read_store(expected), read_store(got)
    problems = [f"series {key} missing" for key in sorted(want.keys() - have.keys())]
    problems += [f"series {key} not in the full refresh" for key in sorted(have.keys() - want.keys())]
    for key in sorted(want.keys() & have.keys()):
        problems += [f"{key}: {p}" for p in compare.differences(want[key], have[key], rel=1e-9, limit=5)]
    return problems


# -- warm: every refresh in this process, as the scheduler runs it ----------------------------------
class WarmRefresher:
    """The scheduler's refresh job for the project's one source, run in this process (engine kept warm)."""

    def __init__(self, project: Path) -> None:
        from onpace.services.scheduler import Scheduler
        from onpace.services.workspace import Workspace

        self.workspace = Workspace(project, store=Store(store_url(project / "unused.db")).ensure_current())
        self.scheduler = Scheduler(self.workspace)
        self.source = next(iter(self.workspace.project().sources))

    def refresh(self, store_path: Path) -> dict[str, Any]:
        import threading

        from onpace.services.scheduler.jobs import JobContext, refresh_source

        store = Store(store_url(store_path)).ensure_current()
        try:
            context = JobContext(
                project=self.workspace.project(),
                store=store,
                job=f"refresh:{self.source}",
                scheduled_at=dt.datetime.now(dt.UTC),
                run_id=0,
                stopping=threading.Event(),
                engine=self.scheduler.warm_engine,
            )
            start = time.perf_counter()
            outcome = refresh_source(context, self.source)
            wall = time.perf_counter() - start
        finally:
            store.close()
        if outcome.status != "succeeded":
            raise SystemExit(f"the warm refresh failed: {outcome.error}")
        recorded = _recorded(store_path)
        return {"wall_s": wall, "start_s": wall - recorded["run_s"], **recorded, "mode": "job"}

    def close(self) -> None:
        self.scheduler.stop(grace=0)
        self.workspace.close()


def bench_warm(scale: float, repeat: int) -> dict[str, Any]:
    """Full and incremental refreshes in this one process (the scheduler's job, its warm engine)."""
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="onpace-refresh-warm-") as tmp:
        folder = Path(tmp)
        console.print(f"[bold]scale {scale:g}, warm process[/]: copying the data to {folder}")
        project = private_project(scale, folder)
        database = project / DATABASE
        started = time.perf_counter()
        warm = WarmRefresher(project)
        setup_s = time.perf_counter() - started
        console.print("  warm-up: a full and an incremental refresh in this process")
        scratch = folder / "warmup.db"
        warmup = {"full": warm.refresh(scratch), "incremental": warm.refresh(scratch)}
        incremental_store = folder / "incremental.db"
        full_runs = [warm.refresh(incremental_store)]
        incremental_runs: list[dict[str, Any]] = []
        appended: list[dict[str, Any]] = []
        wrong: list[str] = []
        for i in range(repeat):
            appended.append(append_day(database))
            console.print(f"  day {i + 1}/{repeat}: {appended[-1]['day']}, {appended[-1]['orders']} orders appended")
            incremental_runs.append(warm.refresh(incremental_store))
            reference = folder / f"full-{i}.db"
            full_runs.append(warm.refresh(reference))
            wrong += [f"after {appended[-1]['day']}: {p}" for p in store_differences(reference, incremental_store)]
            if i:
                (folder / f"full-{i - 1}.db").unlink()
            console.print(
                f"    incremental {incremental_runs[-1]['wall_s']:.2f} s, full {full_runs[-1]['wall_s']:.2f} s"
            )
        warm.close()
        series = len(read_store(incremental_store))
    load.append(os.getloadavg()[0])
    median = {kind: _medians(done) for kind, done in (("full", full_runs), ("incremental", incremental_runs))}
    ratios = {
        "wall": median["incremental"]["wall_s"] / median["full"]["wall_s"],
        "run": median["incremental"]["run_s"] / median["full"]["run_s"],
        "series": median["incremental"]["series_s"] / median["full"]["series_s"],
    }
    return {
        "scale": scale,
        "warm": True,
        "setup_s": setup_s,
        "series": series,
        "lineitem_rows": _count(database_of(scale), "lineitem"),
        "appended": appended,
        "load_average_1min": {"start": load[0], "end": load[1]},
        "warmup": warmup,
        "full_runs": full_runs,
        "incremental_runs": incremental_runs,
        "median": median,
        "ratios": ratios,
        "profile": None,
        "disagreements": wrong,
    }


# -- the benchmark --------------------------------------------------------------------------------
def bench(scale: float, repeat: int, profile: bool) -> dict[str, Any]:
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="onpace-refresh-bench-") as tmp:
        folder = Path(tmp)
        console.print(f"[bold]scale {scale:g}[/]: copying the data to {folder}")
        project = private_project(scale, folder)
        database = project / DATABASE
        console.print("  warm-up: a full and an incremental refresh")
        scratch = folder / "warmup.db"
        warmup = {
            "full": timed_refresh(project, scratch, full=True),
            "incremental": timed_refresh(project, scratch, full=False),
        }

        incremental_store = folder / "incremental.db"
        full_runs = [timed_refresh(project, incremental_store, full=True)]
        incremental_runs: list[dict[str, Any]] = []
        appended: list[dict[str, Any]] = []
        wrong: list[str] = []
        for i in range(repeat):  # interleaved, so a busy moment of the machine hits both
            appended.append(append_day(database))
            console.print(f"  day {i + 1}/{repeat}: {appended[-1]['day']}, {appended[-1]['orders']} orders appended")
            incremental_runs.append(timed_refresh(project, incremental_store, full=False))
            reference = folder / f"full-{i}.db"
            full_runs.append(timed_refresh(project, reference, full=True))
            wrong += [f"after {appended[-1]['day']}: {p}" for p in store_differences(reference, incremental_store)]
            if i:
                (folder / f"full-{i - 1}.db").unlink()

        profiled: dict[str, Any] | None = None
        if profile:
            appended.append(append_day(database))
            console.print(f"  profiling an incremental refresh after {appended[-1]['day']}")
            out = folder / "refresh.prof"
            profiled = timed_refresh(project, incremental_store, full=False, profile=out)
            profiled["breakdown_s"] = profile_breakdown(out)
            profiled["top"] = profile_top(out)
            reference = folder / "full-profiled.db"
            timed_refresh(project, reference, full=True)
            wrong += [f"after {appended[-1]['day']}: {p}" for p in store_differences(reference, incremental_store)]
        series = len(read_store(incremental_store))
    load.append(os.getloadavg()[0])

    median = {kind: _medians(done) for kind, done in (("full", full_runs), ("incremental", incremental_runs))}
    ratios = {
        "wall": median["incremental"]["wall_s"] / median["full"]["wall_s"],
        "run": median["incremental"]["run_s"] / median["full"]["run_s"],
        "series": median["incremental"]["series_s"] / median["full"]["series_s"],
    }
    return {
        "scale": scale,
        "series": series,
        "lineitem_rows": _count(database_of(scale), "lineitem"),
        "appended": appended,
        "load_average_1min": {"start": load[0], "end": load[1]},
        "warmup": warmup,
        "full_runs": full_runs,
        "incremental_runs": incremental_runs,
        "median": median,
        "ratios": ratios,
        "profile": profiled,
        "disagreements": wrong,
    }


def _medians(done: list[dict[str, Any]]) -> dict[str, float]:
    """The median of each phase over the runs (each phase apart: they need not add up to the median time)."""
    out = {phase: statistics.median(r[phase] for r in done) for phase in (*PHASES, "run_s")}
    out["rows_written"] = statistics.median_low(r["rows_written"] for r in done)
    return out


def database_of(scale: float) -> Path:
    return DATA / f"sf{scale:g}" / DATABASE


def _count(database: Path, table: str) -> int:
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.sql(f"SELECT COUNT(*) FROM {table}").fetchall()
    finally:
        con.close()
    return int(rows[0][0])


# -- profile: where an incremental refresh spends its time ----------------------------------------
# (what, file suffix, function): cumulative time of that function in the profile
PROFILE_PARTS = (
    ("loading the project", "onpace/catalog/project.py", "load_project"),
    ("refresh (after imports and loading the project)", "onpace/services/refresh.py", "refresh"),
    ("  series (engine queries and store)", "onpace/services/refresh.py", "_refresh_group"),
    ("    engine queries", "onpace/engine/engine.py", "query"),
    ("      building ibis expressions", "onpace/engine/engine.py", "build"),
    ("      ibis compiling them to SQL", "ibis/backends/sql/__init__.py", "compile"),
    ("      DuckDB running them, to Arrow", "duckdb/_relation.py", "to_arrow_table"),
    ("    store: where to restart (reads)", "onpace/services/refresh.py", "_restart"),
    ("    store: writing observations", "onpace/store/observations.py", "write_observations"),
    ("  KPI evaluation", "onpace/services/evaluate.py", "evaluate_and_store"),
    ("    forecasts (ETS fits and simulations)", "onpace/kpi/ets.py", "simulate"),
    ("      importing statsmodels' ETS", "statsmodels/tsa/exponential_smoothing/ets.py", "<module>"),
    ("      fitting ETS models", "statsmodels/tsa/exponential_smoothing/ets.py", "fit"),
)


def profile_breakdown(path: Path) -> dict[str, float | None]:
    profiled = pstats.Stats(str(path))
    stats = profiled.stats  # type: ignore[attr-defined]
    out: dict[str, float | None] = {"whole process": profiled.total_tt}  # type: ignore[attr-defined]
    for what, suffix, function in PROFILE_PARTS:
        times = [v[3] for (file, _, name), v in stats.items() if name == function and file.endswith(suffix)]
        out[what] = max(times) if times else None  # cumulative time; recursion is counted once by pstats
    return out


def profile_top(path: Path, count: int = 25) -> list[dict[str, Any]]:
    """The functions with the most time of their own (not counting what they call)."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:count]
    return [
        {"function": f"{_short(file)}:{line}({name})", "calls": v[1], "own_s": v[2], "cumulative_s": v[3]}
        for (file, line, name), v in rows
    ]


def _short(file: str) -> str:
    for marker in ("site-packages/", "src/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


# -- report ---------------------------------------------------------------------------------------
def report(results: dict[str, Any]) -> None:
    r = results["result"]
    table = Table(title=f"onpace refresh, TPC-H scale {r['scale']:g}: one more day of data ({r['series']} series)")
    for column in ("refresh", "runs", "median s", "min s", "start s", "series s", "KPI evaluation s", "values written"):
        table.add_column(column, justify="right")
    for kind, done in (("full (empty store)", r["full_runs"]), ("incremental", r["incremental_runs"])):
        m = r["median"]["full" if kind.startswith("full") else "incremental"]
        table.add_row(
            kind,
            str(len(done)),
            f"{m['wall_s']:.2f}",
            f"{min(x['wall_s'] for x in done):.2f}",
            f"{m['start_s']:.2f}",
            f"{m['series_s']:.2f}",
            f"{m['evaluate_s']:.2f}",
            f"{m['rows_written']:,.0f}",
        )
    console.print(table)
    ratios = r["ratios"]
    console.print(
        f"incremental / full: [bold]{ratios['wall']:.2f}[/] of the command's time (target <= {TARGET:g}); "
        f"{ratios['run']:.2f} of the refresh without starting the process; "
        f"{ratios['series']:.2f} of the series alone (without KPI evaluation)"
    )
    if r["profile"]:
        prof = Table(title="profile of one incremental refresh (cProfile: cumulative s, with cProfile's overhead)")
        prof.add_column("part")
        prof.add_column("s", justify="right")
        for what, seconds in r["profile"]["breakdown_s"].items():
            prof.add_row(what, "-" if seconds is None else f"{seconds:.2f}")
        console.print(prof)


def markdown(results: dict[str, Any]) -> str:
    """The figures as a Markdown table, for docs/performance.md."""
    r = results["result"]
    lines = [
        "| refresh | runs | median s | min s | starting s | series s | KPI evaluation s | values written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, key, done in (
        ("full, into an empty store", "full", r["full_runs"]),
        ("incremental, one more day", "incremental", r["incremental_runs"]),
    ):
        m = r["median"][key]
        lines.append(
            f"| {kind} | {len(done)} | {m['wall_s']:.2f} | {min(x['wall_s'] for x in done):.2f} | {m['start_s']:.2f} "
            f"| {m['series_s']:.2f} | {m['evaluate_s']:.2f} | {m['rows_written']:,.0f} |"
        )
    ratios = r["ratios"]
    lines += [
        "",
        f"incremental / full: {ratios['wall']:.2f} of the command's time (target ≤ {TARGET:g}), "
        f"{ratios['run']:.2f} without starting the process, {ratios['series']:.2f} for the series alone.",
    ]
    if r["profile"]:
        lines += ["", "| part of one incremental refresh (cProfile) | s |", "|---|---:|"]
        for what, seconds in r["profile"]["breakdown_s"].items():
            depth = (len(what) - len(what.lstrip())) // 2  # the names are indented under what they are part of
            lines.append(f"| {'· ' * depth}{what.strip()} | {'-' if seconds is None else f'{seconds:.2f}'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--repeat", type=int, default=5, help="days appended, each refreshed both ways (medians)")
    parser.add_argument("--profile", action="store_true", help="also profile one incremental refresh (cProfile)")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/refresh-<date>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table")
    parser.add_argument(
        "--warm", action="store_true", help="every refresh in this one process, as the scheduler runs it"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": compare.machine(
            ("onpace", "duckdb", "ibis-framework", "pyarrow", "sqlalchemy", "statsmodels", "tpchgen-cli")
        ),
        "repeat": args.repeat,
    }
    busy = os.getloadavg()[0]
    if busy > 0.5:
        console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")
    if args.warm and args.profile:
        parser.error("--profile profiles a fresh process: not with --warm")
    results["result"] = (
        bench_warm(args.scale, args.repeat) if args.warm else bench(args.scale, args.repeat, args.profile)
    )
    ratio = results["result"]["ratios"]["wall"]
    missed = [] if ratio <= TARGET else [f"incremental/full = {ratio:.2f}, target <= {TARGET:g}"]
    results["target"] = f"incremental/full <= {TARGET:g}"
    results["missed"] = missed
    output = args.output or RESULTS / f"refresh{'-warm' if args.warm else ''}-{results['date']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    report(results)
    if args.markdown:
        console.print(markdown(results), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results written to {output}")

    wrong = results["result"]["disagreements"]
    if wrong:
        console.print("[bold red]WRONG NUMBERS[/]: the incremental refresh differs from a full refresh:")
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
