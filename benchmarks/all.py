"""Run the benchmarks one after the other and record the machine's load during each: what `make bench` runs.

    python benchmarks/all.py                         # every benchmark at its full size
    python benchmarks/all.py --quick                 # each at its quick size: a smoke run, targets not checked
    python benchmarks/all.py --only engine web       # some of them (--skip leaves some out)
    python benchmarks/all.py --list                  # what would run, and how, without running it
    python benchmarks/all.py --command fast="python -c 'print(1)'"   # these commands instead of the list

Each benchmark runs in its own process with the project's Python (the one running this script
when it is a virtual environment's, else .venv/bin/python), from the repository's root, and its
output is shown as it comes. A thread samples the 1-minute load average every ``--interval``
seconds; each benchmark gets the lowest, median and highest load seen while it ran. The end is a
summary table and benchmarks/results/bench-<date>.json (bench-<date>-quick.json with --quick).

A benchmark's exit code says how it went, and this script's exit code is the worst of them:

    0  every target met (or, with --quick, not checked)
    1  a target missed
    2  numbers differ: a benchmark computed a wrong number (the worst outcome)
    3  a benchmark failed to run (crashed, was killed, refused its arguments)

A Python traceback or an argparse usage error in a benchmark's output counts as a failure, whatever
its exit code; a benchmark that stops with ``SystemExit("message")`` exits 1, like a missed target.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import difflib
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import compare
from common import HERE, RESULTS, LoadSampler, load_summary
from rich.console import Console
from rich.table import Table

ROOT = HERE.parent
TAIL_LINES = 40  # lines of each benchmark's output kept in the results file

MET, NOT_CHECKED, MISSED, DIFFER, FAILED = "met", "not checked", "missed", "numbers differ", "failed"
EXIT_CODES = {MET: 0, NOT_CHECKED: 0, MISSED: 1, DIFFER: 2, FAILED: 3}
WORST_FIRST = (DIFFER, FAILED, MISSED)

console = Console(width=None if sys.stdout.isatty() else 120)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark script and how to run it in full and quickly."""

    name: str
    script: str  # file under benchmarks/
    args: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()  # smaller sizes, used when the script has no --quick of its own
    optional: bool = False  # in the list only when its script exists


# The quick sizes come from each script's options (see its argparse): small data, one repeat.
# A quick run also passes --no-check to a script that has it, since the targets are set for the
# full sizes; wrong numbers still fail (exit 2). A script with neither runs at its full size.
BENCHMARKS = (
    Benchmark("engine", "engine.py", quick=("--scales", "0.1", "--repeat", "1")),
    Benchmark("refresh", "refresh.py", quick=("--scale", "0.1", "--repeat", "1")),
    Benchmark("refresh-warm", "refresh.py", ("--warm",), quick=("--scale", "0.1", "--repeat", "1")),
    Benchmark("web", "web.py", quick=("--requests", "5")),
    Benchmark("cli", "cli.py", optional=True),
    Benchmark("evaluate", "evaluate.py", optional=True),
    Benchmark("install", "install.py", optional=True),  # a whole clone and install: no smaller size
    Benchmark("shared", "shared.py", quick=("--scales", "0.1", "--repeat", "1"), optional=True),
    Benchmark("shapes", "shapes.py", optional=True),
)


@dataclass(frozen=True)
class Planned:
    """A benchmark about to run: its command, and that command as shown (``python`` for the interpreter)."""

    name: str
    argv: tuple[str, ...]
    shown: str

    @property
    def checks_targets(self) -> bool:
        return "--no-check" not in self.argv


# -- what to run ------------------------------------------------------------------------------------
def project_python() -> str:
    """The virtual environment's Python: this one when it is a venv's, else the repository's .venv."""
    candidate = ROOT / ".venv" / "bin" / "python"
    if sys.prefix != sys.base_prefix or not candidate.is_file():
        return sys.executable
    return str(candidate)


def declares(script: Path, option: str) -> bool:
    """Whether a benchmark script declares a command-line option (read from its source, not run)."""
    try:
        return f'"{option}"' in script.read_text(encoding="utf-8")
    except OSError:
        return False


def quick_arguments(script: Path, fallback: Sequence[str], name: str, day: str) -> list[str]:
    """The script's own --quick if it has one, else the known smaller sizes and --no-check; a separate results file."""
    if declares(script, "--quick"):
        extra = ["--quick"]
    else:
        extra = [*fallback, *(["--no-check"] if declares(script, "--no-check") else [])]
    if declares(script, "--output"):  # keep a quick run from overwriting the day's full figures
        extra += ["--output", (RESULTS / f"{name}-{day}-quick.json").relative_to(ROOT).as_posix()]
    return extra


def available() -> dict[str, Benchmark]:
    """The default benchmarks whose scripts exist, by name."""
    return {b.name: b for b in BENCHMARKS if not b.optional or (HERE / b.script).is_file()}


def plan_defaults(chosen: Sequence[Benchmark], python: str, *, quick: bool, day: str) -> list[Planned]:
    planned = []
    for bench in chosen:
        script = HERE / bench.script
        args = [*bench.args, *(quick_arguments(script, bench.quick, bench.name, day) if quick else [])]
        relative = script.relative_to(ROOT).as_posix()
        planned.append(Planned(bench.name, (python, str(script), *args), shlex.join(["python", relative, *args])))
    return planned


def plan_commands(commands: Sequence[tuple[str, str]], python: str, *, quick: bool, day: str) -> list[Planned]:
    """``--command NAME=CMD``: CMD split as a shell would; a leading ``python`` (or a ``.py`` file) runs on ``python``."""
    planned = []
    for name, command in commands:
        words = shlex.split(command)
        if words[0] == "python":
            words[0] = python
        elif words[0].endswith(".py"):
            words.insert(0, python)
        script = next((Path(w) for w in words[1:] if w.endswith(".py")), None)
        if quick and script is not None:
            words += quick_arguments(script, (), name, day)
        shown = shlex.join(["python", *words[1:]] if words[0] == python else words)
        planned.append(Planned(name, tuple(words), shown))
    return planned


# -- running one benchmark --------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # None: the command could not start, or was interrupted
    seconds: float
    crashed: bool  # a Python traceback or an argparse usage error in the output
    tail: list[str]


def run_one(planned: Planned, sampler: LoadSampler) -> tuple[Outcome, list[float]]:
    """Run a benchmark from the repository's root, echoing its output (stdout and stderr) as it comes.

    What it did, and the load averages sampled while it ran.
    """
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    traceback = usage = False
    code: int | None = None
    start = sampler.sample()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # lines as they are printed, not when a buffer fills
    try:
        process = subprocess.Popen(
            planned.argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        tail.append(f"could not run {planned.shown}: {exc}")
    else:
        with process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                    text = line.rstrip("\n")
                    tail.append(text)
                    traceback |= text.startswith("Traceback (most recent call last)")
                    usage |= text.startswith("usage: ")
            except KeyboardInterrupt:
                process.terminate()
                raise
            code = process.wait()
    end = sampler.sample()
    bad_arguments = usage and bool(tail) and ": error: " in tail[-1]
    return Outcome(code, end - start, traceback or bad_arguments, list(tail)), sampler.between(start, end)


def status(outcome: Outcome, checks_targets: bool) -> str:
    """What a benchmark's exit code (and output) say: met, not checked, missed, numbers differ or failed."""
    if outcome.crashed or outcome.exit_code not in (0, 1, 2):
        return FAILED
    if outcome.exit_code == 2:
        return DIFFER
    if outcome.exit_code == 1:
        return MISSED
    return MET if checks_targets else NOT_CHECKED


def exit_code(statuses: Sequence[str]) -> int:
    """The worst outcome's code: numbers differ (2), then failed (3), then missed (1); 0 when none."""
    return next((EXIT_CODES[s] for s in WORST_FIRST if s in statuses), 0)


# -- report -----------------------------------------------------------------------------------------
def summary_table(records: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="benchmarks (load average: 1 minute, sampled while each ran)")
    for column in ("benchmark", "exit code", "seconds", "load min", "load median", "load max", "target"):
        table.add_column(column, justify="left" if column in ("benchmark", "target") else "right")
    for r in records:
        load = r["load_average_1min"]
        table.add_row(
            r["name"],
            "-" if r["exit_code"] is None else str(r["exit_code"]),
            f"{r['seconds']:.1f}",
            *("-" if load[k] is None else f"{load[k]:.2f}" for k in ("min", "median", "max")),
            r["status"],
        )
    return table


def git_commit() -> str | None:
    """The commit measured (with ``-dirty`` when the working tree has changes), or None outside git."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() or None


# -- command line -----------------------------------------------------------------------------------
def named_command(text: str) -> tuple[str, str]:
    name, sep, command = text.partition("=")
    if not sep or not name.strip() or not command.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=COMMAND, got {text!r}")
    return name.strip(), command


def choose(
    parser: argparse.ArgumentParser, names: Sequence[str], only: Sequence[str] | None, skip: Sequence[str]
) -> list[str]:
    """The names to run, in their list's order; unknown names are an error with the nearest known one."""
    for name in [*(only or []), *skip]:
        if name not in names:
            missing = next((b for b in BENCHMARKS if b.name == name), None)
            if missing is not None:
                parser.error(f"{name}: benchmarks/{missing.script} does not exist")
            near = difflib.get_close_matches(name, names, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            parser.error(f"no benchmark named {name}{hint}; known: {', '.join(names)}")
    return [n for n in names if (only is None or n in only) and n not in skip]


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on arguments it refuses, which here would read "numbers differ": 3 instead."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_CODES[FAILED], f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="leave these benchmarks out")
    parser.add_argument("--quick", action="store_true", help="each benchmark at its quick size (targets not checked)")
    parser.add_argument(
        "--command",
        action="append",
        type=named_command,
        metavar="NAME=CMD",
        help="run CMD as benchmark NAME (repeatable); the commands given replace the default list",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between load average samples")
    parser.add_argument("--python", default=None, help="interpreter for the benchmarks (default: the project's)")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/bench-<date>.json)")
    parser.add_argument("--list", action="store_true", help="print what would run, and exit")
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error("--interval must be positive")

    day = dt.date.today().isoformat()
    python = args.python or project_python()
    if args.command:
        names = [name for name, _ in args.command]
        if len(set(names)) != len(names):
            parser.error("each --command needs its own NAME")
        chosen = set(choose(parser, names, args.only, args.skip))
        planned = plan_commands([c for c in args.command if c[0] in chosen], python, quick=args.quick, day=day)
    else:
        known = available()
        chosen_names = choose(parser, list(known), args.only, args.skip)
        planned = plan_defaults([known[n] for n in chosen_names], python, quick=args.quick, day=day)
    if not planned:
        parser.error("no benchmark left to run")
    if args.list:
        for p in planned:
            print(f"{p.name}: {p.shown}")
        return 0

    started = dt.datetime.now(dt.UTC)
    records: list[dict[str, Any]] = []
    with LoadSampler(args.interval) as sampler:
        if (busy := sampler.samples[0][1]) > 0.5:
            console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")
        for p in planned:
            console.rule(f"[bold]{p.name}[/]: {p.shown}")
            at = dt.datetime.now(dt.UTC)
            try:
                outcome, loads = run_one(p, sampler)
            except KeyboardInterrupt:
                outcome, loads = Outcome(None, 0.0, True, ["interrupted"]), []
                records.append(_record(p, outcome, loads, at))
                break
            records.append(_record(p, outcome, loads, at))
    code = exit_code([r["status"] for r in records])
    result = {
        "date": day,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "commit": git_commit(),
        "machine": compare.machine(("onpace", "duckdb", "ibis-framework", "pyarrow", "sqlalchemy", "fastapi")),
        "load_interval_s": args.interval,
        "load_average_1min": load_summary([value for _, value in sampler.samples]),
        "exit_code": code,
        "exit_codes": {"0": "met (or not checked)", "1": MISSED, "2": DIFFER, "3": FAILED},
        "benchmarks": records,
    }
    output = args.output or RESULTS / f"bench-{day}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(summary_table(records))
    console.print(f"results written to {output}", markup=False, highlight=False)
    if len(records) < len(planned):
        console.print(f"[bold red]interrupted[/] after {len(records)} of {len(planned)} benchmarks")
        return 130
    # the last line names the code and its meaning: `make bench` exits 2 whatever it is
    console.print(f"exit code {code}: {result['exit_codes'][str(code)]}", markup=False, highlight=False)
    return code


def _record(planned: Planned, outcome: Outcome, loads: list[float], at: dt.datetime) -> dict[str, Any]:
    return {
        "name": planned.name,
        "command": planned.shown,
        "started_at": at.isoformat(timespec="seconds"),
        "exit_code": outcome.exit_code,
        "status": status(outcome, planned.checks_targets),
        "seconds": round(outcome.seconds, 3),
        "load_average_1min": {**load_summary(loads), "samples": loads},
        "output_tail": outcome.tail,
    }


if __name__ == "__main__":
    sys.exit(main())
