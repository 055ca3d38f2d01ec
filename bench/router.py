"""Router benchmark: one query over three subgraphs with entity fetches.

    .venv/bin/python bench/router.py [--seconds 5] [--concurrency 16]

Prints requests/s and p50/p99 latency at a fixed concurrency for
  (a) the subgraphs called by hand in sequence, in-process (no router),
  (b) the router in-process,
  (c) the router over HTTP (router and subgraphs in their own processes),
  (d) Hive Gateway over the same HTTP subgraphs,
with ratios to (a) and (d), and planning time with a cold and a warm plan cache.
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
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from graphql import parse

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "router"
ORACLE = TESTS / "oracle"
sys.path[:0] = [str(ROOT), str(TESTS)]

import router_testgraphs as tg  # noqa: E402
from router_harness import strawberry_executor, subgraph_sdl  # noqa: E402
from strawberry.asgi import GraphQL  # noqa: E402

from router.app import create_router_app, http_transports  # noqa: E402
from router.compose import compose  # noqa: E402
from router.gateway import Router  # noqa: E402
from router.query_planner import build_plan  # noqa: E402
from router.supergraph import load_supergraph  # noqa: E402
from router.transport import InProcessTransport  # noqa: E402

QUERY = "{ topReviews { body author { name } product { name price stock: shippingEstimate } } }"
SUBGRAPHS = ("reviews", "accounts", "inventory", "products")
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
    out = {}
    for key, values in latencies.items():
        values.sort()
        out[key] = {
            "rps": len(values) / elapsed[key],
            "p50": statistics.median(values) * 1000,
            "p99": values[max(int(len(values) * 0.99) - 1, 0)] * 1000,
        }
    return out


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
    """Child process: every test subgraph on its own port."""

    async def main() -> None:
        servers, urls = [], {}
        for name, schema in tg.SCHEMAS.items():
            port = free_port()
            config = uvicorn.Config(
                GraphQL(schema), port=port, log_level="error", lifespan="off", access_log=False
            )
            servers.append(uvicorn.Server(config))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):  # noqa: ASYNC110 - uvicorn has no event
            await asyncio.sleep(0.05)
        write_text(port_file, json.dumps(urls))
        await asyncio.gather(*tasks)

    asyncio.run(main())


def serve_router(supergraph_file: str, port: int) -> None:
    sdl = Path(supergraph_file).read_text()
    app = create_router_app(sdl, http_transports(load_supergraph(sdl)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def write_text(path: str, text: str) -> None:
    Path(path).write_text(text)


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


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.post(url, json={"query": "{ __typename }"})
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def http_op(client: httpx.AsyncClient, url: str) -> Op:
    async def op() -> Any:
        response = await client.post(url, json={"query": QUERY})
        body = response.json()
        assert "errors" not in body, body
        return body

    return op


def planning_times(sdl: str) -> tuple[float, float]:
    sg = load_supergraph(sdl)
    doc = parse(QUERY)
    n = 200
    started = time.perf_counter()
    for _ in range(n):
        build_plan(sg, doc, None)
    cold = (time.perf_counter() - started) / n
    router = Router(sg, {})
    router.plans.get(QUERY, doc, None)
    started = time.perf_counter()
    for _ in range(n):
        router.plans.get(QUERY, doc, None)
    warm = (time.perf_counter() - started) / n
    return cold * 1e6, warm * 1e6


async def run(seconds: float, concurrency: int) -> None:
    results: dict[str, dict[str, float]] = {}
    sdls = {n: subgraph_sdl(s) for n, s in tg.SCHEMAS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "urls.json"
        children = [spawn([sys.executable, __file__, "--serve-subgraphs", str(port_file)])]
        try:
            while not port_file.exists():  # noqa: ASYNC110 - the child only writes a file
                await asyncio.sleep(0.1)
            urls = json.loads(port_file.read_text())
            services = [{"name": n, "url": urls[n], "sdl": sdls[n]} for n in tg.SCHEMAS]
            ours = compose(services).supergraph_sdl
            cases = {"a": by_hand()}
            for key, share in (("b0", False), ("b", True)):
                cases[key] = in_process(ours, share)
            results.update(await measure(cases, seconds, concurrency))
            sg_file = Path(tmp) / "supergraph.graphql"
            sg_file.write_text(ours)
            router_port, hive_port = free_port(), free_port()
            children.append(
                spawn([sys.executable, __file__, "--serve-router", str(sg_file), str(router_port)])
            )
            hive_file = Path(tmp) / "hive.graphql"
            hive_file.write_text(guild_compose(services))
            children.append(
                spawn(["node", "gateway.mjs", str(hive_file), str(hive_port)], cwd=ORACLE)
            )
            router_url = f"http://127.0.0.1:{router_port}/graphql"
            hive_url = f"http://127.0.0.1:{hive_port}/graphql"
            await wait_http(router_url)
            await wait_http(hive_url)
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                ops = {"c": http_op(client, router_url), "d": http_op(client, hive_url)}
                results.update(await measure(ops, seconds, concurrency))
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(5)
                except subprocess.TimeoutExpired:
                    child.kill()
    labels = {
        "a": "(a) subgraphs by hand, in-process",
        "b0": "(b0) router in-process, no sharing",
        "b": "(b) router in-process",
        "c": "(c) router over HTTP",
        "d": "(d) Hive Gateway over HTTP",
    }
    print(f"query: {QUERY}")
    print(f"concurrency {concurrency}, {seconds:.0f}s per case, {os.cpu_count()} CPUs\n")
    print(f"{'case':38} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs (a)':>7} {'vs (d)':>7}")
    for key, label in labels.items():
        r = results[key]
        vs_a = results["a"]["rps"] / r["rps"]
        vs_d = r["rps"] / results["d"]["rps"]
        print(
            f"{label:38} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {vs_a:6.2f}x {vs_d:6.2f}x"
        )
    print("\n'vs (a)': time per request relative to (a); 'vs (d)': throughput relative to (d)")
    print("'no sharing': identical in-flight subgraph fetches not shared, as (a) does not")
    cold, warm = planning_times(ours)
    print(f"planning: cold cache {cold:.0f} µs, warm cache {warm:.1f} µs per operation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-subgraphs", metavar="PORT_FILE")
    parser.add_argument("--serve-router", nargs=2, metavar=("SUPERGRAPH", "PORT"))
    args = parser.parse_args()
    if args.serve_subgraphs:
        serve_subgraphs(args.serve_subgraphs)
    elif args.serve_router:
        serve_router(args.serve_router[0], int(args.serve_router[1]))
    else:
        asyncio.run(run(args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
