"""Sales in the whole graph: the headline query of DESIGN section 4 (without production)
through the router on the demo tenant, over both transports; and statement counts that
depend on the query's shape, not on how many customers it returns."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event, select

from nexo.graph import Graph, build_graph, in_process_transports
from nexo.seed import DEMO_SLUG, DEMO_USERS, seed_demo
from router.app import create_router_app
from router.transport import HttpTransport, Transport
from shared.context import Runtime
from shared.db import TenantId
from subgraphs.identity import api as identity
from subgraphs.identity.models import Tenant
from subgraphs.registry import SUBGRAPHS
from subgraphs.sales import orders as sales
from subgraphs.sales import reads
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle

from .conftest import add_customer, make_shop

DASHBOARD = """
query Dashboard {
  customers(first: 5) { edges { node {
    name
    orders(first: 3) { edges { node { number status total { amount currency }
      lines { quantity product { sku name stock { available onHand } } } } } } } } }
}"""


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


@asynccontextmanager
async def router(graph: Graph, transports: dict[str, Transport]) -> AsyncIterator[Any]:
    app = create_router_app(graph.composition.supergraph_sdl, transports)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        yield client


async def ask(client: Any, token: str, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


@asynccontextmanager
async def http_subgraphs(runtime: Runtime) -> AsyncIterator[dict[str, Transport]]:
    """Every subgraph on its own uvicorn server on a free port: the split topology."""
    servers, tasks, transports = [], [], {}
    for spec in SUBGRAPHS:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(spec.create_app(runtime), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        transports[spec.name] = HttpTransport(
            f"http://127.0.0.1:{sock.getsockname()[1]}/graphql", timeout=30
        )
    try:
        for server in servers:
            for _ in range(500):  # uvicorn offers no startup event to await
                if server.started:
                    break
                await asyncio.sleep(0.01)
        yield transports
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)


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


async def test_headline_query_on_the_demo_tenant_over_both_transports(
    runtime: Runtime, graph: Graph
) -> None:
    token = await demo_token(runtime)
    async with router(graph, in_process_transports(graph, runtime)) as client:
        in_process = await ask(client, token, DASHBOARD)
        people = await ask(
            client,
            token,
            "{ salesOrders(first: 3, filter: {status: [DELIVERED]}) { totalCount edges { node {"
            " number salesperson { name } customer { name lifetimeValue { amount } } } } }"
            " salesPipeline { state count } all: salesOrders { totalCount }"
            " paid: invoices(filter: {status: PAID}) { totalCount }"
            " open: invoices(filter: {status: POSTED, kind: INVOICE}) { totalCount }"
            " credit: invoices(filter: {kind: CREDIT_NOTE}) { totalCount } }",
        )
    async with http_subgraphs(runtime) as transports, router(graph, transports) as client:
        over_http = await ask(client, token, DASHBOARD)
    assert over_http == in_process

    customers = [e["node"] for e in in_process["data"]["customers"]["edges"]]
    assert len(customers) == 5
    orders = [o["node"] for c in customers for o in c["orders"]["edges"]]
    assert all(len(c["orders"]["edges"]) <= 3 for c in customers)
    assert len(orders) >= 5, "the demo customers have order history"
    lines = [ln for o in orders for ln in o["lines"]]
    assert all(ln["product"]["sku"] and ln["product"]["name"] for ln in lines)
    assert all(Decimal(o["total"]["amount"]) > 0 for o in orders)

    # Cross-check one customer and one product against the services that own them.
    async with runtime.db.transaction(None) as session:
        found_tenant = await session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_SLUG))
    assert found_tenant is not None
    tenant = TenantId(found_tenant)
    with_orders = next(c for c in customers if c["orders"]["edges"])
    shown = [o["node"]["number"] for o in with_orders["orders"]["edges"]]
    async with runtime.db.transaction(tenant, readonly=True) as session:
        page = await sales.get_order(
            session,
            tenant,
            (
                await reads.list_orders(
                    session,
                    tenant,
                    filter=reads.OrderFilter(search=shown[0]),
                    first=1,
                    after=None,
                )
            )
            .rows[0]
            .id,
        )
        newest = await reads.list_orders(
            session,
            tenant,
            filter=reads.OrderFilter(customer_id=page.customer_id),
            first=3,
            after=None,
        )
        assert [o.number for o in newest.rows] == shown
        product_line = next(ln for ln in lines if ln["product"]["stock"]["onHand"] is not None)
        found = await stock.list_products(
            session,
            tenant,
            filter=stock.ProductFilter(search=product_line["product"]["sku"], active=None),
            first=1,
            after=None,
        )
        levels = (await stock.levels_by_product(session, tenant, [found.rows[0].id]))[
            found.rows[0].id
        ]
    assert Decimal(product_line["product"]["stock"]["onHand"]) == sum(
        (r.on_hand for r in levels), Decimal(0)
    )

    demo = people["data"]
    assert demo["all"]["totalCount"] == 250
    assert {p["state"] for p in demo["salesPipeline"] if p["count"] > 0} == {
        "QUOTATION",
        "SENT",
        "CONFIRMED",
        "PARTIALLY_DELIVERED",
        "DELIVERED",
        "CANCELLED",
    }
    assert min(demo[k]["totalCount"] for k in ("paid", "open", "credit")) > 0
    delivered = people["data"]["salesOrders"]
    assert delivered["totalCount"] > 0
    first = delivered["edges"][0]["node"]
    assert first["salesperson"]["name"]  # identity
    assert Decimal(first["customer"]["lifetimeValue"]["amount"]) > 0


COUNTED = """
query($first: Int!) { customers(first: $first) { edges { node {
  name orderCount lifetimeValue { amount }
  orders(first: 3) { totalCount edges { node { number
    lines { quantity product { sku stock { available } salesStats { quantity } } } } } } } } } }
"""


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_statement_count_depends_on_shape_not_rows(
    runtime: Runtime, graph: Graph, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="10000")
    rng = random.Random(3)
    customers = [await add_customer(runtime, tenant, f"Customer {i:02d}") for i in range(55)]
    goods = [shop.products["widget"], shop.products["gadget"], shop.products["setup"]]
    async with runtime.db.transaction(tenant.id) as session:
        for customer in customers:
            for _ in range(rng.randint(1, 5)):
                order = await sales.create_sales_order(
                    session,
                    tenant.id,
                    customer_id=customer,
                    lines=[
                        sales.LineInput(product_id=p, quantity=Decimal(rng.randint(1, 3)))
                        for p in rng.sample(goods, 2)
                    ],
                )
                if rng.random() < 0.5:
                    await sales.confirm_sales_order(session, tenant.id, order.id)
    async with router(graph, in_process_transports(graph, runtime)) as client:

        async def run(first: int) -> tuple[int, dict[str, Any]]:
            with statements(runtime) as seen:
                body = await client.post(
                    "/graphql",
                    json={"query": COUNTED, "variables": {"first": first}},
                    headers={"authorization": f"Bearer {tenant.token}"},
                )
            data = body.json()
            assert "errors" not in data, data["errors"]
            return len(seen), data

        await run(1)  # warm caches (signing keys), which are not per request
        few, small = await run(5)
        many, large = await run(50)
    assert len(small["data"]["customers"]["edges"]) == 5
    assert len(large["data"]["customers"]["edges"]) == 50
    shown = [o for c in large["data"]["customers"]["edges"] for o in c["node"]["orders"]["edges"]]
    assert len(shown) > 50
    assert few == many, (few, many)


async def test_idempotency_key_through_the_router(
    runtime: Runtime, graph: Graph, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant)
    create = """mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
        order { id number customer { name } lines { product { name } } } errors { code } } }"""
    variables = {
        "input": {
            "customerId": str(shop.customer_id),
            "lines": [{"productId": str(shop.products["widget"]), "quantity": "2"}],
        }
    }
    headers = {"authorization": f"Bearer {shop.token}", "idempotency-key": "router-once"}
    async with router(graph, in_process_transports(graph, runtime)) as client:
        replies = [
            (
                await client.post(
                    "/graphql", json={"query": create, "variables": variables}, headers=headers
                )
            ).json()
            for _ in range(2)
        ]
    assert replies[0] == replies[1]
    order = replies[0]["data"]["createSalesOrder"]["order"]
    assert order["customer"] == {"name": "Acme Buyer"}
    assert order["lines"] == [{"product": {"name": "Widget"}}]
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        page = await reads.list_orders(
            session, tenant.id, filter=reads.OrderFilter(), first=5, after=None
        )
        assert [str(o.id) for o in page.rows] == [order["id"]]
