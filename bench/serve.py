"""Whole-NEXO serving benchmark: the demo dashboard query over HTTP against `nexo serve
--workers 1` and `--workers 2` on one seeded data directory, and what a large response
costs a worker in memory.

    .venv/bin/python bench/serve.py [--seconds 20] [--concurrency 16] [--rounds 1]

Seeds a fresh data directory once (`nexo serve --demo`, about a minute), then for each
round starts `nexo serve --workers 1` and `--workers 2` in turn on it and drives the
dashboard query (the headline query of DESIGN.md section 4 at dashboard sizes: about
2,300 objects, 100 kB of JSON, near the
router's cost limit of 5,000) at a fixed concurrency over keep-alive connections.
Prints requests/s, p50/p99 and the ratio, how the requests spread over the workers
(`nexo_process_http_requests`), and per worker the resident memory before and after
the large queries and its peak while one of them is served (VmHWM after resetting it
through /proc/PID/clear_refs), for the dashboard query and for the largest page the
limits allow (100 sales orders with their lines, products and stock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent

DASHBOARD = """
query Dashboard {
  customers(first: 40) { edges { node {
    name
    orders(first: 5) { edges { node { number status total { amount currency }
      lines { quantity unitPrice total { amount currency }
        product { sku name stock { available onHand } } } } } } } } }
  productionOrders(filter: {status: IN_PROGRESS}, first: 20) { edges { node {
    number quantity product { name }
    components { quantity product { sku stock { available } } } } } }
}
"""

LARGEST_PAGE = """
query LargestPage {
  salesOrders(first: 100) { edges { node { number status total { amount currency }
    lines { quantity product { sku name stock { available onHand reserved } } } } } }
}
"""


LOGIN = "mutation($i: LoginInput!) { login(input: $i) { accessToken errors { code } } }"
ADMIN = {"tenant": "acme", "email": "admin@acme.example", "password": "demo-admin-pass"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def objects(value: Any) -> int:
    """Objects in a GraphQL response (every JSON object below `data`)."""
    if isinstance(value, dict):
        return 1 + sum(objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(objects(v) for v in value)
    return 0


@contextmanager
def nexo_serve(data_dir: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    # The per-user rate limit (600 a minute) would refuse the load this makes.
    env |= {"NEXO_DATA_DIR": str(data_dir), "NEXO_RATE_LIMIT": "off"}
    log = (data_dir.parent / "serve.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "nexo", "serve", "--port", str(port), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if process.poll() is not None:
                raise SystemExit(f"nexo serve exited {process.returncode}: see {log.name}")
            try:
                if httpx.get(f"{base}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("nexo serve not ready after 10 minutes")
            time.sleep(0.5)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        log.close()


def login(base: str) -> str:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": LOGIN, "variables": {"i": ADMIN}},
        timeout=60,
    )
    token = response.json()["data"]["login"]["accessToken"]
    assert token, response.text
    return str(token)


def post(client: httpx.Client, base: str, token: str, query: str) -> dict[str, Any]:
    response = client.post(
        f"{base}/graphql",
        json={"query": query},
        headers={"authorization": f"Bearer {token}"},
        timeout=120,
    )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"query failed: {response.status_code} {response.text[:2000]}")
    return body


async def load(base: str, tokens: list[str], seconds: float) -> tuple[float, float, float, int]:
    """requests/s, p50 ms, p99 ms and requests of the dashboard query, one user per token
    at a time. Each user has a session of their own, as real users do: identical
    subgraph fetches are shared only within one user's concurrent requests (the router
    keys in-flight sharing by credentials), so one token for all would let a single
    worker share fetches between users that two workers cannot."""
    latencies: list[float] = []
    concurrency = len(tokens)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        deadline = time.perf_counter() + seconds

        async def user(token: str) -> None:
            headers = {"authorization": f"Bearer {token}"}
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(
                    f"{base}/graphql", json={"query": DASHBOARD}, headers=headers
                )
                if response.status_code != 200 or b'"errors"' in response.content[:20]:
                    raise SystemExit(f"dashboard failed: {response.text[:2000]}")
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(user(t) for t in tokens))
        elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1e3, p99 * 1e3, len(latencies)


def per_worker(base: str) -> list[float]:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    found = re.findall(r"^nexo_process_http_requests(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.M)
    return sorted((float(v) for v in found), reverse=True)


def _status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024  # the kernel says kB
    return figures


def serving_pids(process: subprocess.Popen[bytes]) -> list[int]:
    workers = [
        p.pid
        for p in psutil.Process(process.pid).children()
        if "serve-worker" in " ".join(p.cmdline())
    ]
    return workers or [process.pid]


def memory(base: str, token: str, process: subprocess.Popen[bytes], query: str) -> str:
    """One worker's resident memory around the query: before, peak while one is served,
    after it, and after 30 more."""
    pids = serving_pids(process)
    with httpx.Client() as client:
        for _ in range(3):  # warm: plans cached, pools filled
            post(client, base, token, query)
        before = {pid: _status(pid)["VmRSS"] for pid in pids}
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        post(client, base, token, query)
        peak = {pid: _status(pid)["VmHWM"] for pid in pids}
        after_one = {pid: _status(pid)["VmRSS"] for pid in pids}
        for _ in range(30):
            body = post(client, base, token, query)
        after = {pid: _status(pid)["VmRSS"] for pid in pids}
    # The worker that served the measured request is the one whose peak rose.
    pid = max(pids, key=lambda p: peak[p] - before[p])
    size = len(httpx.Response(200, json=body).content)
    return (
        f"{objects(body['data'])} objects, {size / 1e3:.0f} kB: RSS {before[pid]:.1f} MiB"
        f" before, peak {peak[pid]:.1f} MiB ({peak[pid] - before[pid]:+.1f}) while one is"
        f" served, {after_one[pid]:.1f} MiB after it, {after[pid]:.1f} MiB after 30 more"
    )


def warm_up(base: str, token: str, workers: int) -> None:
    """Every worker's first dashboard queries (plans, loaders, pools) before measuring: a
    new connection each, until each worker has served some (the kernel picks which)."""
    for attempt in range(400):
        with httpx.Client() as client:
            post(client, base, token, DASHBOARD)
        if attempt % 4 == 3:
            spread = per_worker(base)
            if len(spread) >= workers and min(spread) >= 12:
                return


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:  # a PostgreSQL backend that ended meanwhile
            continue
        total += times.user + times.system
    return total


def postgres_pids(data_dir: Path) -> list[int]:
    """The embedded server's postmaster and its backends."""
    postmaster = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    return [postmaster, *(p.pid for p in psutil.Process(postmaster).children())]


def run_case(data_dir: Path, workers: int, seconds: float, concurrency: int) -> float:
    with nexo_serve(data_dir, "--workers", str(workers)) as (base, process):
        tokens = [login(base) for _ in range(concurrency)]
        token = tokens[0]
        warm_up(base, token, workers)
        # And at the measured concurrency: every worker's pool filled, its statements
        # prepared on each connection.
        asyncio.run(load(base, tokens, 5))
        nexo, postgres = serving_pids(process), postgres_pids(data_dir)
        cpu_before = cpu_seconds(nexo), cpu_seconds(postgres)
        rps, p50, p99, count = asyncio.run(load(base, tokens, seconds))
        # CPU per request does not depend on what else the machine runs: it says which
        # side a request's time goes to, and what two cores could serve at most.
        nexo_cpu = (cpu_seconds(nexo) - cpu_before[0]) / count * 1e3
        pg_cpu = (cpu_seconds(postgres_pids(data_dir)) - cpu_before[1]) / count * 1e3
        spread = per_worker(base)
        print(
            f"--workers {workers}: {rps:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
            f"  ({count} requests; per worker {[int(s) for s in spread]});"
            f" CPU per request: NEXO {nexo_cpu:.0f} ms, PostgreSQL {pg_cpu:.0f} ms;"
            f" load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for name, query in (("dashboard", DASHBOARD), ("largest page", LARGEST_PAGE)):
            print(f"    memory, {name}: {memory(base, token, process, query)}", flush=True)
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, help="a seeded data dir to reuse")
    args = parser.parse_args()
    if args.data_dir is None:
        # Not under /root: as root the embedded PostgreSQL runs as another user.
        root = Path(tempfile.mkdtemp(prefix="nexo-bench-serve-"))
        root.chmod(0o755)
        args.data_dir = root / "data"
        started = time.perf_counter()
        with (
            nexo_serve(args.data_dir, "--demo", "--workers", "1") as (base, _),
            httpx.Client() as client,
        ):
            body = post(client, base, login(base), DASHBOARD)
        size = len(httpx.Response(200, json=body).content)
        print(
            f"seeded {args.data_dir} in {time.perf_counter() - started:.0f} s; the dashboard"
            f" query answers {objects(body['data'])} objects ({size / 1e6:.2f} MB)",
            flush=True,
        )
    ratios = []
    for _ in range(args.rounds):
        one = run_case(args.data_dir, 1, args.seconds, args.concurrency)
        two = run_case(args.data_dir, 2, args.seconds, args.concurrency)
        ratios.append(two / one)
        print(f"--workers 2 / --workers 1: {two / one:.2f}x", flush=True)
    if len(ratios) > 1:
        print(f"ratio over {len(ratios)} rounds: {', '.join(f'{r:.2f}x' for r in ratios)}")


if __name__ == "__main__":
    main()
