"""The number of SQL statements of a request depends on its shape, never on row counts:
production orders with their components and the stock behind them, and buildable
quantities of many products, through the router."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from nexo.graph import Graph, build_graph, in_process_transports
from router.app import create_router_app
from shared.context import Runtime
from subgraphs.production import api as production
from subgraphs.production.models import ComponentLine
from tests.conftest import TenantHandle

from .conftest import Plant, add_products, make_plant

D = Decimal
ORDERS = """query($n: Int!) { productionOrders(first: $n) { edges { node {
  number components { quantity product { sku stock { available } } } } } } }"""
BUILDABLE = """query($n: Int!) { products(first: $n) { edges { node {
  sku buildableQuantity bom { version components { product { sku } } } } } } }"""


@contextmanager
def counting(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


@pytest.fixture
async def crowded(runtime: Runtime, tenant: TenantHandle) -> Plant:
    """The plant, plus 50 products each made of two plant materials and in production."""
    plant = await make_plant(runtime, tenant)
    async with runtime.db.transaction(tenant.id) as session:
        made = await add_products(session, tenant.id, [f"P{i:02d}" for i in range(50)])
        for i, (product, _) in enumerate(made.values()):
            await production.create_bom(
                session,
                tenant.id,
                production.BomInput(
                    product_id=product,
                    quantity=D(1),
                    components=[
                        production.ComponentInput(plant["FRAME" if i % 2 else "STEEL"], D(2)),
                        production.ComponentInput(plant["BOLT"], D(i + 1)),
                    ],
                ),
            )
            order = await production.create_order(
                session,
                tenant.id,
                product_id=product,
                quantity=D(1),
                warehouse_id=plant.warehouse_id,
            )
            # Component lines as a confirmation writes them (the reads are under test here).
            session.add_all(
                ComponentLine(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    order_id=order.id,
                    position=n,
                    product_id=p,
                    quantity=D(n + 1),
                    reserved=D(0),
                    consumed=D(0),
                )
                for n, p in enumerate([plant["STEEL"], plant["BOLT"], product])
            )
    return plant


async def _ask(
    runtime: Runtime, graph: Graph, token: str, query: str, n: int
) -> tuple[dict, list[str]]:
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        with counting(runtime) as statements:
            r = await client.post(
                "/graphql",
                json={"query": query, "variables": {"n": n}},
                headers={"authorization": f"Bearer {token}"},
            )
    body = r.json()
    assert "errors" not in body, body
    # The domains' reads; the token check and rate limiting around them run on their own
    # clocks (a revocation refresh may fall into either request).
    return body["data"], [s for s in statements if "production." in s or "stock." in s]


async def test_production_orders_with_components_and_stock_take_constant_statements(
    runtime: Runtime, graph: Graph, crowded: Plant
) -> None:
    token = crowded.tenant.token
    await _ask(runtime, graph, token, ORDERS, 1)  # warm: signing keys, caches
    few, few_count = await _ask(runtime, graph, token, ORDERS, 5)
    many, many_count = await _ask(runtime, graph, token, ORDERS, 50)
    assert len(few["productionOrders"]["edges"]) == 5
    assert len(many["productionOrders"]["edges"]) == 50
    assert all(len(e["node"]["components"]) == 3 for e in many["productionOrders"]["edges"])
    assert all(
        c["product"]["stock"]["available"] is not None
        for e in many["productionOrders"]["edges"]
        for c in e["node"]["components"]
    )
    assert len(few_count) == len(many_count), (few_count, many_count)


async def test_buildable_quantity_of_many_products_takes_constant_statements(
    runtime: Runtime, graph: Graph, crowded: Plant
) -> None:
    token = crowded.tenant.token
    await _ask(runtime, graph, token, BUILDABLE, 1)  # warm: signing keys, caches
    few, few_count = await _ask(runtime, graph, token, BUILDABLE, 5)
    many, many_count = await _ask(runtime, graph, token, BUILDABLE, 50)
    assert len(few["products"]["edges"]) == 5
    nodes = {e["node"]["sku"]: e["node"] for e in many["products"]["edges"]}
    assert len(nodes) == 50
    made = [n for n in nodes.values() if n["bom"] is not None]
    assert len(made) >= 40
    # P00 takes 2 steel and 1 bolt: steel (100) allows 50. P01 takes 2 frames and 2 bolts:
    # 1 frame is in stock, the others are made of 2 steel and 4 bolts each, so n units
    # need 2n + 4(2n - 1) bolts <= 150: 15.
    by_name = {sku.split("-")[0]: n for sku, n in nodes.items()}
    assert by_name["P00"]["buildableQuantity"] == "50"
    assert by_name["P01"]["buildableQuantity"] == "15"
    assert len(few_count) == len(many_count), (few_count, many_count)
