"""From a fresh clone to the demo's scorecard: how long `make demo` takes, install included.

    python benchmarks/install.py                  # the committed HEAD, as a new user clones it
    python benchmarks/install.py --worktree       # the working tree, uncommitted changes included
    python benchmarks/install.py --cold-cache     # with pip's and uv's download caches turned off
    python benchmarks/install.py --installer pip  # the pip fallback instead of uv (ADR 0017)
    python benchmarks/install.py --no-check       # report only

The repository this script lives in is cloned (``git clone``; with ``--worktree`` its tracked and
untracked, not ignored, files are copied instead) into a temporary folder, where ``make demo
DEMO_PORT=<free port>`` runs in its own process group. Its progress lines ("[1/4] system
packages … done (3 s)") are timed as they arrive. Meanwhile the benchmark polls the server on
127.0.0.1: once ``/api/health`` answers, it logs in as the demo user (``POST /api/login``, as
docs/web.md says) and asks for the scorecard (``GET /``); the clock stops at the first answer
that is a 200 with KPI cards in it. Then the server is stopped and the folder deleted.

The machine's own state counts and is recorded: the system packages already installed (those
the demo's install would add are listed), and the installers' download caches (their size
before the run; a warm cache saves the downloads). ``--cold-cache`` sets PIP_NO_CACHE_DIR=1
and UV_NO_CACHE=1, so every package is downloaded again.

Target (exit code 1 when missed, unless --no-check): the scorecard served within 120 s of
``make demo``'s start. Results are printed and written to benchmarks/results/install-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO, Any

import compare
from common import HERE, RESULTS, LoadSampler, load_summary
from rich.console import Console
from rich.table import Table

TARGET_S = 120.0
DEMO_USER = {"name": "demo", "password": "onpace-demo"}
CARD = b'data-testid="kpi-card"'
STEP_LINE = re.compile(r"^\[(\d+)/(\d+)\] (.*?)(?: … (done|failed) \((\d+) s\))?$")
console = Console(width=max(100, shutil.get_terminal_size().columns))


def repo_root() -> Path:
    out = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_worktree(root: Path, dest: Path) -> None:
    """The tracked files and the untracked ones git does not ignore, as they are on disk."""
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout
    for name in sorted({n for n in listed.decode().split("\0") if n}):
        source = root / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def folder_mb(path: Path) -> float | None:
    if not path.is_dir():
        return None
    total = sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return round(total / 2**20, 1)


def cache_state() -> dict[str, Any]:
    """Where pip and uv keep their downloads, and how much they hold before the run."""
    home = Path.home()
    pip_dir = Path(os.environ.get("PIP_CACHE_DIR") or home / ".cache" / "pip")
    uv_dir = Path(os.environ.get("UV_CACHE_DIR") or home / ".cache" / "uv")
    state: dict[str, Any] = {}
    for name, path in (("pip", pip_dir), ("uv", uv_dir)):
        size = folder_mb(path)
        state[name] = {"mb": size, "warm": bool(size)}
    return state


def missing_system_packages(root: Path) -> list[str]:
    """The Debian packages the demo's install would add on this machine (none when all are there)."""
    out = subprocess.run(
        ["bash", str(root / "scripts" / "system-deps.sh"), "--dry-run", "demo"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": shutil.which("python3") or "python3"},
    )
    return out.stdout.split() if out.returncode == 0 else [f"unknown: {out.stderr.strip()[-200:]}"]


class Lines:
    """Reads the output of `make demo` in a thread: every line, with its time since the start."""

    def __init__(self, stream: IO[str], start: float, log: Path) -> None:
        self.start = start
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream, log), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str], log: Path) -> None:
        with log.open("w", encoding="utf-8") as out:
            for line in stream:
                self.lines.append((time.perf_counter() - self.start, line.rstrip("\n")))
                out.write(line)
                out.flush()

    def join(self) -> None:
        self._thread.join(timeout=10)

    def steps(self) -> list[dict[str, Any]]:
        """The progress lines: each step's own figure, and when it ended from the start of `make demo`."""
        found: list[dict[str, Any]] = []
        for at, line in self.lines:
            match = STEP_LINE.match(line.strip())
            if match:
                number, total, label, state, seconds = match.groups()
                found.append(
                    {
                        "step": f"{number}/{total}",
                        "label": label,
                        "state": state or "started",
                        "seconds": int(seconds) if seconds else None,
                        "ended_at_s": round(at, 1),
                    }
                )
        return found

    def first(self, pattern: str) -> float | None:
        return next((round(at, 1) for at, line in self.lines if re.search(pattern, line)), None)


def scorecard(base: str) -> tuple[int, int] | None:
    """Log in as the demo user and GET the scorecard: (status, KPI cards), or None while the server is not up."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    try:
        with opener.open(f"{base}/api/health", timeout=5) as answer:
            if answer.status != 200:
                return None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
    request = urllib.request.Request(
        f"{base}/api/login",
        data=json.dumps(DEMO_USER).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=30) as answer:
            answer.read()
        with opener.open(f"{base}/", timeout=30) as answer:
            return answer.status, answer.read().count(CARD)
    except urllib.error.HTTPError as error:
        return error.code, 0


def stop(process: subprocess.Popen[str]) -> None:
    """End `make demo` and the server it started: the process group this benchmark made for them."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def run(root: Path, *, worktree: bool, cold: bool, installer: str, timeout: float, keep: bool) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="onpace-install-"))
    clone = folder / "onpace"
    result: dict[str, Any] = {"source": "working tree" if worktree else "git clone of HEAD"}
    try:
        began = time.perf_counter()
        if worktree:
            copy_worktree(root, clone)
        else:
            subprocess.run(["git", "clone", "--quiet", str(root), str(clone)], check=True)
        result["clone_s"] = round(time.perf_counter() - began, 2)
        result["commit"] = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()

        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL")}
        if cold:
            env |= {"PIP_NO_CACHE_DIR": "1", "UV_NO_CACHE": "1"}
        command = ["make", "demo", f"DEMO_PORT={port}", f"INSTALLER={installer}"]
        result["command"] = " ".join(command)
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        lines = Lines(process.stdout, start, folder / "make-demo.log")
        served: tuple[int, int] | None = None
        try:
            while time.perf_counter() - start < timeout and process.poll() is None:
                answer = scorecard(f"http://127.0.0.1:{port}")
                if answer is not None and answer[0] == 200 and answer[1] > 0:
                    served = answer
                    break
                time.sleep(0.5)
            total = time.perf_counter() - start
        finally:
            stop(process)
            lines.join()
        result["steps"] = lines.steps()
        result["demo_ready_at_s"] = lines.first(r"^Ready in ")
        result["scorecard_s"] = round(total, 1) if served else None
        result["kpi_cards"] = served[1] if served else 0
        result["venv_mb"] = folder_mb(clone / ".venv")
        result["installed_with"] = "uv" if (clone / ".venv" / "bin" / "uv").exists() else "pip"
        if not served:
            tail = [line for _, line in lines.lines[-30:]]
            result["failure"] = "make demo ended early" if process.returncode not in (None, -15) else "timed out"
            result["output_tail"] = tail
    finally:
        if keep:
            console.print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return result


def report(results: dict[str, Any]) -> None:
    r = results["result"]
    table = Table(title=f"make demo from a fresh clone ({r['source']}, {results['installer']})")
    table.add_column("step")
    table.add_column("its time", justify="right")
    table.add_column("at (from make demo)", justify="right")
    table.add_row("git clone" if r["source"] != "working tree" else "copy", f"{r['clone_s']:.1f} s", "")
    for step in r["steps"]:
        own = f"{step['seconds']} s" if step["seconds"] is not None else ""
        state = "" if step["state"] == "done" else f" ({step['state']})"
        table.add_row(f"[{step['step']}] {step['label']}{state}", own, f"{step['ended_at_s']:.1f} s")
    if r["demo_ready_at_s"] is not None:
        table.add_row("onpace demo: Ready", "", f"{r['demo_ready_at_s']:.1f} s")
    served = f"{r['scorecard_s']:.1f} s" if r["scorecard_s"] is not None else "not served"
    table.add_row(f"scorecard served (200, {r['kpi_cards']} KPI cards)", "", served)
    console.print(table)
    caches = results["caches"]
    console.print(
        f"caches before the run: pip {caches['pip']['mb']} MB, uv {caches['uv']['mb']} MB"
        + (" (turned off: --cold-cache)" if results["cold_cache"] else " (warm: downloads come from the cache)")
    )
    missing = results["system_packages_missing_before"]
    console.print(f"system packages the demo's install would add: {', '.join(missing) or 'none (all present)'}")
    load = results["load_average"]
    console.print(
        f".venv: {r['venv_mb']} MB, installed with {r['installed_with']}; "
        f"load average during the run {load['min']} to {load['max']} (median {load['median']})"
    )
    for line in r.get("output_tail", []):
        console.print(f"  {line}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--worktree", action="store_true", help="copy the working tree instead of cloning HEAD")
    parser.add_argument("--cold-cache", action="store_true", help="PIP_NO_CACHE_DIR=1 and UV_NO_CACHE=1")
    parser.add_argument("--installer", choices=("auto", "uv", "pip"), default="auto", help="make's INSTALLER")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up on the scorecard")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its make-demo.log)")
    parser.add_argument("--no-check", action="store_true", help="report only: exit 0 even when the target is missed")
    parser.add_argument("--output", type=Path, default=None, help="results JSON (default: results/install-<date>.json)")
    args = parser.parse_args(argv)

    root = repo_root()
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": compare.machine(("pip", "uv")),
        "installer": args.installer,
        "cold_cache": args.cold_cache,
        "caches": cache_state(),
        "system_packages_missing_before": missing_system_packages(root),
    }
    with LoadSampler(interval=2.0) as sampler:
        busy = sampler.samples[0][1]
        if busy > 0.5:
            console.print(f"[yellow]the machine is busy (load average {busy:.1f}): timings will be noisy[/]")
        results["result"] = run(
            root,
            worktree=args.worktree,
            cold=args.cold_cache,
            installer=args.installer,
            timeout=args.timeout,
            keep=args.keep,
        )
    results["load_average"] = load_summary([value for _, value in sampler.samples])
    seconds = results["result"]["scorecard_s"]
    missed = (
        []
        if seconds is not None and seconds <= TARGET_S
        else [f"scorecard served after {seconds} s, target <= {TARGET_S:g} s" if seconds else "scorecard never served"]
    )
    results["target"] = f"make demo to the scorecard <= {TARGET_S:g} s"
    results["missed"] = missed
    suffix = ("-cold" if args.cold_cache else "") + (f"-{args.installer}" if args.installer != "auto" else "")
    output = args.output or RESULTS / f"install{suffix}-{results['date']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    report(results)
    console.print(f"results written to {output}")
    for sentence in missed:
        console.print(f"[bold red]target missed[/]: {sentence}")
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
