"""benchmarks/all.py, the runner behind `make bench`, with stand-in benchmarks.

The stand-ins are one-line Python commands with a known exit code (0 met, 1 missed, 2 numbers
differ, a traceback for a crash), so the runner's exit code, statuses and results file can be
checked against what each of them is known to do. Nothing is timed.
"""

from __future__ import annotations

import json
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "benchmarks" / "all.py"


def exits(code: int, marker: str = "") -> str:
    """A stand-in benchmark: prints ``marker`` and exits with ``code``."""
    return "python -c " + shlex.quote(f"import sys; print({marker!r}); sys.exit({code})")


def run_all(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    output = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(RUNNER), "--interval", "0.1", "--output", str(output), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    record: dict[str, Any] = json.loads(output.read_text(encoding="utf-8")) if output.is_file() else {}
    return done.returncode, done.stdout + done.stderr, record


def by_name(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["name"]: b for b in record["benchmarks"]}


def test_a_missed_target_makes_the_run_fail_and_every_benchmark_is_recorded(tmp_path: Path) -> None:
    code, output, record = run_all(
        tmp_path, "--command", f"fast={exits(0, 'fast-output-line')}", "--command", f"slow={exits(1)}"
    )
    assert code == 1
    assert "fast-output-line" in output  # the benchmark's own output is shown
    assert [b["name"] for b in record["benchmarks"]] == ["fast", "slow"]
    fast, slow = by_name(record)["fast"], by_name(record)["slow"]
    assert (fast["exit_code"], fast["status"]) == (0, "met")
    assert (slow["exit_code"], slow["status"]) == (1, "missed")
    assert fast["output_tail"] == ["fast-output-line"]
    assert record["exit_code"] == 1


def test_the_results_record_the_load_average_sampled_during_each_benchmark(tmp_path: Path) -> None:
    slept = "python -c 'import time; time.sleep(0.5)'"
    _, _, record = run_all(tmp_path, "--command", f"sleeper={slept}", "--command", f"quick={exits(0)}")
    overall: list[float] = []
    for bench in record["benchmarks"]:
        load = bench["load_average_1min"]
        samples = load["samples"]
        assert len(samples) >= 2  # one as it starts and one as it ends, at least
        assert all(isinstance(v, float) and v >= 0 for v in samples)
        assert load["min"] == min(samples)
        assert load["max"] == max(samples)
        assert load["median"] == statistics.median(samples)
        overall += samples
    assert record["load_average_1min"]["min"] <= min(overall)
    assert record["load_average_1min"]["max"] >= max(overall)
    assert record["machine"]["cpus"] >= 1


def test_numbers_that_differ_outrank_a_missed_target(tmp_path: Path) -> None:
    code, _, record = run_all(
        tmp_path,
        "--command",
        f"missed={exits(1)}",
        "--command",
        f"wrong={exits(2)}",
        "--command",
        f"fine={exits(0)}",
    )
    assert code == 2
    assert {b["name"]: b["status"] for b in record["benchmarks"]} == {
        "missed": "missed",
        "wrong": "numbers differ",
        "fine": "met",
    }


def test_a_crash_is_a_failure_not_a_missed_target(tmp_path: Path) -> None:
    crash = "python -c " + shlex.quote("raise RuntimeError('boom')")
    code, _, record = run_all(tmp_path, "--command", f"crash={crash}", "--command", f"missed={exits(1)}")
    assert code == 3
    crashed = by_name(record)["crash"]
    assert crashed["exit_code"] == 1  # what Python exits with on an uncaught exception
    assert crashed["status"] == "failed"
    assert crashed["output_tail"][-1] == "RuntimeError: boom"


def test_refused_arguments_are_a_failure_not_numbers_that_differ(tmp_path: Path) -> None:
    script = tmp_path / "strict.py"
    script.write_text("import argparse\nargparse.ArgumentParser().parse_args()\n", encoding="utf-8")
    code, _, record = run_all(tmp_path, "--command", f"strict=python {script} --unknown")
    bench = by_name(record)["strict"]
    assert bench["exit_code"] == 2  # argparse's own exit code
    assert bench["status"] == "failed"
    assert code == 3


def test_only_and_skip_choose_the_benchmarks(tmp_path: Path) -> None:
    commands = [arg for name in ("a", "b", "c") for arg in ("--command", f"{name}={exits(0)}")]
    code, _, record = run_all(tmp_path, *commands, "--only", "a", "c", "--skip", "c")
    assert code == 0
    assert [b["name"] for b in record["benchmarks"]] == ["a"]


def test_an_unknown_benchmark_name_is_refused(tmp_path: Path) -> None:
    code, output, record = run_all(tmp_path, "--command", f"a={exits(0)}", "--only", "b")
    assert code == 3  # a failure to run, not argparse's 2 ("numbers differ")
    assert "no benchmark named b" in output
    assert record == {}


def test_quick_passes_a_scripts_own_quick_flag(tmp_path: Path) -> None:
    script = tmp_path / "sized.py"
    script.write_text(
        "import argparse, sys\n"
        "parser = argparse.ArgumentParser()\n"
        'parser.add_argument("--quick", action="store_true")\n'
        "sys.exit(0 if parser.parse_args().quick else 1)\n",
        encoding="utf-8",
    )
    code, _, record = run_all(tmp_path, "--command", f"sized=python {script}")
    assert (code, by_name(record)["sized"]["status"]) == (1, "missed")
    code, _, record = run_all(tmp_path, "--quick", "--command", f"sized=python {script}")
    assert (code, by_name(record)["sized"]["status"]) == (0, "met")
    assert record["quick"] is True


def listed(*args: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, str(RUNNER), "--list", *args], capture_output=True, text=True, check=True, timeout=60
    )
    return {
        name: shlex.split(command) for name, _, command in (line.partition(": ") for line in done.stdout.splitlines())
    }


def test_the_default_list_runs_every_benchmark_script() -> None:
    plan = listed()
    assert plan["engine"] == ["python", "benchmarks/engine.py"]
    assert plan["refresh"] == ["python", "benchmarks/refresh.py"]
    assert plan["refresh-warm"] == ["python", "benchmarks/refresh.py", "--warm"]
    assert plan["web"] == ["python", "benchmarks/web.py"]
    for name in ("cli", "evaluate", "install", "shared", "shapes"):  # listed when their scripts exist
        assert (name in plan) == (ROOT / "benchmarks" / f"{name}.py").is_file()


def test_quick_sizes_are_options_each_script_declares_and_skip_the_targets() -> None:
    for name, command in listed("--quick").items():
        script = ROOT / command[1]
        source = script.read_text(encoding="utf-8")
        options = [word for word in command[2:] if word.startswith("--")]
        undeclared = [option for option in options if f'"{option}"' not in source]
        assert not undeclared, f"{name}: {script.name} has no {undeclared}"
        if '"--quick"' not in source and '"--no-check"' in source:
            assert "--no-check" in options, f"{name}: a quick size must not be judged against the full targets"
        if '"--output"' in source:  # a quick run must not overwrite the day's full results
            assert command[command.index("--output") + 1].endswith("-quick.json")


@pytest.mark.parametrize("args", [("--interval", "0"), ("--no-such-option",)], ids=["value", "option"])
def test_arguments_the_runner_refuses_exit_3_not_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    """argparse's own exit code (2) would read "numbers differ": refused arguments are a failure to run."""
    code, output, record = run_all(tmp_path, *args)
    assert code == 3, output
    assert "error:" in output and record == {}


def test_the_last_line_names_the_exit_code_and_its_meaning(tmp_path: Path) -> None:
    """`make bench` exits 2 whatever the runner's code: the runner's last line says which it was."""
    code, output, _ = run_all(tmp_path, "--command", f"wrong={exits(2)}", "--command", f"slow={exits(1)}")
    assert code == 2
    assert output.rstrip().splitlines()[-1] == "exit code 2: numbers differ"
