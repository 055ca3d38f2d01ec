"""The headline query of DESIGN.md section 4 through our router on the demo tenant:
customers with their orders and the stock behind each line, and the production orders in
progress with whether their components are in stock — identical over the in-process and
the HTTP transport, without errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from nexo.graph import Graph, build_graph, in_process_transports
from nexo.seed import DEMO_SLUG, DEMO_USERS, seed_demo
from router.app import create_router_app
from router.transport import HttpTransport, Transport
from shared.context import Runtime
from subgraphs.identity import api as identity
from subgraphs.registry import SUBGRAPHS

HEADLINE = """
query Dashboard {
  customers(first: 5) { edges { node {
    name
    orders(first: 3) { edges { node { number status total { amount currency }
      lines { quantity product { sku name stock { available onHand } } } } } } } } }
  productionOrders(filter: {status: IN_PROGRESS}, first: 5) { edges { node {
    number quantity product { name }
    components { quantity product { sku stock { available } } } } } }
}
"""

PRODUCTION = """
{
  productionOrders(first: 50, orderBy: {field: NUMBER, direction: ASC}) {
    totalCount
    edges { node { number status product { sku bom { version kind } buildableQuantity }
      components { quantity reserved consumed product { sku stock { available } } }
      workOrders { name status workCenter { code } }
      children { number } backorders { number } } }
  }
  billsOfMaterials(first: 10) { totalCount edges { node { kind product { sku } } } }
  workCenters(first: 10) { totalCount }
}
"""


@pytest.fixture(scope="module")
async def demo_token(runtime: Runtime) -> str:
    await seed_demo(runtime, report=lambda _: None)
    admin = DEMO_USERS[0]
    async with runtime.db.transaction(None) as session:
        result = await identity.login(
            session,
            runtime.db,
            runtime.settings,
            tenant_slug=DEMO_SLUG,
            email=admin.email,
            password=admin.password,
        )
    return result.access_token


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


@pytest.fixture(scope="module")
async def http_subgraphs(runtime: Runtime) -> AsyncIterator[dict[str, Transport]]:
    servers, tasks, transports = [], [], {}
    for spec in SUBGRAPHS:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(spec.create_app(runtime), log_config=None, lifespan="off")
        )
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        servers.append(server)
        transports[spec.name] = HttpTransport(f"http://127.0.0.1:{port}/graphql")
    while not all(s.started for s in servers):
        await asyncio.sleep(0.01)
    yield transports
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)


async def _ask(app: Starlette, token: str, query: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        r = await client.post(
            "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


async def _both(
    runtime: Runtime, graph: Graph, http: dict[str, Transport], token: str, query: str
) -> dict[str, Any]:
    supergraph = graph.composition.supergraph_sdl
    local = await _ask(
        create_router_app(supergraph, in_process_transports(graph, runtime)), token, query
    )
    remote = await _ask(create_router_app(supergraph, http), token, query)
    assert "errors" not in local, local
    assert local == remote
    return local["data"]  # type: ignore[no-any-return]


async def test_the_headline_query_answers_on_the_demo_tenant_over_both_transports(
    runtime: Runtime, graph: Graph, demo_token: str, http_subgraphs: dict[str, Transport]
) -> None:
    data = await _both(runtime, graph, http_subgraphs, demo_token, HEADLINE)
    assert len(data["customers"]["edges"]) == 5
    in_progress = [e["node"] for e in data["productionOrders"]["edges"]]
    assert len(in_progress) == 5
    for order in in_progress:
        assert order["number"].startswith("MO-")
        assert Decimal(order["quantity"]) > 0
        assert order["product"]["name"]  # resolved by stock
        assert order["components"]
        for component in order["components"]:
            assert component["product"]["sku"]
            assert component["product"]["stock"]["available"] is not None


async def test_the_demo_production_shows_every_state_through_the_router(
    runtime: Runtime, graph: Graph, demo_token: str, http_subgraphs: dict[str, Transport]
) -> None:
    data = await _both(runtime, graph, http_subgraphs, demo_token, PRODUCTION)
    orders = [e["node"] for e in data["productionOrders"]["edges"]]
    assert data["productionOrders"]["totalCount"] == len(orders) >= 18
    assert {o["status"] for o in orders} == {
        "DRAFT",
        "CONFIRMED",
        "IN_PROGRESS",
        "BLOCKED",
        "DONE",
        "CANCELLED",
    }
    assert any(o["children"] for o in orders)
    assert any(o["backorders"] for o in orders)
    assert all(o["product"]["bom"]["kind"] == "NORMAL" for o in orders)
    assert all(o["product"]["buildableQuantity"] is not None for o in orders)
    started = [o for o in orders if o["status"] == "IN_PROGRESS"]
    assert all(any(w["status"] != "PENDING" for w in o["workOrders"]) for o in started)
    kinds = sorted(e["node"]["kind"] for e in data["billsOfMaterials"]["edges"])
    assert kinds == ["NORMAL", "NORMAL", "NORMAL", "NORMAL", "PHANTOM"]
    assert data["workCenters"]["totalCount"] == 4
