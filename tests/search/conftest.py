"""Search test helpers: GraphQL clients of the searched subgraphs, and rows written as the
owner (fast, and the triggers index them like any other write)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.context import Runtime
from tests.conftest import GraphQLClient


@pytest.fixture(scope="session")
def schemas() -> dict[str, Any]:
    from subgraphs.crm.app import build as crm
    from subgraphs.sales.app import build as sales
    from subgraphs.stock.app import build as stock

    return {"crm": crm(), "stock": stock(), "sales": sales()}


@pytest.fixture
def gql(runtime: Runtime, schemas: dict[str, Any]) -> dict[str, GraphQLClient]:
    return {name: GraphQLClient(runtime, schema) for name, schema in schemas.items()}


async def owner_sql(engine: AsyncEngine, sql: str, params: Mapping[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), dict(params))


async def warehouse_and_customer(engine: AsyncEngine, tenant: uuid.UUID) -> tuple[str, str]:
    """A warehouse and a customer for orders to point at."""
    warehouse, customer = str(uuid.uuid4()), str(uuid.uuid4())
    await owner_sql(
        engine,
        "insert into stock.warehouse (tenant_id, id, code, name) values (:t, :w, 'WH', 'Main')",
        {"t": tenant, "w": warehouse},
    )
    await owner_sql(
        engine,
        "insert into crm.customer (tenant_id, id, name) values (:t, :c, 'Orders Customer')",
        {"t": tenant, "c": customer},
    )
    return warehouse, customer


async def add_orders(
    engine: AsyncEngine, tenant: uuid.UUID, numbers: list[str], *, invoices: bool = False
) -> None:
    warehouse, customer = await warehouse_and_customer(engine, tenant)
    for number in numbers:
        order = str(uuid.uuid4())
        await owner_sql(
            engine,
            "insert into sales.sales_order (tenant_id, id, number, customer_id, warehouse_id,"
            " currency, order_date) values (:t, :o, :n, :c, :w, 'EUR', '2026-12-01')",
            {"t": tenant, "o": order, "n": number, "c": customer, "w": warehouse},
        )
        if invoices:
            await owner_sql(
                engine,
                "insert into sales.invoice (tenant_id, id, number, kind, order_id, customer_id,"
                " currency, invoice_date, due_date, untaxed, tax, total) values (:t,"
                " gen_random_uuid(), :n, 'INVOICE', :o, :c, 'EUR', '2026-12-01', '2026-12-31',"
                " 0, 0, 0)",
                {"t": tenant, "o": order, "n": number.replace("SO", "INV"), "c": customer},
            )
