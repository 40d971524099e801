"""Load benchmark of the web app on loopback: the scorecard and the KPI pages under concurrent clients.

    python benchmarks/web.py                         # both scenarios, at their full size
    python benchmarks/web.py --only scorecard        # or: --only kpi
    python benchmarks/web.py --demo path/to/demo     # the KPI pages of a demo made by `onpace demo`
    python benchmarks/web.py --clients 20 --requests 100 --workers 2
    python benchmarks/web.py --no-check              # report only

**Scorecard.** The TPC-H example (``--scale``, 0.1) is generated into a temporary folder with
extra KPIs (the example's own, plus KPIs per region, market segment and nation) until the project
has ``--kpis`` (50) KPI instances; it is refreshed and a user is added. ``--clients`` (20) clients
each log in (their own session), then ask for the scorecard (``GET /``) ``--requests`` (50) times,
one request after the other; all clients run at once. Every answer must be a 200 with every KPI
card in it. Target: p95 under 100 ms with no error.

**KPI pages.** The demo company (``onpace demo``, made in a temporary folder unless ``--demo``
names one; about 30 s) and its demo login. ``--kpi-clients`` (5) clients ask for the KPI pages
(``GET /kpis/NAME``), each client rotating through every KPI from its own starting point,
``--requests`` times each. Every answer must be a 200 showing the KPI's chart. Before the timed
load, every client views every KPI page once: the first view after a start or a new evaluation
computes what the page keeps (drivers, past periods), in each worker process; those views are
reported (``first_views``) and not counted in the target. "What changed" (loaded by the page afterwards, in a
request of its own) is not part of the page's request and not measured. Target: p95 under 300 ms
with no error.

Each scenario runs `onpace serve`'s app (uvicorn, ``--workers`` processes, the scheduler off) in
its own process on a free loopback port; a warm-up round runs before the timed one. The load is
bounded in count and in time (``--timeout``) and only ever goes to 127.0.0.1. The load average
during each timed run is recorded with the figures: the machine's other work slows the server,
so compare runs made in the same conditions. Results are printed and written to
benchmarks/results/web-<date>.json; the exit code is 1 when a target is missed (unless --no-check).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import compare
import httpx
from common import HERE, RESULTS, LoadSampler, load_summary

from onpace.catalog.project import load_project
from onpace.examples import demo
from onpace.examples.tpch_data import generate
from onpace.kpi.instances import kpi_instances
from onpace.services import auth
from onpace.services.refresh import refresh
from onpace.store.db import Store

TARGET_P95_MS = {"scorecard": 100.0, "kpi": 300.0}
PASSWORD = "benchmark-password"
CARD = b'data-testid="kpi-card"'
CHART = b'data-testid="kpi-chart"'
T = TypeVar("T")
REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
SEGMENTS = ["AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY"]
Check = Callable[[bytes], str | None]  # what is wrong with a page's body (None: nothing)


def extra_kpis(count: int) -> str:
    """``count`` more KPIs: quarterly revenue and orders per region and market segment, and so on."""
    slices = [("region", r) for r in REGIONS] + [("market_segment", s) for s in SEGMENTS]
    metrics = [("revenue", 1.0e6), ("orders", 60.0), ("avg_order_value", 1.4e5), ("on_time_delivery_rate", 0.6)]
    lines = ["kpis:"]
    made = 0
    for metric, target in metrics:
        for dimension, value in slices:
            if made == count:
                break
            name = f"bench_{metric}_{value.lower().replace(' ', '_')}"
            lines += [
                f"  - name: {name}",
                f"    label: {metric.replace('_', ' ').capitalize()}, {value.title()}",
                f"    metric: {metric}",
                f"    segment: \"{dimension} = '{value}'\"",
                "    objective: grow_sales",
                "    owner: Benchmark",
                "    timeframe: quarter",
                "    review_cadence: monthly",
                f"    target: {{at_least: {target}}}",
            ]
            made += 1
    return "\n".join(lines) + "\n"


def prepare(folder: Path, scale: float, kpis: int) -> Path:
    root = generate(folder / "tpch", scale)
    have = len(kpi_instances(load_project(root)))
    (root / "models" / "bench.yml").write_text(extra_kpis(max(kpis - have, 0)), encoding="utf-8")
    project = load_project(root)
    assert len(kpi_instances(project)) == kpis, f"{len(kpi_instances(project))} KPIs, wanted {kpis}"
    store = Store.for_project(root).ensure_current()
    try:
        started = time.perf_counter()
        result = refresh(project, store, requested_by="benchmark")
        print(
            f"refreshed {result.evaluated} KPI evaluations in {time.perf_counter() - started:.1f} s ({result.status})"
        )
        auth.add_user(store, "bench", PASSWORD, "viewer", actor="benchmark")
    finally:
        store.close()
    return root


def prepare_demo(folder: Path) -> Path:
    """The demo company in ``folder`` (its data, a refresh, notes and the demo login), as `onpace demo` makes it."""
    started = time.perf_counter()
    result = demo.prepare(folder / "demo")
    print(f"made the demo in {time.perf_counter() - started:.1f} s ({result.refresh.evaluated} KPI evaluations)")
    return result.root


SERVER_PIDS: dict[str, int] = {}  # the server process of each base URL being served


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and every process under it (the
    uvicorn workers), from /proc; 0.0 where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, todo = {pid}, [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in tree:
                tree.add(child)
                todo.append(child)
    return sum(used.get(p, 0.0) for p in tree)


@contextmanager
def serving(root: Path, workers: int) -> Iterator[str]:
    """`onpace serve`'s app for ``root`` in its own process on a free loopback port: its base URL."""
    port = free_port()
    env = {**os.environ, "ONPACE_PROJECT": str(root), "ONPACE_SCHEDULER": "off"}
    env.pop("ONPACE_DATABASE_URL", None)
    command = [sys.executable, "-m", "uvicorn", "onpace.server:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        SERVER_PIDS[base] = server.pid
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        server.terminate()
        server.wait(timeout=30)


def login(base: str, name: str, password: str) -> str:
    """A new session of ``name``: its cookie header."""
    answer = httpx.post(f"{base}/api/login", json={"name": name, "password": password}, timeout=30)
    answer.raise_for_status()
    return "; ".join(f"{key}={value}" for key, value in answer.cookies.items())


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """One GET on a kept-alive connection: the status and the body (the server sends Content-Length)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


@dataclass(frozen=True)
class Load:
    """What the clients ask for: each client rotates through ``paths`` from its own starting point."""

    base: str
    cookies: Sequence[str]
    paths: Sequence[str]
    requests: int  # per client
    check: Check
    stride: int = 0  # how far apart the clients start in ``paths``


async def client_run(load: Load, client: int, deadline: float) -> tuple[list[float], list[str]]:
    """One client with its own session: ``load.requests`` pages one after the other.

    A minimal HTTP/1.1 client on one kept-alive connection (like wrk): the load generator shares
    the machine's cores with the server, so it should cost as little of them as it can.
    """
    latencies: list[float] = []
    errors: list[str] = []
    host, port = load.base.removeprefix("http://").split(":")
    cookie = load.cookies[client]
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for i in range(load.requests):
            if time.monotonic() > deadline:
                errors.append("stopped at the time limit")
                break
            path = load.paths[(client * load.stride + i) % len(load.paths)]
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
            started = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(fetch(reader, writer, request), timeout=30)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
                errors.append(type(exc).__name__)
                break
            latencies.append((time.perf_counter() - started) * 1000)
            problem = f"{path}: status {status}" if status != 200 else load.check(body)
            if problem:
                errors.append(problem)
    finally:
        writer.close()
    return latencies, errors


async def run_load(load: Load, timeout: float) -> tuple[list[float], list[str], float]:
    """Every client at once; only the requests are timed (the clients logged in before)."""
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    results = await asyncio.gather(*(client_run(load, c, deadline) for c in range(len(load.cookies))))
    elapsed = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    errors = [e for _, errs in results for e in errs]
    return latencies, errors, elapsed


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run the load on uvloop where it is installed: the generator shares the cores with the server."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(coro)
    return uvloop.run(coro)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def figures(latencies: list[float], errors: list[str], elapsed: float) -> dict[str, Any]:
    def ms(value: float) -> float:
        return round(value, 1)

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "p50_ms": ms(statistics.median(latencies)) if latencies else None,
        "p95_ms": ms(percentile(latencies, 0.95)) if latencies else None,
        "p99_ms": ms(percentile(latencies, 0.99)) if latencies else None,
        "max_ms": ms(max(latencies)) if latencies else None,
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else None,
    }


def timed(load: Load, timeout: float, sampler: LoadSampler) -> dict[str, Any]:
    """A warm-up round (a few requests per client), then the timed one, with the load average while it
    ran and the server's CPU time per request (its processes' user + system time over the timed round:
    what the machine's other load moves least)."""
    _, warm_errors, _ = run(run_load(replace(load, requests=min(3, load.requests)), timeout))
    begin = sampler.sample()
    pid = SERVER_PIDS.get(load.base)
    cpu_before = process_tree_cpu(pid) if pid else 0.0
    found = figures(*run(run_load(load, timeout)))
    cpu = process_tree_cpu(pid) - cpu_before if pid else 0.0
    found["server_cpu_ms_per_request"] = round(1000 * cpu / found["requests"], 2) if cpu and found["requests"] else None
    found["load_average"] = load_summary(sampler.between(begin, sampler.sample()))
    found["warmup_errors"] = len(warm_errors)
    return found


def scorecard(args: argparse.Namespace, folder: Path, sampler: LoadSampler) -> dict[str, Any]:
    root = prepare(folder, args.scale, args.kpis)

    def every_card(body: bytes) -> str | None:
        shown = body.count(CARD)
        return None if shown == args.kpis else f"{shown} cards instead of {args.kpis}"

    with serving(root, args.workers) as base:
        cookies = [login(base, "bench", PASSWORD) for _ in range(args.clients)]
        return timed(Load(base, cookies, ["/"], args.requests, every_card), args.timeout, sampler)


def kpi_pages(args: argparse.Namespace, folder: Path, sampler: LoadSampler) -> dict[str, Any]:
    root = Path(args.demo) if args.demo else prepare_demo(folder)
    names = sorted({i.kpi.name for i in kpi_instances(load_project(root))})
    paths = [f"/kpis/{name}" for name in names]

    def shows_the_chart(body: bytes) -> str | None:
        return None if CHART in body else "no chart on the page"

    with serving(root, args.workers) as base:
        cookies = [login(base, demo.DEMO_USER, demo.DEMO_PASSWORD) for _ in range(args.kpi_clients)]
        stride = max(1, len(paths) // args.kpi_clients)
        # every client views every page once: each worker process keeps its own pages
        first = figures(*run(run_load(Load(base, cookies, paths, len(paths), shows_the_chart, stride), args.timeout)))
        found = timed(Load(base, cookies, paths, args.requests, shows_the_chart, stride), args.timeout, sampler)
    found["kpis"] = len(paths)
    found["first_views"] = {k: first[k] for k in ("requests", "errors", "p50_ms", "p95_ms", "max_ms")}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(TARGET_P95_MS), help="one scenario (default: both)")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20, help="scorecard clients")
    parser.add_argument("--kpi-clients", type=int, default=5, help="KPI page clients")
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--demo", help="an existing demo folder (`onpace demo DIR --no-serve`) for the KPI pages")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each load may take")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()

    clients = {"scorecard": args.clients, "kpi": args.kpi_clients}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="onpace-web-") as folder, LoadSampler() as sampler:
        for name, scenario in (("scorecard", scorecard), ("kpi", kpi_pages)):
            if args.only in (None, name):
                results[name] = scenario(args, Path(folder), sampler)

    record = {
        "date": dt.date.today().isoformat(),
        "args": vars(args),
        "machine": compare.machine(["fastapi", "uvicorn", "starlette", "jinja2", "sqlalchemy"]),
        "targets_p95_ms": {name: TARGET_P95_MS[name] for name in results},
        "scenarios": results,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"web-{record['date']}.json"
    out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"results written to {out.relative_to(HERE.parent)}")
    ok = True
    for name, found in results.items():
        met = found["errors"] == 0 and found["p95_ms"] is not None and found["p95_ms"] < TARGET_P95_MS[name]
        ok = ok and met
        target = f"p95 < {TARGET_P95_MS[name]:.0f} ms with no error at {clients[name]} clients"
        cpu = found.get("server_cpu_ms_per_request")
        print(
            f"{name}: {target}: {'met' if met else 'MISSED'} (p95 {found['p95_ms']} ms, server CPU {cpu} ms a request)"
        )
    return 0 if ok or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
