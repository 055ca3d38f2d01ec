"""A large response costs memory once, while it is served, and not after: the largest
page the limits allow (100 products with their stock), asked through the whole router
app over ASGI, leaves nothing behind request after request, and its peak stays a small
multiple of the response. Python's allocations are counted with tracemalloc, not the
clock; `bench/serve.py` measures the worker's resident memory the same way over HTTP."""

from __future__ import annotations

import gc
import tracemalloc
from decimal import Decimal

import httpx
import pytest

from nexo.graph import build_graph, in_process_transports
from router.app import create_router_app
from shared.context import Runtime
from shared.pagination import MAX_PAGE_SIZE
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle, token_for

PAGE = f"""
{{ products(first: {MAX_PAGE_SIZE}) {{ totalCount edges {{ cursor node {{
  id sku name uom stock {{ onHand reserved available }} }} }} pageInfo {{ hasNextPage }} }} }}
"""


@pytest.mark.slow
async def test_the_largest_page_leaves_no_memory_behind(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        warehouse = await stock.create_warehouse(session, tenant.id, code="MEM", name="Mem")
        location = await stock.stock_location(session, tenant.id, warehouse.id)
        lines = []
        for i in range(MAX_PAGE_SIZE + 5):
            product = await stock.create_product(
                session,
                tenant.id,
                stock.ProductFields(
                    sku=f"MEM-{i:03}",
                    name=f"Memory {i}",
                    type=stock.ProductType.STOCKABLE,
                    uom="pcs",
                ),
            )
            lines.append(stock.SupplyLine(product.id, location, Decimal(3), Decimal("1.25")))
        await stock.receive(session, tenant.id, source=None, lines=lines)
    token = await token_for(runtime, tenant, "admin")
    graph = build_graph()
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://router", headers={"authorization": f"Bearer {token}"}
    ) as client:

        async def ask() -> int:
            response = await client.post("/graphql", json={"query": PAGE})
            body = response.json()
            assert "errors" not in body, body
            assert len(body["data"]["products"]["edges"]) == MAX_PAGE_SIZE
            assert Decimal(body["data"]["products"]["edges"][0]["node"]["stock"]["onHand"]) == 3
            return len(response.content)

        for _ in range(5):  # plans cached, pools filled, loggers made
            size = await ask()
        gc.collect()
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await ask()
            _, peak = tracemalloc.get_traced_memory()
            for _ in range(10):
                await ask()
            gc.collect()
            settled, _ = tracemalloc.get_traced_memory()
            for _ in range(30):
                await ask()
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    per_request = peak - baseline
    growth = (after - settled) / 30
    # Measured 2026-12-02: a 27 kB response peaks at 1.4 MB of Python allocations while
    # served, and 30 more requests keep under 0.3 kB each. The bounds catch a regression
    # by an order of magnitude: a page materialised many times over, or any part of a
    # response kept per request.
    assert per_request < 200 * size, (per_request, size)
    assert growth < size / 10, (growth, size)
