"""Router benchmark: our router against Hive Gateway over the same HTTP subgraphs.

    .venv/bin/python bench/router.py [--shape guild|simple|both] [--seconds 10]
        [--concurrency 32] [--rounds 5]

Shapes:
  guild   (default) the Guild's federation gateway benchmark: four subgraphs, two root
          lists, entity jumps three deep (User -> reviews -> product -> reviews ->
          author -> reviews -> product) and @requires at every product
          (tests/router/bench_testgraphs.py); about 10 subgraph fetches, 17 kB answer.
  simple  `topReviews { body author { name } product { name price stock } }` over the
          router tests' subgraphs, with the in-process cases: (a) the subgraphs called
          by hand in sequence, (b0)/(b) the router in-process without/with sharing.

For each shape, in alternating rounds (so a change in the machine's load hits all
alike): our router over HTTP with in-flight sharing of identical subgraph fetches on
and off, and Hive Gateway with its deduplication on and off (its `transportEntries`
`deduplicateInflightRequests: false`). Per case: requests/s, p50/p99 latency, the
gateway process's CPU time per request (user + system, from /proc, before and after
each round), subgraph requests per request, and throughput and p99 relative to Hive
in the same mode.

The subgraphs answer from a memo of their own responses (keyed by the request body,
computed by Strawberry the first time), behind a minimal HTTP/1.1 keep-alive server;
the load comes from a minimal keep-alive client (both in tests/router/bench_http.py).
Both cost tens of microseconds per request, so what is measured is the gateways, not
Strawberry or the load generator.
Needs node and `npm ci` in tests/router/oracle (the router tests run it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psutil
import uvicorn
from graphql import parse

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "router"
ORACLE = TESTS / "oracle"
sys.path[:0] = [str(ROOT), str(TESTS)]

import bench_testgraphs as bg  # noqa: E402
import router_testgraphs as tg  # noqa: E402
from bench_http import Client, Memo, ServerProtocol, fetch_once, raw_request  # noqa: E402
from router_harness import strawberry_executor, subgraph_sdl  # noqa: E402

from router.app import create_router_app, http_transports  # noqa: E402
from router.compose import compose  # noqa: E402
from router.gateway import Router  # noqa: E402
from router.limits import OperationLimits  # noqa: E402
from router.query_planner import build_plan, document_key  # noqa: E402
from router.supergraph import load_supergraph  # noqa: E402
from router.transport import InProcessTransport  # noqa: E402

QUERY = "{ topReviews { body author { name } product { name price stock: shippingEstimate } } }"
SUBGRAPHS = ("reviews", "accounts", "inventory", "products")
SHAPES: dict[str, tuple[str, dict[str, Any]]] = {
    "guild": (bg.QUERY, bg.SCHEMAS),
    "simple": (QUERY, tg.SCHEMAS),
}
# The guild query's estimated cost (lists assumed 20 long, four deep) is over the
# default limit of 5,000; a deployment serving it raises the limit, and so do we. The
# estimate is still made on every request, as in production.
LIMITS = OperationLimits(cost=10_000_000)
Op = Callable[[], Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def measure(
    ops: dict[str, Op], seconds: float, concurrency: int, rounds: int = 5
) -> dict[str, dict[str, float]]:
    """Cases compared with each other run in alternating rounds, so a change in the
    machine's background load hits them alike."""
    latencies: dict[str, list[float]] = {k: [] for k in ops}
    elapsed = dict.fromkeys(ops, 0.0)
    for op in ops.values():
        for _ in range(3):  # warm-up: connections, plan cache
            await op()
    for _ in range(rounds):
        for key, op in ops.items():
            deadline = time.perf_counter() + seconds / rounds

            async def worker(op: Op = op, key: str = key, deadline: float = deadline) -> None:
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    await op()
                    latencies[key].append(time.perf_counter() - started)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed[key] += time.perf_counter() - started
    return {key: summary(values, elapsed[key]) for key, values in latencies.items()}


def summary(values: list[float], elapsed: float) -> dict[str, float]:
    values.sort()
    return {
        "rps": len(values) / elapsed,
        "p50": statistics.median(values) * 1000,
        "p99": values[max(int(len(values) * 0.99) - 1, 0)] * 1000,
        "n": len(values),
    }


async def wait_http(url: str, child: subprocess.Popen[bytes]) -> None:
    for _ in range(1200):  # a loaded machine takes its time to import everything
        if child.poll() is not None:
            raise RuntimeError(f"{url}: the gateway exited with {child.returncode}")
        try:
            await fetch_once(url, orjson.dumps({"query": "{ __typename }"}))
            return
        except (ConnectionError, OSError):
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def by_hand() -> Op:
    """What a client would do without a router: the same fetches, merged by hand."""
    run = {n: strawberry_executor(tg.SCHEMAS[n]) for n in SUBGRAPHS}
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on %s { %s } } }"

    async def op() -> dict[str, Any]:
        top = await run["reviews"](
            {"query": "{ topReviews { body author { id } product { id name } } }"}, {}
        )
        reviews = top["data"]["topReviews"]
        users = sorted({r["author"]["id"] for r in reviews})
        products = sorted({r["product"]["id"] for r in reviews})
        reps_u = [{"__typename": "User", "id": u} for u in users]
        reps_p = [{"__typename": "Product", "id": p} for p in products]
        u, w = await asyncio.gather(
            run["accounts"]({"query": entities % ("User", "name"), "variables": {"r": reps_u}}, {}),
            run["products"](
                {"query": entities % ("Product", "weight"), "variables": {"r": reps_p}}, {}
            ),
        )
        weights = {p: e["weight"] for p, e in zip(products, w["data"]["_entities"], strict=True)}
        reps_i = [{"__typename": "Product", "id": p, "weight": weights[p]} for p in products]
        reps_price = [{"__typename": "Product", "id": p} for p in products]
        inv, price = await asyncio.gather(
            run["inventory"](
                {"query": entities % ("Product", "shippingEstimate"), "variables": {"r": reps_i}},
                {},
            ),
            run["inventory"](
                {"query": entities % ("Product", "price"), "variables": {"r": reps_price}}, {}
            ),
        )
        names = dict(zip(users, (e["name"] for e in u["data"]["_entities"]), strict=True))
        est = dict(zip(products, inv["data"]["_entities"], strict=True))
        prices = dict(zip(products, price["data"]["_entities"], strict=True))
        return {
            "topReviews": [
                {
                    "body": r["body"],
                    "author": {"name": names[r["author"]["id"]]},
                    "product": {
                        "name": r["product"]["name"],
                        "price": prices[r["product"]["id"]]["price"],
                        "stock": est[r["product"]["id"]]["shippingEstimate"],
                    },
                }
                for r in reviews
            ]
        }

    return op


def in_process(sdl: str, share: bool) -> Op:
    router = Router(
        load_supergraph(sdl),
        {n: InProcessTransport(strawberry_executor(s)) for n, s in tg.SCHEMAS.items()},
        deduplicate=share,
    )

    async def op() -> Any:
        result = await router.execute(QUERY)
        assert "errors" not in result.body, result.body
        return result.body

    return op


def serve_subgraphs(port_file: str) -> None:
    """Child process: every subgraph of every shape on its own port, from memos."""
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        memos: list[Memo] = []

        def counts() -> int:
            return sum(m.requests for m in memos)

        urls: dict[str, dict[str, str]] = {}
        for shape, (_, schemas) in SHAPES.items():
            urls[shape] = {}
            for name, schema in schemas.items():
                memo = Memo(schema)
                memos.append(memo)
                server = await loop.create_server(
                    partial(ServerProtocol, memo, counts), "127.0.0.1", 0
                )
                port = server.sockets[0].getsockname()[1]
                urls[shape][name] = f"http://127.0.0.1:{port}/graphql"
        write_text(port_file, json.dumps(urls))
        await asyncio.Event().wait()

    uvloop.run(main())


def write_text(path: str, text: str) -> None:
    Path(path).write_text(text)


def serve_router(supergraph_file: str, port: int, share: bool) -> None:
    from shared.logging import configure_logging

    configure_logging("INFO")  # as `nexo serve` does: JSON request lines, not the console's
    sdl = Path(supergraph_file).read_text()
    app = create_router_app(sdl, http_transports(load_supergraph(sdl)), limits=LIMITS)
    app.state.router.executor.deduplicate = share
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def guild_compose(services: list[dict[str, str]]) -> str:
    done = subprocess.run(
        ["node", "compose.mjs"],
        cwd=ORACLE,
        input=json.dumps(services),
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(done.stdout)["supergraphSdl"])


def spawn(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, **kw)


@dataclass
class Gateway:
    """A gateway process under load: its URL, its pid (for CPU time), and the figures."""

    url: str
    pid: int
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0
    fetches: int = 0


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def measure_http(
    gateways: dict[str, Gateway],
    query: str,
    count_url: str,
    seconds: float,
    concurrency: int,
    rounds: int,
) -> dict[str, dict[str, float]]:
    body = orjson.dumps({"query": query})
    answers = {}
    for key, gw in gateways.items():
        answers[key] = orjson.loads(await fetch_once(gw.url, body))
        assert "errors" not in answers[key], (key, answers[key])
    first = next(iter(answers.values()))
    assert all(a["data"] == first["data"] for a in answers.values()), "gateways disagree"
    conns: dict[str, list[Client]] = {}
    raws: dict[str, bytes] = {}
    for key, gw in gateways.items():
        host, port, raws[key] = raw_request(gw.url, body)
        conns[key] = [Client(host, port) for _ in range(concurrency)]
        for conn in conns[key]:  # warm-up: every connection, plan and document caches
            await conn.request(raws[key])
    count = int(await fetch_once(count_url, None))
    for round_ in range(rounds):
        print(f"round {round_ + 1}/{rounds}", file=sys.stderr)
        for key, gw in gateways.items():
            deadline = time.perf_counter() + seconds / rounds
            raw = raws[key]

            async def worker(
                conn: Client, gw: Gateway = gw, raw: bytes = raw, deadline: float = deadline
            ) -> None:
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    status, content = await conn.request(raw)
                    gw.latencies.append(time.perf_counter() - started)
                    assert status == 200, content[:500]
                    assert b'"errors"' not in content, content[:500]

            cpu = cpu_seconds(gw.pid)
            started = time.perf_counter()
            await asyncio.gather(*(worker(c) for c in conns[key]))
            gw.elapsed += time.perf_counter() - started
            gw.cpu += cpu_seconds(gw.pid) - cpu
            now = int(await fetch_once(count_url, None))
            gw.fetches += now - count
            count = now
    for pool in conns.values():
        for conn in pool:
            conn.close()
    out = {}
    for key, gw in gateways.items():
        out[key] = summary(gw.latencies, gw.elapsed)
        out[key]["cpu"] = gw.cpu / len(gw.latencies) * 1000
        out[key]["fetches"] = gw.fetches / len(gw.latencies)
    return out


def planning_times(sdl: str, query: str) -> tuple[float, float]:
    sg = load_supergraph(sdl)
    doc = parse(query)
    n = 50
    started = time.perf_counter()
    for _ in range(n):
        build_plan(sg, doc, None)
    cold = (time.perf_counter() - started) / n
    router = Router(sg, {})
    key = document_key(doc)
    router.plans.get(query, doc, None, key=key)
    started = time.perf_counter()
    for _ in range(n):  # as a request finds it: by the key its checked document has
        router.plans.peek(key, None)
    warm = (time.perf_counter() - started) / n
    return cold * 1e6, warm * 1e6


HTTP_LABELS = {
    "c": "(c) NEXO router over HTTP, sharing on",
    "d": "(d) Hive Gateway, deduplication on",
    "c0": "(c0) NEXO router over HTTP, sharing off",
    "d0": "(d0) Hive Gateway, deduplication off",
}
IN_PROCESS_LABELS = {
    "a": "(a) subgraphs by hand, in-process",
    "b0": "(b0) router in-process, no sharing",
    "b": "(b) router in-process",
}


async def run_shape(
    shape: str, urls: dict[str, str], count_url: str, tmp: Path, args: argparse.Namespace
) -> None:
    query, schemas = SHAPES[shape]
    services = [{"name": n, "url": urls[n], "sdl": subgraph_sdl(s)} for n, s in schemas.items()]
    ours = compose(services).supergraph_sdl
    results: dict[str, dict[str, float]] = {}
    if shape == "simple":
        cases = {"a": by_hand(), "b0": in_process(ours, False), "b": in_process(ours, True)}
        results.update(await measure(cases, args.seconds, args.concurrency, args.rounds))
    sg_file = tmp / f"{shape}.graphql"
    sg_file.write_text(ours)
    hive_file = tmp / f"{shape}-hive.graphql"
    hive_file.write_text(guild_compose(services))
    children, gateways = [], {}
    try:
        for key, flag in (("c", "share"), ("d", ""), ("c0", "no-share"), ("d0", "--no-dedup")):
            port = free_port()
            if key.startswith("c"):
                cmd = [sys.executable, __file__, "--serve-router", str(sg_file), str(port), flag]
                # Its request lines go to a file, as a deployment's go to its log.
                with (tmp / f"router-{shape}-{key}.log").open("wb") as log:
                    child = spawn(cmd, stderr=log)
            else:
                cmd = ["node", "gateway.mjs", str(hive_file), str(port), *([flag] if flag else [])]
                child = spawn(cmd, cwd=ORACLE)
            children.append(child)
            gateways[key] = Gateway(f"http://127.0.0.1:{port}/graphql", child.pid)
        for gw, child in zip(gateways.values(), children, strict=True):
            await wait_http(gw.url, child)
        load = os.getloadavg()
        print(f"shape {shape}: gateways up, measuring", file=sys.stderr)
        results.update(
            await measure_http(
                gateways, query, count_url, args.seconds, args.concurrency, args.rounds
            )
        )
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
    print(f"\n== shape {shape}: {' '.join(query.split())[:110]}...")
    print(
        f"concurrency {args.concurrency}, {args.seconds:g} s per case in {args.rounds}"
        f" alternating rounds, {os.cpu_count()} CPUs, load average before"
        f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    print(
        f"{'case':42} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10}"
        f" {'fetch/req':>9} {'vs Hive':>7} {'p99 vs Hive':>11}"
    )
    for key, label in {**IN_PROCESS_LABELS, **HTTP_LABELS}.items():
        if key not in results:
            continue
        r = results[key]
        hive = results["d0" if key in ("a", "b0", "c0", "d0") else "d"]
        cpu = f"{r['cpu']:10.2f}" if "cpu" in r else f"{'':10}"
        fetches = f"{r['fetches']:9.2f}" if "fetches" in r else f"{'':9}"
        print(
            f"{label:42} {r['rps']:7.0f} {r['p50']:7.1f} {r['p99']:7.1f} {cpu} {fetches}"
            f" {r['rps'] / hive['rps']:6.2f}x {r['p99'] / hive['p99']:10.2f}x"
        )
    cold, warm = planning_times(ours, query)
    print(f"planning: cold cache {cold:.0f} µs, warm cache {warm:.1f} µs per operation")


async def run(args: argparse.Namespace) -> None:
    shapes = ["guild", "simple"] if args.shape == "both" else [args.shape]
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "urls.json"
        children = [spawn([sys.executable, __file__, "--serve-subgraphs", str(port_file)])]
        try:
            while not port_file.exists():  # noqa: ASYNC110 - the child only writes a file
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.1)
            urls = json.loads(port_file.read_text())
            count_url = next(iter(urls["guild"].values())).replace("/graphql", "/count")
            for shape in shapes:
                await run_shape(shape, urls[shape], count_url, Path(tmp), args)
        finally:
            for child in children:
                child.terminate()
                child.wait(5)
    print(
        "\n'vs Hive': throughput relative to Hive Gateway in the same sharing mode; 'p99 vs"
        " Hive': below 1 is better. 'CPU ms/req': the gateway process's CPU time per"
        " request. 'fetch/req': subgraph requests per client request."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=("guild", "simple", "both"), default="guild")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve-subgraphs", metavar="PORT_FILE")
    parser.add_argument("--serve-router", nargs=3, metavar=("SUPERGRAPH", "PORT", "SHARE"))
    args = parser.parse_args()
    if args.serve_subgraphs:
        serve_subgraphs(args.serve_subgraphs)
    elif args.serve_router:
        file, port, share = args.serve_router
        serve_router(file, int(port), share == "share")
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
