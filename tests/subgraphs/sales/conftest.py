"""Sales fixtures: a tenant with a warehouse, products with stock, a customer, and
GraphQL clients for users of given roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.context import Runtime
from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.crm import api as crm
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle, token_for


@pytest.fixture(scope="session")
def sales_schema() -> Any:
    from subgraphs.sales.app import build

    return build()


@pytest.fixture
def sales_gql(runtime: Runtime, sales_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, sales_schema)


@dataclass
class Shop:
    """A tenant ready to sell: one warehouse, goods on hand, a service, a customer."""

    tenant: TenantHandle
    token: str
    warehouse_id: uuid.UUID
    location_id: uuid.UUID
    customer_id: uuid.UUID
    products: dict[str, uuid.UUID] = field(default_factory=dict)


async def add_product(
    runtime: Runtime,
    tenant: TenantId,
    *,
    name: str,
    price: str,
    type: stock.ProductType = stock.ProductType.STOCKABLE,
) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(
                sku=f"{name[:3].upper()}-{uuid.uuid4().hex[:6]}",
                name=name,
                type=type,
                sales_price=Decimal(price),
            ),
        )
    return product.id


async def receive(
    runtime: Runtime, tenant: TenantId, product: uuid.UUID, location: uuid.UUID, quantity: str
) -> None:
    async with runtime.db.transaction(tenant) as session:
        await stock.receive(
            session,
            tenant,
            source=None,
            lines=[stock.SupplyLine(product, location, Decimal(quantity), Decimal("2"))],
        )


async def add_customer(
    runtime: Runtime, tenant: TenantHandle, name: str = "Acme Buyer", currency: str = "EUR"
) -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        customer = await crm.create_customer(
            session,
            tenant.id,
            fields=crm.CustomerFields(name=name, currency=currency),
            actor=tenant.admin_id,
        )
    return customer.id


async def levels(runtime: Runtime, tenant: TenantId, product: uuid.UUID) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of `product` over all internal locations."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = (await stock.levels_by_product(session, tenant, [product])).get(product, [])
    return (
        sum((r.on_hand for r in rows), Decimal(0)),
        sum((r.reserved for r in rows), Decimal(0)),
    )


async def event_count(runtime: Runtime, tenant: TenantId, type: str) -> int:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == type)
            )
            or 0
        )


async def make_shop(runtime: Runtime, tenant: TenantHandle, *, on_hand: str = "100") -> Shop:
    async with runtime.db.transaction(tenant.id) as session:
        wh = await stock.create_warehouse(session, tenant.id, code="MAIN", name="Main")
        location = await stock.stock_location(session, tenant.id, wh.id)
    shop = Shop(
        tenant=tenant,
        # The people who sell, ship and book an order between them (issue 11 split the jobs).
        token=await token_for(runtime, tenant, "sales", "warehouse", "accountant"),
        warehouse_id=wh.id,
        location_id=location,
        customer_id=await add_customer(runtime, tenant),
    )
    shop.products["widget"] = await add_product(runtime, tenant.id, name="Widget", price="12.50")
    shop.products["gadget"] = await add_product(runtime, tenant.id, name="Gadget", price="3.33")
    shop.products["setup"] = await add_product(
        runtime, tenant.id, name="Setup", price="80", type=stock.ProductType.SERVICE
    )
    for key in ("widget", "gadget"):
        await receive(runtime, tenant.id, shop.products[key], location, on_hand)
    return shop


@pytest.fixture
async def shop(runtime: Runtime, tenant: TenantHandle) -> Shop:
    return await make_shop(runtime, tenant)


ORDER_FIELDS = """
    id number status invoiceStatus currency exchangeRate createdAt updatedAt confirmedAt
    untaxed { amount currency } tax { amount } total { amount currency }
    lines { id position quantity unitPrice discountPercent taxPercent
            untaxed { amount } tax { amount } total { amount }
            deliveredQuantity returnedQuantity invoicedQuantity product { id } }
"""

CREATE = f"""
mutation($input: CreateSalesOrderInput!) {{
  createSalesOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} errors {{ field code message }} }}
}}"""

CONFIRM = f"""
mutation($input: ConfirmSalesOrderInput!) {{
  confirmSalesOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} errors {{ field code message }} }}
}}"""

DELIVER = f"""
mutation($input: DeliverSalesOrderInput!) {{
  deliverSalesOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} errors {{ field code message }} }}
}}"""

INVOICE_FIELDS = """
    id number kind status postedAt paidAt
    untaxed { amount } tax { amount } total { amount currency }
    amountPaid { amount } amountDue { amount }
    lines { quantity untaxed { amount } tax { amount } total { amount } }
"""

INVOICE = f"""
mutation($input: SalesOrderIdInput!) {{
  invoiceSalesOrder(input: $input) {{ invoice {{ {INVOICE_FIELDS} }} errors {{ field code message }} }}
}}"""

PAY = f"""
mutation($input: RegisterPaymentInput!) {{
  registerPayment(input: $input) {{
    payment {{ id amount {{ amount }} }} invoice {{ {INVOICE_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

RETURN = f"""
mutation($input: ReturnSalesOrderInput!) {{
  returnSalesOrder(input: $input) {{
    order {{ {ORDER_FIELDS} }} creditNote {{ {INVOICE_FIELDS} }} errors {{ field code message }}
  }}
}}"""


def line(product: uuid.UUID, quantity: str, **extra: Any) -> dict[str, Any]:
    return {"productId": str(product), "quantity": quantity, **extra}


async def create_order(
    gql: GraphQLClient, shop: Shop, lines: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    result = await gql(
        CREATE,
        {"input": {"customerId": str(shop.customer_id), "lines": lines, **extra}},
        token=shop.token,
    )
    payload = result["data"]["createSalesOrder"]
    assert payload["errors"] == [], payload["errors"]
    return dict(payload["order"])
