"""Benchmark of KPI evaluation in a warm process: the demo company's KPIs, evaluated after each refresh.

    python benchmarks/evaluate.py                        # 5 evaluations of each kind
    python benchmarks/evaluate.py --repeat 3 --no-check
    python benchmarks/evaluate.py --demo DIR             # the data of a demo made by `onpace demo DIR`
    python benchmarks/evaluate.py --without-kept-fits    # every ETS model fitted again (as before they were kept)
    python benchmarks/evaluate.py --as-before            # that, and BLAS left on all its threads while fitting
    python benchmarks/evaluate.py --warm-starts          # ETS fits started from the fit of the refresh before
    python benchmarks/evaluate.py --profile              # also profile one evaluation after a change (cProfile)
    python benchmarks/evaluate.py --until 2024-02-29     # a young company: 4 months of data, forecast by ETS

The demo company (`onpace demo`: 19 KPIs on three years of data) is made in a temporary folder,
or copied from ``--demo``. Everything else runs in this one process, as the scheduler's process
(``onpace serve``, ``onpace worker``) refreshes and evaluates: the project loaded once, the
store open, what onpace keeps in memory between evaluations (past periods, ETS fits) kept.

The data is first cut ``--repeat`` days short of its last day (or of ``--until``: the demo as a young
company, whose short histories are forecast by ETS models rather than empirically) (every row dated after the cut removed, from every
table with a date), refreshed in full, and evaluated: the **cold** evaluation, the process's first
(it imports statsmodels and fits every model). Then ``--repeat`` times each:

- **no change**: an incremental refresh of the same data, then an evaluation;
- **a change**: one more day of data put back, an incremental refresh, then an evaluation (every
  KPI's values changed: the as-of date moves a day).

An evaluation is :func:`onpace.services.evaluate.evaluate_and_store`, what a refresh runs after its
series: every KPI judged as of its latest data, with its past periods, and stored. It is timed
alone (the refreshes are not), and the ETS fits it made are counted.

Target (exit code 1 when missed, unless --no-check): the median warm evaluation, with and without
a change, under 1 s. Results are printed and written to benchmarks/results/evaluate-<date>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import compare
import duckdb
from common import RESULTS, load_average
from rich.console import Console
from rich.table import Table

from onpace.catalog.project import Project, load_project
from onpace.kpi import blas, ets, fits
from onpace.services.evaluate import evaluate_and_store
from onpace.services.refresh import refresh
from onpace.store import evaluations
from onpace.store.db import Store

TARGET_S = 1.0  # the median warm evaluation, at most
DATA_FILE = Path("data") / "demo.duckdb"
STORE_FILE = Path(".onpace") / "store.db"

console = Console(width=None if sys.stdout.isatty() else 120)


# -- the demo ---------------------------------------------------------------------------------------
def onpace_command() -> list[str]:
    script = Path(sys.executable).with_name("onpace")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from onpace.cli.main import app; app()"]


def make_demo(folder: Path) -> Path:
    """`onpace demo` in its own process (its refresh and evaluation must not warm this one)."""
    demo = folder / "demo"
    env = {**os.environ, "ONPACE_ENVIRONMENT": "development"}
    env.pop("ONPACE_DATABASE_URL", None)
    done = subprocess.run(
        [*onpace_command(), "demo", str(demo), "--no-serve"], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"`onpace demo` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return demo


def copy_demo(demo: Path, folder: Path) -> Path:
    """The demo's project, data and store in ``folder``/work (the demo itself is left alone)."""
    if not (demo / DATA_FILE).is_file() or not (demo / STORE_FILE).is_file():
        raise SystemExit(f"{demo} is not a demo made by `onpace demo` (no {DATA_FILE} or {STORE_FILE})")
    work = folder / "work"
    shutil.copytree(demo, work, ignore=shutil.ignore_patterns("outbox"))
    shutil.copyfile(work / DATA_FILE, folder / "all-days.duckdb")
    return work


def last_day(database: Path) -> dt.date:
    """The last date in the demo's orders: the day its data ends."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        day = con.sql("SELECT max(order_date) FROM orders").fetchall()[0][0]
    finally:
        con.close()
    assert isinstance(day, dt.date)
    return day


def cut_data(all_days: Path, database: Path, until: dt.date) -> int:
    """The data of ``all_days`` up to ``until``, into ``database``: every row with a date (or a time)
    after it removed, from every table; the rows removed."""
    shutil.copyfile(all_days, database)
    con = duckdb.connect(str(database))
    removed = 0
    try:
        columns = con.sql(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE data_type IN ('DATE', 'TIMESTAMP') ORDER BY table_name, column_name"
        ).fetchall()
        for table, column, kind in columns:
            bound = f"DATE '{until.isoformat()}'" if kind == "DATE" else f"TIMESTAMP '{until + dt.timedelta(days=1)}'"
            comparison = ">" if kind == "DATE" else ">="
            count = con.sql(f'SELECT count(*) FROM "{table}" WHERE "{column}" {comparison} {bound}').fetchall()[0][0]
            con.execute(f'DELETE FROM "{table}" WHERE "{column}" {comparison} {bound}')
            removed += int(count)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return removed


# -- one evaluation -----------------------------------------------------------------------------------
class FitCounter:
    """Counts the ETS fits (every optimiser run goes through ``onpace.kpi.ets.fit``)."""

    def __init__(self) -> None:
        self.count = 0
        self._fit = ets.fit

    def __enter__(self) -> FitCounter:
        def counted(history: Any, seasonal: bool, start: Sequence[float] | None = None) -> ets.Fit:
            self.count += 1
            return self._fit(history, seasonal, start)

        ets.fit = counted  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        ets.fit = self._fit  # type: ignore[assignment]


def timed_evaluation(
    project: Project, store: Store, kind: str, *, forget_fits: bool, profile: cProfile.Profile | None = None
) -> dict[str, Any]:
    """One evaluation of every KPI, stored, as a refresh runs it; its time, ETS fits and as-of date."""
    if forget_fits:
        fits.MEMO.clear()
    errors: dict[Any, str] = {}
    with FitCounter() as fitted:
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        evaluated = evaluate_and_store(project, store, errors=errors)
        if profile is not None:
            profile.disable()
        seconds = time.perf_counter() - start
    if errors:
        raise SystemExit(f"the evaluation left KPIs out: {errors}")
    with store.session(readonly=True) as s:
        as_of = max(e.as_of for e in evaluations.latest_evaluations(s))
    return {
        "kind": kind,
        "seconds": seconds,
        "evaluations": evaluated,
        "ets_fits": fitted.count,
        "as_of": as_of.isoformat(),
        "load_average": load_average(),
    }


def blas_threads() -> list[int] | None:
    """The thread count of each BLAS library loaded (threadpoolctl's), or None without threadpoolctl."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [int(i["num_threads"]) for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def refreshed(project: Project, store: Store, *, full: bool = False) -> float:
    started = time.perf_counter()
    result = refresh(project, store, full=full, requested_by="benchmark", evaluate=False)
    if result.status != "succeeded":
        raise SystemExit(f"the refresh {result.status}: {result.errors}")
    return time.perf_counter() - started


# -- the benchmark -------------------------------------------------------------------------------------
def bench(
    demo: Path | None,
    repeat: int,
    *,
    until: dt.date | None = None,
    forget_fits: bool = False,
    warm_starts: bool = False,
    profile: bool = False,
) -> dict[str, Any]:
    if warm_starts:
        fits.MEMO = fits.EtsMemo(warm_starts=True)
    load = [load_average()]
    with tempfile.TemporaryDirectory(prefix="onpace-evaluate-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        if demo is None:
            console.print("making the demo (`onpace demo`, about 30 s) ...")
            demo = make_demo(folder)
        work = copy_demo(demo, folder)
        setup_s = time.perf_counter() - started
        all_days, database = folder / "all-days.duckdb", work / DATA_FILE
        end = until or last_day(all_days)
        project = load_project(work)
        store = Store(f"sqlite:///{(work / STORE_FILE).as_posix()}").ensure_current()
        runs: list[dict[str, Any]] = []
        profiled: dict[str, Any] | None = None
        try:
            cut = end - dt.timedelta(days=repeat)
            removed = cut_data(all_days, database, cut)
            console.print(f"data cut at {cut} ({removed:,} rows after it held back); a full refresh")
            refreshed(project, store, full=True)
            runs.append(timed_evaluation(project, store, "cold", forget_fits=False))
            console.print(f"  cold: {runs[-1]['seconds']:.2f} s, {runs[-1]['ets_fits']} ETS fits")
            for i in range(repeat):
                refreshed(project, store)
                runs.append(timed_evaluation(project, store, "no change", forget_fits=forget_fits))
                console.print(f"  no change {i + 1}/{repeat}: {runs[-1]['seconds']:.2f} s, {runs[-1]['ets_fits']} fits")
            for i in range(repeat):
                day = cut + dt.timedelta(days=i + 1)
                cut_data(all_days, database, day)
                refreshed(project, store)
                session = cProfile.Profile() if profile and i == 0 else None
                runs.append(timed_evaluation(project, store, "a change", forget_fits=forget_fits, profile=session))
                if session is not None:
                    profiled = profile_summary(session)
                console.print(
                    f"  one more day ({day}) {i + 1}/{repeat}: {runs[-1]['seconds']:.2f} s, {runs[-1]['ets_fits']} fits"
                )
        finally:
            store.close()
    load.append(load_average())
    median = {
        kind: statistics.median(r["seconds"] for r in runs if r["kind"] == kind)
        for kind in ("cold", "no change", "a change")
    }
    return {
        "demo_kpis": runs[0]["evaluations"],
        "data_until": end.isoformat(),
        "setup_s": setup_s,
        "kept_fits": not forget_fits,
        "blas_threads": blas_threads(),
        "warm_starts": warm_starts,
        "load_average_1min": {"start": load[0], "end": load[1]},
        "runs": runs,
        "median_s": median,
        "profile": profiled,
    }


def profile_summary(session: cProfile.Profile, count: int = 20) -> dict[str, Any]:
    """The functions with the most cumulative time in one profiled evaluation."""
    out = io.StringIO()
    stats = pstats.Stats(session, stream=out)
    stats.sort_stats("cumulative").print_stats(count)
    return {"total_s": stats.total_tt, "top_cumulative": out.getvalue()}  # type: ignore[attr-defined]


# -- report ---------------------------------------------------------------------------------------
def report(results: dict[str, Any]) -> None:
    r = results["result"]
    table = Table(
        title=f"KPI evaluation of the demo company, data to {r['data_until']} "
        f"({r['demo_kpis']} KPI evaluations), one warm process"
    )
    for column in ("evaluation", "runs", "median s", "min s", "max s", "ETS fits (median)"):
        table.add_column(column, justify="right")
    for kind in ("cold", "no change", "a change"):
        done = [x for x in r["runs"] if x["kind"] == kind]
        table.add_row(
            {"cold": "first (cold)", "no change": "after a refresh, no change", "a change": "after one more day"}[kind],
            str(len(done)),
            f"{r['median_s'][kind]:.3f}",
            f"{min(x['seconds'] for x in done):.3f}",
            f"{max(x['seconds'] for x in done):.3f}",
            f"{statistics.median(x['ets_fits'] for x in done):g}",
        )
    console.print(table)
    console.print(
        f"kept ETS fits: {'yes' if r['kept_fits'] else 'no (--without-kept-fits)'}; "
        f"warm starts: {'yes' if r['warm_starts'] else 'no'}; BLAS threads {r['blas_threads']}; load average {r['load_average_1min']['start']:.2f} "
        f"to {r['load_average_1min']['end']:.2f}"
    )
    if r["profile"]:
        console.print(r["profile"]["top_cumulative"], markup=False, highlight=False)


def markdown(results: dict[str, Any]) -> str:
    """The figures as a Markdown table, for docs/performance.md."""
    r = results["result"]
    lines = ["| evaluation | runs | median s | min s | max s | ETS fits |", "|---|---:|---:|---:|---:|---:|"]
    for kind, label in (
        ("cold", "first, cold"),
        ("no change", "after a refresh, no change"),
        ("a change", "after one more day"),
    ):
        done = [x for x in r["runs"] if x["kind"] == kind]
        lines.append(
            f"| {label} | {len(done)} | {r['median_s'][kind]:.3f} | {min(x['seconds'] for x in done):.3f} "
            f"| {max(x['seconds'] for x in done):.3f} | {statistics.median(x['ets_fits'] for x in done):g} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="evaluations of each warm kind (medians)")
    parser.add_argument("--quick", action="store_true", help="one of each: a smoke run (targets not checked)")
    parser.add_argument("--demo", type=Path, default=None, help="a folder made by `onpace demo` (else one is made)")
    parser.add_argument(
        "--without-kept-fits", action="store_true", help="forget the kept ETS fits before every evaluation"
    )
    parser.add_argument(
        "--as-before",
        action="store_true",
        help="--without-kept-fits, and BLAS left on its threads (as onpace fitted before issue 19)",
    )
    parser.add_argument("--warm-starts", action="store_true", help="start each ETS fit from the one it grew from")
    parser.add_argument(
        "--until", type=dt.date.fromisoformat, default=None, help="the data's last day (default: the demo's)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the first evaluation after a change")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument(
        "--output", type=Path, default=None, help="results JSON (default: results/evaluate-<date>.json)"
    )
    parser.add_argument("--markdown", action="store_true", help="also print the figures as a Markdown table")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    if args.as_before:
        blas._done = True  # as if BLAS had been put on one thread already: it is left as it is

    if repeat < 1:
        parser.error("--repeat must be at least 1")

    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": compare.machine(("onpace", "duckdb", "numpy", "scipy", "sqlalchemy", "statsmodels")),
        "repeat": repeat,
    }
    if load_average() > 0.5:
        console.print(f"[yellow]the machine is busy (load average {load_average():.1f}): timings will be noisy[/]")
    results["result"] = bench(
        args.demo,
        repeat,
        until=args.until,
        forget_fits=args.without_kept_fits or args.as_before,
        warm_starts=args.warm_starts,
        profile=args.profile,
    )
    median = results["result"]["median_s"]
    missed = [
        f"median evaluation {label} {median[kind]:.3f} s, target < {TARGET_S:g} s"
        for kind, label in (("no change", "after a refresh with no change"), ("a change", "after one more day"))
        if median[kind] >= TARGET_S
    ]
    results["target"] = f"median warm evaluation < {TARGET_S:g} s"
    results["missed"] = missed
    suffix = "-quick" if args.quick else ""
    output = args.output or RESULTS / f"evaluate-{results['date']}{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    report(results)
    if args.markdown:
        console.print(markdown(results), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results written to {output}")
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {sentence}")
    return 1 if missed and not (args.no_check or args.quick) else 0


if __name__ == "__main__":
    sys.exit(main())
