"""Does a heavy request starve the others? Cheap-query latency under heavy load.

    .venv/bin/python bench/limits.py [--seconds 6] [--heavy 2] [--embedded]

The router test subgraphs (tests/router/router_testgraphs.py: no database) are served
over HTTP by one child process and the router, with its default limits, by another
(`--embedded`: the subgraphs run inside the router's process instead, as in NEXO's
embedded mode). This process measures `{ __typename }` latency p50/p99 (4 clients in
a loop) in three phases, alternated in rounds so the machine's background load hits
them alike, `--seconds` each in all:

  (a) baseline: the cheap query alone;
  (b) heavy:    while `--heavy` clients send limit-sized heavy queries that pass the
                limits, each a new document (new aliases, so no plan cache helps):
                10 root aliases of `topReviews`, 15 aliases, jumps into four subgraphs;
  (c) refused:  while `--heavy` clients send what the limits refuse: the 30-level
                fragment bomb, `2^20` nested lists, 500 aliases, a 2 MB document;

The load comes from a child process of its own, so making it (JSON of megabytes)
slows no measurement. Prints each phase's figures with ratios to (a), and the load's
own rate and latency.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "router"
sys.path[:0] = [str(ROOT), str(TESTS)]

CHEAP = "{ __typename }"
CHEAP_CLIENTS = 4
Send = Callable[[httpx.AsyncClient], Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_router(port: int, subgraph_urls: str) -> None:
    """Child process: the router with the default limits, over the test subgraphs at
    `subgraph_urls` (JSON name -> URL), or inside this process when it is empty."""
    import router_testgraphs as tg
    import uvicorn
    from router_harness import in_process_transports, subgraph_sdl

    from router.app import create_router_app, http_transports
    from router.compose import compose
    from router.supergraph import load_supergraph

    urls = json.loads(subgraph_urls) if subgraph_urls else {n: f"http://{n}" for n in tg.SCHEMAS}
    services = [
        {"name": n, "url": urls[n], "sdl": subgraph_sdl(schema)} for n, schema in tg.SCHEMAS.items()
    ]
    sdl = compose(services).supergraph_sdl
    remote = bool(subgraph_urls)
    transports = http_transports(load_supergraph(sdl)) if remote else in_process_transports()
    app = create_router_app(sdl, transports, production=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def serve_subgraphs(ports: str) -> None:
    """Child process: each test subgraph on its port (`ports`: JSON name -> port)."""
    import router_testgraphs as tg
    import uvicorn
    from strawberry.asgi import GraphQL

    async def serve_all() -> None:
        servers = [
            uvicorn.Server(
                uvicorn.Config(
                    GraphQL(tg.SCHEMAS[name]),
                    port=port,
                    log_level="error",
                    lifespan="off",
                    access_log=False,
                )
            )
            for name, port in json.loads(ports).items()
        ]
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(serve_all())


def heavy_query(n: int | str) -> str:
    """At the default limits (10 root fields, 15 aliases) and well within the rest
    (depth 5, cost ~900, ~650 tokens); new each time, so it is planned afresh; fetches
    from four subgraphs."""
    inner = (
        "body stars author { name favoriteProduct { name barcode reviews { stars } } }"
        " product { name price shippingEstimate barcode warehouse { city } }"
    )
    extra = " again: product { sku pkg }"
    fields = [
        f"q{n}_{i}: topReviews(first: 4) {{ {inner}{extra if i < 5 else ''} }}" for i in range(10)
    ]
    return "{ " + " ".join(fields) + " }"


def refused_queries() -> list[str]:
    frags = ["fragment F0 on User { id }"]
    frags += [
        f"fragment F{i} on User {{ ...F{i - 1} a{i}: name ...F{i - 1} }}" for i in range(1, 31)
    ]
    bomb = "{ me { ...F30 } }\n" + "\n".join(frags)
    nested = "id"
    for _ in range(19):
        nested = f"reviews(first: 2) {{ product {{ {nested} }} }}"
    nested = f"{{ topReviews(first: 2) {{ product {{ {nested} }} }} }}"
    aliases = "{ " + " ".join(f"a{i}: products {{ name }}" for i in range(500)) + " }"
    big = "{ " + "__typename " * 200_000 + "}"
    return [bomb, nested, aliases, big]


async def loop_requests(
    url: str, send: Send, until: float, clients: int, latencies: list[float]
) -> None:
    async def one() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            while time.perf_counter() < until:
                started = time.perf_counter()
                await send(client)
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one() for _ in range(clients)))


async def cheap(client: httpx.AsyncClient) -> None:
    body = (await client.post("/graphql", json={"query": CHEAP})).json()
    assert body == {"data": {"__typename": "Query"}}, body


def load_sender(kind: str) -> Send:
    counter = itertools.count()
    refusals = itertools.cycle(refused_queries())

    async def heavy(client: httpx.AsyncClient) -> None:
        query = heavy_query(next(counter))
        body = (await client.post("/graphql", json={"query": query})).json()
        assert "errors" not in body, body["errors"][:1]

    async def refused(client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json={"query": next(refusals)})
        assert response.status_code in (200, 413), response.status_code
        assert "data" not in response.json(), response.text[:200]

    return heavy if kind == "heavy" else refused


def generate_load(url: str, kind: str, clients: int, seconds: float) -> None:
    """Child process: the load, so that making it costs the measuring process
    nothing; prints its latencies as JSON."""
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    asyncio.run(loop_requests(url, load_sender(kind), until, clients, latencies))
    print(json.dumps(latencies))


async def phase(url: str, seconds: float, load: str | None, clients: int) -> dict[str, Any]:
    """The cheap query's latencies here, the load's from its own process."""
    child = None
    if load is not None:
        child = await asyncio.create_subprocess_exec(
            *(sys.executable, __file__, "--load", load, "--url", url),
            *("--heavy", str(clients), "--seconds", str(seconds)),
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(0.3)  # the child's interpreter starts
    until = time.perf_counter() + seconds - 0.3
    cheap_latencies: list[float] = []
    await loop_requests(url, cheap, until, CHEAP_CLIENTS, cheap_latencies)
    heavy_latencies: list[float] = []
    if child is not None:
        out, _ = await child.communicate()
        heavy_latencies = json.loads(out)
    return {"cheap": cheap_latencies, "heavy": heavy_latencies}


def figures(values: list[float], seconds: float) -> dict[str, float]:
    values = sorted(values)
    return {
        "n": len(values),
        "rps": len(values) / seconds,
        "p50": statistics.median(values) * 1000,
        "p99": values[max(int(len(values) * 0.99) - 1, 0)] * 1000,
    }


async def wait_up(url: str, path: str, post: bool = False) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(300):
            try:
                if post:
                    await client.post(path, json={"query": CHEAP})
                else:
                    await client.get(path)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url}{path} did not come up")


async def start(embedded: bool) -> tuple[str, list[asyncio.subprocess.Process]]:
    import router_testgraphs as tg

    children = []
    urls = ""
    if not embedded:
        ports = {name: free_port() for name in tg.SCHEMAS}
        children.append(
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--serve-subgraphs", json.dumps(ports)
            )
        )
        for port in ports.values():
            await wait_up(f"http://127.0.0.1:{port}", "/", post=True)
        urls = json.dumps({n: f"http://127.0.0.1:{p}/" for n, p in ports.items()})
    port = free_port()
    children.append(
        await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", str(port), "--subgraph-urls", urls
        )
    )
    url = f"http://127.0.0.1:{port}"
    await wait_up(url, "/health")
    return url, children


async def run(seconds: float, clients: int, embedded: bool, rounds: int = 3) -> None:
    url, children = await start(embedded)
    phases: dict[str, str | None] = {"a baseline": None, "b heavy": "heavy", "c refused": "refused"}
    raw: dict[str, dict[str, list[float]]] = {n: {"cheap": [], "heavy": []} for n in phases}
    try:
        async with httpx.AsyncClient(base_url=url) as client:  # warm up
            for query in (CHEAP, heavy_query("warm")):
                warm = (await client.post("/graphql", json={"query": query})).json()
                assert "errors" not in warm, warm
        for _ in range(rounds):
            for name, load in phases.items():
                got = await phase(url, seconds / rounds, load, clients)
                for kind, values in got.items():
                    raw[name][kind] += values
    finally:
        for child in children:
            child.terminate()
            await asyncio.wait_for(child.wait(), 10)
    mode = "subgraphs inside the router" if embedded else "subgraphs over HTTP"
    print(
        f"{CHEAP} latency, {CHEAP_CLIENTS} clients; {seconds:g} s a phase in {rounds} rounds;"
        f" {clients} heavy clients; {mode}"
    )
    print(f"{'phase':12} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'p50 x':>6} {'p99 x':>6}   load")
    base = figures(raw["a baseline"]["cheap"], seconds)
    for name, values in raw.items():
        c = figures(values["cheap"], seconds)
        extra = ""
        if values["heavy"]:
            h = figures(values["heavy"], seconds)
            extra = f"   {h['rps']:.1f}/s, p50 {h['p50']:.0f} ms, p99 {h['p99']:.0f} ms"
        print(
            f"{name:12} {c['n']:6.0f} {c['p50']:8.2f} {c['p99']:8.2f}"
            f" {c['p50'] / base['p50']:6.2f} {c['p99'] / base['p99']:6.2f}{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--heavy", type=int, default=2, help="heavy clients")
    parser.add_argument("--embedded", action="store_true", help="subgraphs in the router")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--subgraph-urls", default="", help=argparse.SUPPRESS)
    parser.add_argument("--serve-subgraphs", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        generate_load(args.url, args.load, args.heavy, args.seconds)
    elif args.serve:
        serve_router(args.serve, args.subgraph_urls)
    elif args.serve_subgraphs:
        serve_subgraphs(args.serve_subgraphs)
    else:
        asyncio.run(run(args.seconds, args.heavy, args.embedded))


if __name__ == "__main__":
    main()
