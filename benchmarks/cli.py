"""Start-up benchmark of the command line: the reading commands on the TPC-H example, each in a fresh process.

    python benchmarks/cli.py                         # scale 0.01, 10 runs of each command
    python benchmarks/cli.py --repeat 20 --markdown
    python benchmarks/cli.py --quick                 # 3 runs of each, target not checked
    python benchmarks/cli.py --no-check              # report only

The TPC-H example is generated into a temporary folder at ``--scale`` (the commands read the
store, not the data: a small scale is enough), with one alert rule added; it is refreshed once
and one review is recorded, so that ``status``, ``reviews``, ``runs list`` and ``alert list``
all have rows to print. Each command is then the `onpace` command in a fresh process, timed from
start to exit (wall clock, and the CPU time the process used), ``--repeat`` times, the commands
taking turns; the figure is the median. Before the timed runs every command runs once, so that
Python has written its bytecode caches (into a temporary ``PYTHONPYCACHEPREFIX``, as an installed
package has its .pyc files) and the files are in the page cache.

Each run's output is checked: the exit code is 0 and the output names what the store holds
(every KPI instance's label for ``status``, the review's comment, the refresh run, the alert
rule). A wrong output fails the benchmark (exit code 2), a command that fails exits 3.

Then each command runs three more times under ``python -X importtime``: the report shows where
its import time goes (the top-level packages by their own import time, medians), and whether it
imported a package it should not need (ibis, statsmodels, pandas, pyarrow, fastapi...).

Target (exit code 1 when missed, unless --no-check): every command's median under 0.5 s.
Results are printed and written to benchmarks/results/cli-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import compare
from common import RESULTS, LoadSampler, load_average, load_summary
from refresh import onpace_command
from rich.console import Console
from rich.table import Table

TARGET_S = 0.5
REVIEW_COMMENT = "Benchmark review: on plan after the June push"
ALERT_RULE = "benchmark_revenue_drop"
ALERTS = f"""alerts:
  - name: {ALERT_RULE}
    kind: threshold
    metric: revenue
    below: 1
"""
# packages a reading command has no use for: the engine, the forecasts, the web app
HEAVY = (
    *("ibis", "statsmodels", "pandas", "pyarrow", "fastapi", "uvicorn", "jinja2", "numpy", "duckdb", "httpx"),
    *("sqlalchemy", "alembic", "pydantic_settings"),  # the store is read on the sqlite3 driver (Store.reader)
)
TOP_PACKAGES = 8
IMPORT_RUNS = 3  # runs under -X importtime per command (the median of each package's time)

console = Console(width=None if sys.stdout.isatty() else 120)


@dataclass(frozen=True)
class Command:
    """One command of the benchmark: its arguments and what its output must contain."""

    name: str
    args: tuple[str, ...]
    expected: tuple[str, ...]


def prepare(folder: Path, scale: float) -> tuple[Path, list[str]]:
    """The TPC-H example with an alert rule, refreshed, with one review: its root and its KPI labels."""
    from onpace.catalog.project import load_project
    from onpace.examples.tpch_data import generate
    from onpace.kpi.instances import kpi_instances
    from onpace.services.refresh import refresh
    from onpace.services.reviews import record_review
    from onpace.store.db import Store

    root = generate(folder / "tpch", scale)
    (root / "models" / "bench_alerts.yml").write_text(ALERTS, encoding="utf-8")
    project = load_project(root)
    store = Store.for_project(root).ensure_current()
    try:
        started = time.perf_counter()
        result = refresh(project, store, requested_by="benchmark")
        console.print(
            f"refreshed {result.evaluated} KPI evaluations in {time.perf_counter() - started:.1f} s ({result.status})"
        )
        first = next(iter(project.kpis))
        record_review(project, store, first, reviewer="benchmark", assessment="on_track", commentary=REVIEW_COMMENT)
    finally:
        store.close()
    labels = sorted({(i.kpi.label or i.kpi.name) for i in kpi_instances(project)})
    return root, labels


def commands(root: Path, labels: Sequence[str]) -> list[Command]:
    from onpace import __version__

    project = ("--project", str(root))
    return [
        Command("--version", ("--version",), (f"onpace {__version__}",)),
        Command("--help", ("--help",), ("status", "reviews", "runs", "alert")),
        Command("status", ("status", *project), ("Data until", *labels)),
        Command("reviews", ("reviews", *project), (REVIEW_COMMENT,)),
        Command("runs list", ("runs", "list", *project), ("succeeded", "benchmark")),
        Command("alert list", ("alert", "list", *project), (ALERT_RULE, "threshold")),
    ]


def child_environment(pycache: Path) -> dict[str, str]:
    """The commands' environment: bytecode caches written (into ``pycache``), the project's own store, wide output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "ONPACE_DATABASE_URL")}
    env.update(PYTHONPYCACHEPREFIX=str(pycache), COLUMNS="200", NO_COLOR="1", TERM="dumb")
    return env


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    exit_code: int
    stdout: str
    stderr: str


def run_once(argv: Sequence[str], env: dict[str, str]) -> Run:
    """One fresh process: its wall time from start to exit, and the CPU time it used (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, done.returncode, done.stdout, done.stderr)


def problems_of(command: Command, run: Run) -> list[str]:
    if run.exit_code != 0:
        return [f"{command.name}: exit code {run.exit_code}: {run.stderr.strip()[-500:]}"]
    flat = " ".join(run.stdout.split())  # a label may wrap in a table cell
    return [
        f"{command.name}: the output lacks {text!r}" for text in command.expected if " ".join(text.split()) not in flat
    ]


# -- python -X importtime --------------------------------------------------------------------------
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_costs(stderr: str) -> tuple[Counter[str], set[str]]:
    """Where the import time of one process went, from ``-X importtime``: each top-level package's own
    time (microseconds, its modules' own times summed), and every module imported."""
    own: Counter[str] = Counter()
    modules: set[str] = set()
    for line in stderr.splitlines():
        found = IMPORT_LINE.match(line)
        if found:
            name = found[4]
            modules.add(name)
            own[name.split(".")[0]] += int(found[1])
    return own, modules


def import_breakdown(command: Command, env: dict[str, str], runs: int = IMPORT_RUNS) -> dict[str, Any]:
    """The command's import time by top-level package: the median of ``runs`` runs under ``-X importtime``."""
    argv = [*onpace_command(), *command.args]
    if argv[0] != sys.executable:  # the console script is a Python script: run it under -X importtime
        argv = [sys.executable, *argv]
    found = []
    for _ in range(runs):
        done = subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        found.append(import_costs(done.stderr))
    packages = {name for own, _ in found for name in own}
    median = Counter({name: statistics.median(own[name] for own, _ in found) for name in packages})
    return {
        "total_ms": round(statistics.median(sum(own.values()) for own, _ in found) / 1000, 1),
        "top_packages_ms": {name: round(us / 1000, 1) for name, us in median.most_common(TOP_PACKAGES)},
        "heavy_imported": sorted({m.split(".")[0] for _, modules in found for m in modules} & set(HEAVY)),
    }


# -- the benchmark ---------------------------------------------------------------------------------
def bench(scale: float, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="onpace-cli-") as folder:
        root, labels = prepare(Path(folder), scale)
        env = child_environment(Path(folder) / "pycache")
        chosen = commands(root, labels)
        problems: list[str] = []
        failed: list[str] = []
        for command in chosen:  # warm-up: bytecode caches written, files in the page cache
            warm = run_once([*onpace_command(), *command.args], env)
            (failed if warm.exit_code else problems).extend(problems_of(command, warm))
        runs: dict[str, list[Run]] = {c.name: [] for c in chosen}
        with LoadSampler() as sampler:
            start = sampler.now()
            for _ in range(repeat):
                for command in chosen:
                    done = run_once([*onpace_command(), *command.args], env)
                    runs[command.name].append(done)
                    (failed if done.exit_code else problems).extend(problems_of(command, done))
            load = sampler.between(start, sampler.sample())
        imports = {c.name: import_breakdown(c, env) for c in chosen}
    figures = {}
    for command in chosen:
        timed = runs[command.name]
        walls = [r.wall_s for r in timed]
        figures[command.name] = {
            "args": [a if a != str(root) else "<project>" for a in command.args],
            "runs": len(timed),
            "median_s": round(statistics.median(walls), 3),
            "min_s": round(min(walls), 3),
            "max_s": round(max(walls), 3),
            "cpu_median_s": round(statistics.median(r.cpu_s for r in timed), 3),
            "met": statistics.median(walls) < TARGET_S,
        }
    return {
        "scale": scale,
        "kpi_labels": len(labels),
        "commands": figures,
        "imports": imports,
        "load_average": load_summary(load),
        "problems": sorted(set(problems)),
        "failed": sorted(set(failed)),
    }


# -- report ----------------------------------------------------------------------------------------
def load_text(load: dict[str, float | None]) -> str:
    """ "0.12 to 0.40, median 0.25" (the samples of the load average taken while the commands ran)."""
    if load["median"] is None:
        return "not sampled"
    return f"{load['min']:.2f} to {load['max']:.2f}, median {load['median']:.2f}"


def report(result: dict[str, Any]) -> None:
    table = Table(
        title=f"onpace commands on the TPC-H example (scale {result['scale']:g}), a fresh process each "
        f"(load average {load_text(result['load_average'])})"
    )
    for column in ("command", "runs", "median s", "min s", "max s", "CPU s (median)", f"< {TARGET_S:g} s"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, f in result["commands"].items():
        table.add_row(
            name,
            str(f["runs"]),
            f"{f['median_s']:.3f}",
            f"{f['min_s']:.3f}",
            f"{f['max_s']:.3f}",
            f"{f['cpu_median_s']:.3f}",
            "[green]yes[/]" if f["met"] else "[red]no[/]",
        )
    console.print(table)
    imports = Table(title="python -X importtime: import time by top-level package (ms, medians)")
    imports.add_column("command")
    imports.add_column("imports ms", justify="right")
    imports.add_column("top packages (own import time)")
    imports.add_column("heavy packages imported")
    for name, costs in result["imports"].items():
        top = ", ".join(f"{package} {ms:.0f}" for package, ms in costs["top_packages_ms"].items())
        imports.add_row(name, f"{costs['total_ms']:.0f}", top, ", ".join(costs["heavy_imported"]) or "none")
    console.print(imports)


def markdown(result: dict[str, Any]) -> str:
    """The figures as Markdown tables, for docs/performance.md."""
    lines = [
        f"| command | runs | median s | min s | CPU s (median) | under {TARGET_S:g} s |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, f in result["commands"].items():
        lines.append(
            f"| `onpace {name}` | {f['runs']} | {f['median_s']:.3f} | {f['min_s']:.3f} | {f['cpu_median_s']:.3f} "
            f"| {'yes' if f['met'] else 'no'} |"
        )
    lines += [
        "",
        f"Load average (1 minute) while timed: {load_text(result['load_average'])}.",
        "",
        "| command | imports ms | top packages (own import time, ms) | heavy packages imported |",
        "|---|---:|---|---|",
    ]
    for name, costs in result["imports"].items():
        top = ", ".join(f"{package} {ms:.0f}" for package, ms in costs["top_packages_ms"].items())
        lines.append(
            f"| `onpace {name}` | {costs['total_ms']:.0f} | {top} | {', '.join(costs['heavy_imported']) or 'none'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.01, help="TPC-H scale factor of the example")
    parser.add_argument("--repeat", type=int, default=10, help="runs of each command (the median is reported)")
    parser.add_argument("--quick", action="store_true", help="3 runs of each command, target not checked")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/cli-<date>.json)")
    parser.add_argument("--markdown", action="store_true", help="also print the figures as Markdown tables")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.no_check = min(args.repeat, 3), True
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    busy = load_average()
    if busy > 0.5:
        console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")

    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": compare.machine(("onpace", "typer", "rich", "pydantic", "sqlalchemy", "pyyaml", "lark")),
        "repeat": args.repeat,
        "target": f"median < {TARGET_S:g} s for every command",
        "result": bench(args.scale, args.repeat),
    }
    result = results["result"]
    missed = [f"{name}: median {f['median_s']:.3f} s" for name, f in result["commands"].items() if not f["met"]]
    results["missed"] = missed
    output = args.output or RESULTS / f"cli-{results['date']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(result)
    if args.markdown:
        console.print(markdown(result), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results written to {output}")

    if result["failed"]:
        console.print("[bold red]a command failed[/]:")
        for problem in result["failed"][:20]:
            console.print(f"  {problem}", markup=False, highlight=False)
        return 3
    if result["problems"]:
        console.print("[bold red]WRONG OUTPUT[/]:")
        for problem in result["problems"][:20]:
            console.print(f"  {problem}", markup=False, highlight=False)
        return 2
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {sentence} (target < {TARGET_S:g} s)")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
