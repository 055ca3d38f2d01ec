"""The hot paths' SQL statements, counted: a regression that adds a round trip to a
reservation or an order confirmation fails here (issue 19 item 1). Statements are
counted on the transaction's connection from just after its BEGIN (which carries the
tenant binding) to just before it commits: SQLAlchemy's with its `before_cursor_execute`
hook, those sent on the driver connection (`shared.db.DriverStatement`) with asyncpg's
query logger."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from asyncpg.connection import LoggedQuery
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import Runtime
from shared.db import driver_connection
from subgraphs.sales import orders
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle
from tests.subgraphs.sales.conftest import add_product, make_shop, receive
from tests.subgraphs.stock.conftest import Site

D = Decimal


_INTROSPECTION = ("typeinfo_tree", "set_config('jit'")
"""asyncpg's own type introspection, once per connection for types it has not seen."""


@asynccontextmanager
async def counting(runtime: Runtime, session: AsyncSession) -> AsyncIterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    def logged(query: LoggedQuery) -> None:
        if not any(mark in query.query for mark in _INTROSPECTION):
            seen(None, None, query.query)

    driver = await driver_connection(session)
    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    driver.add_query_logger(logged)
    try:
        yield statements
    finally:
        await asyncio.sleep(0)  # asyncpg hands logged queries over with call_soon
        driver.remove_query_logger(logged)
        event.remove(engine, "before_cursor_execute", seen)


async def test_a_reservation_is_one_statement(runtime: Runtime, site: Site) -> None:
    stock_line = stock.SupplyLine(site.product_id, site.stock_id, D(10), D(1))
    async with runtime.db.transaction(site.tenant) as session:
        await stock.receive(session, site.tenant, source=None, lines=[stock_line])
    line = stock.DemandLine("1", site.product_id, site.stock_id, D(1))
    async with (
        runtime.db.transaction(site.tenant) as session,
        counting(runtime, session) as statements,
    ):
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
    async with (
        runtime.db.transaction(site.tenant) as session,
        counting(runtime, session) as statements,
    ):
        [got] = await stock.reserve(
            session, site.tenant, demand=demand, lines=[line], backorder=True
        )
    assert (got.reserved, got.claimed) == (D(2), D(3))
    assert statements == ["WITH"]
    async with (
        runtime.db.transaction(site.tenant) as session,
        counting(runtime, session) as statements,
    ):
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
    async with (
        runtime.db.transaction(tenant.id) as session,
        counting(runtime, session) as statements,
    ):
        await orders.confirm_sales_order(session, tenant.id, order.id)
    # The stock part is one statement for all five lines, and the last: the levels it
    # locks, which confirmations of the same products wait for, are held only from it
    # to the COMMIT.
    assert statements.count("WITH") == 1
    assert statements[-1] == "WITH", statements
    assert len(statements) == CONFIRM_STATEMENTS, statements


CONFIRM_STATEMENTS = 8
"""Lock the order; the customer (CRM); the exchange rate (the tenant's base currency:
same currency, no credit limit); the lines; the warehouse's STOCK location; the order
update; the outbox event; the reservation of all lines (one statement)."""
