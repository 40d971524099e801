"""Load benchmark of the web app: the scorecard page under concurrent clients, on loopback.

    python benchmarks/web.py                         # scale 0.1, 50 KPIs, 20 clients x 50 requests
    python benchmarks/web.py --clients 20 --requests 100 --workers 2
    python benchmarks/web.py --no-check              # report only

The TPC-H example is generated into a temporary folder with extra KPIs (the example's own, plus
KPIs per region, market segment and nation) until the project has ``--kpis`` KPI instances; it is
refreshed, a user is added, and `onpace serve` runs in its own process on a free loopback port.
Each client logs in (its own session), then asks for the scorecard (`GET /`) ``--requests`` times,
one request after the other; all clients run at once. Every answer must be a 200 with every KPI
card in it: anything else counts as an error. The load is bounded in count and in time
(``--timeout``), and only ever goes to 127.0.0.1.

Target (exit code 1 when missed, unless --no-check): p95 latency under 150 ms with no error at
20 concurrent clients. Results are printed and written to benchmarks/results/web-<date>.json.
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
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import compare
import httpx

from onpace.catalog.project import load_project
from onpace.examples.tpch_data import generate
from onpace.kpi.instances import kpi_instances
from onpace.services import auth
from onpace.services.refresh import refresh
from onpace.store.db import Store

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET_P95_MS = 150.0
PASSWORD = "benchmark-password"
CARD = b'data-testid="kpi-card"'
T = TypeVar("T")
REGIONS = ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
SEGMENTS = ["AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY"]


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def login(base: str) -> str:
    """A new session of the benchmark user: its cookie header."""
    answer = httpx.post(f"{base}/api/login", json={"name": "bench", "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return "; ".join(f"{name}={value}" for name, value in answer.cookies.items())


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


async def client_run(
    base: str, cookie: str, requests: int, deadline: float, cards: int
) -> tuple[list[float], list[str]]:
    """One client with its own session: ``requests`` scorecard pages one after the other.

    A minimal HTTP/1.1 client on one kept-alive connection (like wrk): the load generator shares
    the machine's cores with the server, so it should cost as little of them as it can.
    """
    latencies: list[float] = []
    errors: list[str] = []
    host, port = base.removeprefix("http://").split(":")
    request = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for _ in range(requests):
            if time.monotonic() > deadline:
                errors.append("stopped at the time limit")
                break
            started = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(fetch(reader, writer, request), timeout=30)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
                errors.append(type(exc).__name__)
                break
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(f"status {status}")
            elif (shown := body.count(CARD)) != cards:
                errors.append(f"{shown} cards instead of {cards}")
    finally:
        writer.close()
    return latencies, errors


async def load(
    base: str, clients: int, requests: int, timeout: float, cards: int
) -> tuple[list[float], list[str], float]:
    """Every client logs in first; then all of them ask at once, and only that part is timed."""
    cookies = [login(base) for _ in range(clients)]
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    results = await asyncio.gather(*(client_run(base, c, requests, deadline, cards) for c in cookies))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--timeout", type=float, default=300, help="seconds the whole load may take")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="onpace-web-") as folder:
        root = prepare(Path(folder), args.scale, args.kpis)
        port = free_port()
        env = {**os.environ, "ONPACE_PROJECT": str(root)}
        env.pop("ONPACE_DATABASE_URL", None)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "onpace.server:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
        )
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
            _, warm_errors, _ = run(load(base, args.clients, 3, args.timeout, args.kpis))  # warm-up
            latencies, errors, elapsed = run(load(base, args.clients, args.requests, args.timeout, args.kpis))
        finally:
            server.terminate()
            server.wait(timeout=30)

    figures = {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "throughput_rps": round(len(latencies) / elapsed, 1) if elapsed else None,
        "warmup_errors": len(warm_errors),
    }
    record = {
        "date": dt.date.today().isoformat(),
        "args": vars(args),
        "machine": compare.machine(["fastapi", "uvicorn", "starlette", "jinja2", "sqlalchemy"]),
        "load_average": os.getloadavg(),
        "figures": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"web-{record['date']}.json"
    out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))
    print(f"results written to {out.relative_to(HERE.parent)}")
    ok = figures["errors"] == 0 and figures["p95_ms"] is not None and figures["p95_ms"] < TARGET_P95_MS
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms with no error at {args.clients} clients: {'met' if ok else 'MISSED'}")
    return 0 if ok or args.no_check else 1


if __name__ == "__main__":
    sys.exit(main())
