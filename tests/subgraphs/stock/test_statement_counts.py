"""The hot paths' SQL statements, counted: a regression that adds a round trip to a
reservation or an order confirmation fails here (issue 19 item 1). Statements are
counted with SQLAlchemy's `before_cursor_execute` on the application engine, from just
after the transaction bound its tenant to just before it commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from shared.context import Runtime
from subgraphs.sales import orders
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle
from tests.subgraphs.sales.conftest import add_product, make_shop, receive
from tests.subgraphs.stock.conftest import Site

D = Decimal


@contextmanager
def counting(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


async def test_a_reservation_is_one_statement(runtime: Runtime, site: Site) -> None:
    stock_line = stock.SupplyLine(site.product_id, site.stock_id, D(10), D(1))
    async with runtime.db.transaction(site.tenant) as session:
        await stock.receive(session, site.tenant, source=None, lines=[stock_line])
    line = stock.DemandLine("1", site.product_id, site.stock_id, D(1))
    async with runtime.db.transaction(site.tenant) as session:
        with counting(runtime) as statements:
            await stock.reserve(
                session, site.tenant, demand=stock.DocumentRef("SO", uuid.uuid4()), lines=[line]
            )
    # Lock, check, raise `reserved`, insert the reservation: one WITH statement.
    assert statements == ["WITH"]


async def test_a_backorder_and_a_release_are_few_statements(runtime: Runtime, site: Site) -> None:
    stock_line = stock.SupplyLine(site.product_id, site.stock_id, D(2), D(1))
    async with runtime.db.transaction(site.tenant) as session:
        await stock.receive(session, site.tenant, source=None, lines=[stock_line])
    demand = stock.DocumentRef("SO", uuid.uuid4())
    line = stock.DemandLine("1", site.product_id, site.stock_id, D(5))
    async with runtime.db.transaction(site.tenant) as session:
        with counting(runtime) as statements:
            [got] = await stock.reserve(
                session, site.tenant, demand=demand, lines=[line], backorder=True
            )
    assert (got.reserved, got.claimed) == (D(2), D(3))
    assert statements == ["WITH"]
    async with runtime.db.transaction(site.tenant) as session:
        with counting(runtime) as statements:
            assert await stock.release(session, site.tenant, demand=demand) == D(2)
    # Lock the levels it holds; drop reservations and claims and lower the levels.
    assert statements == ["SELECT", "WITH"]


async def test_confirming_a_five_line_order_is_a_fixed_number_of_statements(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant)
    for i in range(3):
        shop.products[f"extra{i}"] = await add_product(
            runtime, tenant.id, name=f"Extra {i}", price="1"
        )
        await receive(runtime, tenant.id, shop.products[f"extra{i}"], shop.location_id, "50")
    stockable = [p for name, p in shop.products.items() if name != "setup"]
    assert len(stockable) == 5
    async with runtime.db.transaction(tenant.id) as session:
        order = await orders.create_sales_order(
            session,
            tenant.id,
            customer_id=shop.customer_id,
            lines=[orders.LineInput(product_id=p, quantity=D(2)) for p in stockable],
        )
    async with runtime.db.transaction(tenant.id) as session:
        with counting(runtime) as statements:
            await orders.confirm_sales_order(session, tenant.id, order.id)
    # The stock part is one statement for all five lines.
    assert statements.count("WITH") == 1
    assert len(statements) == CONFIRM_STATEMENTS, statements


CONFIRM_STATEMENTS = 8
"""Lock the order; the customer (CRM); the exchange rate (the tenant's base currency:
same currency, no credit limit); the lines; the warehouse's STOCK location; the
reservation of all lines (one statement); the order update; the outbox event."""
