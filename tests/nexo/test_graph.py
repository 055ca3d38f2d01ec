"""NEXO's own graph through our router: entity jumps between identity, crm and stock on the
demo tenant, identical over the in-process and the HTTP transport."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
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

DASHBOARD = """
query Dashboard {
  me { name roles { name } }
  customers(first: 3, orderBy: {field: NAME, direction: ASC}) {
    totalCount
    edges { node { name owner { name email } contacts { name } } }
  }
  products(first: 3) {
    totalCount
    edges { node { sku name stock { onHand reserved available } } }
  }
  lowStockAlerts(status: OPEN, first: 10) { totalCount }
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


async def _ask(app: Starlette, token: str, query: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        r = await client.post(
            "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


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


async def test_dashboard_spans_three_subgraphs_identically_over_both_transports(
    runtime: Runtime, graph: Graph, demo_token: str, http_subgraphs: dict[str, Transport]
) -> None:
    supergraph = graph.composition.supergraph_sdl
    local = await _ask(
        create_router_app(supergraph, in_process_transports(graph, runtime)), demo_token, DASHBOARD
    )
    remote = await _ask(create_router_app(supergraph, http_subgraphs), demo_token, DASHBOARD)
    assert "errors" not in local, local
    assert local == remote
    data = local["data"]
    assert data["me"] == {"name": "Ada Admin", "roles": [{"name": "admin"}]}
    assert data["customers"]["totalCount"] == 52
    for edge in data["customers"]["edges"]:
        owner = edge["node"]["owner"]
        assert owner["email"].endswith("@acme.example")  # resolved by identity
        assert edge["node"]["contacts"]
    assert data["products"]["totalCount"] == 120
    assert all(e["node"]["stock"]["onHand"] is not None for e in data["products"]["edges"])
    assert 5 <= data["lowStockAlerts"]["totalCount"] <= 8


async def test_permissions_travel_with_the_token_through_the_router(
    runtime: Runtime, graph: Graph, demo_token: str
) -> None:
    viewer = next(u for u in DEMO_USERS if u.role == "viewer")
    async with runtime.db.transaction(None) as session:
        token = (
            await identity.login(
                session,
                runtime.db,
                runtime.settings,
                tenant_slug=DEMO_SLUG,
                email=viewer.email,
                password=viewer.password,
            )
        ).access_token
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    refused = await _ask(
        app,
        token,
        'mutation { createWarehouse(input: {code: "VW", name: "Viewer"}) { errors { code } } }',
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await _ask(app, "not-a-token", "{ me { name } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
