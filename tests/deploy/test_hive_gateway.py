"""Hive Gateway serves NEXO's own supergraph (`nexo.supergraph`) over NEXO's subgraphs on
HTTP, and answers NEXO queries for a tenant with the demo's customers and stock exactly
as our router does (the scale-out claim of docs/scaling.md: another gateway can replace
ours)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from nexo.supergraph import supergraph_sdl
from router.app import create_router_app, http_transports
from router.supergraph import load_supergraph
from shared.context import Runtime
from subgraphs.crm.seed import seed_demo as seed_crm
from subgraphs.registry import SUBGRAPHS
from subgraphs.stock.seed import seed_demo as seed_stock
from tests.conftest import make_tenant

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "router" / "oracle"
FORWARDED = ["authorization", "x-request-id", "idempotency-key"]

# Hive Gateway's runtime from the router oracle's npm packages, forwarding the headers
# NEXO's router forwards (as deploy/gateways/gateway.config.ts does for its CLI).
GATEWAY = """
const { createServer } = require("node:http");
const { readFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const [oracle, file, port, forwarded] = process.argv.slice(1);
const { createGatewayRuntime } = createRequire(oracle + "/package.json")(
  "@graphql-hive/gateway-runtime"
);
const names = JSON.parse(forwarded);
const gateway = createGatewayRuntime({
  supergraph: readFileSync(file, "utf8"),
  logging: false,
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers = {};
      for (const name of names) {
        const value = request.headers.get(name);
        if (value) headers[name] = value;
      }
      return headers;
    },
  },
});
createServer(gateway).listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`listening ${port}\\n`);
});
"""

CUSTOMERS = """{ customers(first: 5) { totalCount edges { cursor node {
  name
  orders(first: 3) { edges { node { number status total { amount currency }
    lines { quantity product { sku name stock { available onHand } } } } } } } } } }"""

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("{ me { email name tenant { slug name } roles { name permissions } } }", {}),
    (CUSTOMERS, {}),
    (
        "query P($n: Int) { products(first: $n) { totalCount pageInfo { hasNextPage }"
        " edges { node { sku name stock { onHand available } } } } }",
        {"n": 10},
    ),
    (
        '{ customer(id: "Q3VzdG9tZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw") { name } }',
        {},
    ),
]
DASHBOARD = """query Dashboard {
  customers(first: 5) { edges { node {
    name
    orders(first: 3) { edges { node { number status total { amount currency }
      lines { quantity product { sku name stock { available onHand } } } } } } } } }
  productionOrders(filter: {status: IN_PROGRESS}, first: 5) { edges { node {
    number quantity product { name }
    components { quantity product { sku stock { available } } } } } }
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def subgraph_urls(runtime: Runtime) -> AsyncIterator[dict[str, str]]:
    """Every subgraph on its own HTTP port, against the test database."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    urls: dict[str, str] = {}
    for spec in SUBGRAPHS:
        port = _free_port()
        config = uvicorn.Config(
            spec.create_app(runtime),
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve())))
        urls[spec.name] = f"http://127.0.0.1:{port}/graphql"
    for server, _ in servers:
        while not server.started:
            await asyncio.sleep(0.05)
    yield urls
    for server, task in servers:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
def supergraph(subgraph_urls: dict[str, str]) -> str:
    return supergraph_sdl(urls=subgraph_urls)


@pytest.fixture(scope="module")
async def hive_url(supergraph: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if not (ORACLE / "node_modules" / "@graphql-hive" / "gateway-runtime").exists():
        pytest.skip("npm ci --prefix tests/router/oracle first (.ci/tests does)")
    path = tmp_path_factory.mktemp("hive") / "supergraph.graphql"
    path.write_text(supergraph)
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        "node",
        "-e",
        GATEWAY,
        str(ORACLE),
        str(path),
        str(port),
        json.dumps(FORWARDED),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.startswith(b"listening"), line
    drain = asyncio.create_task(proc.stdout.read())
    yield f"http://127.0.0.1:{port}/graphql"
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    await drain


@pytest.fixture(scope="module")
async def ours(supergraph: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_router_app(supergraph, http_transports(load_supergraph(supergraph)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router", timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="module")
async def token(runtime: Runtime) -> str:
    """A fresh tenant with the demo's customers, products and stock, and its admin's
    token (the demo's sales history is left out: it is the slow part of seeding)."""
    handle = await make_tenant(runtime, "Hive Co")
    for seeder in (seed_crm, seed_stock):
        async with runtime.db.transaction(handle.id) as session:
            await seeder(session, handle.id)
    return handle.token


def _codes(body: dict[str, Any]) -> list[str | None]:
    return sorted(str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or [])


@pytest.mark.slow
async def test_hive_gateway_answers_nexo_queries_like_our_router(
    hive_url: str, ours: httpx.AsyncClient, token: str, supergraph: str
) -> None:
    queries = [*QUERIES]
    if "productionOrders" in supergraph:
        queries.append((DASHBOARD, {}))
    headers = {"Authorization": f"Bearer {token}"}
    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for query, variables in queries:
            request = {"query": query, "variables": variables}
            mine = (await ours.post("/graphql", json=request, headers=headers)).json()
            assert "errors" not in mine, (query, mine)
            theirs = (await client.post(hive_url, json=request, headers=headers)).json()
            assert theirs == mine, query
            answers[query] = mine["data"]
    # Real data crossed the subgraphs: customers (crm) with their orders (sales), products
    # (stock) with their levels.
    assert answers[CUSTOMERS]["customers"]["edges"]
    products = answers[QUERIES[2][0]]["products"]["edges"]
    assert products and all("onHand" in p["node"]["stock"] for p in products)


@pytest.mark.slow
async def test_without_a_token_both_refuse(hive_url: str, ours: httpx.AsyncClient) -> None:
    request = {"query": "{ me { email } }"}
    mine = (await ours.post("/graphql", json=request)).json()
    async with httpx.AsyncClient(timeout=60) as client:
        theirs = (await client.post(hive_url, json=request)).json()
    assert _codes(mine) == ["UNAUTHENTICATED"]
    assert _codes(theirs) == _codes(mine)
    assert theirs.get("data") == mine.get("data")


def test_the_gateway_config_files_forward_the_routers_headers() -> None:
    from router.gateway import FORWARDED_HEADERS

    assert sorted(FORWARDED) == sorted(FORWARDED_HEADERS)
    hive = (ROOT / "deploy" / "gateways" / "gateway.config.ts").read_text()
    apollo = (ROOT / "deploy" / "gateways" / "apollo-router.yaml").read_text()
    for name in FORWARDED_HEADERS:
        assert f'"{name}"' in hive
        assert f"named: {name}" in apollo


def test_subprocess_node_is_available() -> None:
    result = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("v")
