"""Purchases fixtures: a tenant with a warehouse, products, a supplier with a price list,
users of the purchasing, manager and viewer roles, and GraphQL helpers."""

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
from subgraphs.identity import api as identity
from subgraphs.purchases import api as purchases
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def purchases_schema() -> Any:
    from subgraphs.purchases.app import build

    return build()


@pytest.fixture
def gql(runtime: Runtime, purchases_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, purchases_schema)


async def token_for(runtime: Runtime, tenant: TenantHandle, role: str) -> str:
    """A fresh user of `tenant` with `role`, logged in; returns the access token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.transaction(tenant.id) as session:
        await identity.create_user(
            session, tenant.id, email=email, name=role.title(), password=PASSWORD, roles=[role]
        )
    async with runtime.db.transaction(None) as session:
        result = await identity.login(
            session,
            runtime.db,
            runtime.settings,
            tenant_slug=tenant.slug,
            email=email,
            password=PASSWORD,
        )
    return result.access_token


async def add_product(
    runtime: Runtime, tenant: TenantId, *, name: str, type: str = "STOCKABLE"
) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(
                sku=f"{name[:3].upper()}-{uuid.uuid4().hex[:6]}",
                name=name,
                type=type,
                sales_price=Decimal("20"),
            ),
        )
    return product.id


async def add_supplier(
    runtime: Runtime, tenant: TenantId, name: str = "Acme Supply", **fields: Any
) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        supplier = await purchases.create_supplier(
            session, tenant, purchases.SupplierFields(name=name, **fields)
        )
    return supplier.id


async def add_price(
    runtime: Runtime,
    tenant: TenantId,
    supplier: uuid.UUID,
    product: uuid.UUID,
    price: str,
    **terms: Any,
) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        row = await purchases.add_supplier_price(
            session,
            tenant,
            supplier_id=supplier,
            product_id=product,
            fields=purchases.PriceFields(price=Decimal(price), **terms),
        )
    return row.id


async def set_policy(
    runtime: Runtime,
    tenant: TenantId,
    *,
    threshold: str | None = None,
    receipt_tolerance: str = "0",
    match_tolerance: str = "0",
) -> None:
    async with runtime.db.transaction(tenant) as session:
        await purchases.set_policy(
            session,
            tenant,
            approval_threshold=None if threshold is None else Decimal(threshold),
            receipt_tolerance_percent=Decimal(receipt_tolerance),
            match_tolerance_percent=Decimal(match_tolerance),
        )


async def stock_of(
    runtime: Runtime, tenant: TenantId, product: uuid.UUID
) -> tuple[Decimal, Decimal]:
    """(on hand over all internal locations, average unit cost) of `product`."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = (await stock.levels_by_product(session, tenant, [product])).get(product, [])
        found = await stock.product(session, tenant, product)
        assert found is not None
        return sum((r.on_hand for r in rows), Decimal(0)), found.cost


async def events(runtime: Runtime, tenant: TenantId, type: str) -> list[dict[str, Any]]:
    """The payloads of `type` events, oldest first."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == type)
            .order_by(OutboxEvent.occurred_at)
        )
        return list(rows.all())


async def count(runtime: Runtime, tenant: TenantId, model: Any) -> int:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@dataclass
class Buyer:
    """A tenant ready to buy: one warehouse, products, a EUR supplier with prices."""

    tenant: TenantHandle
    purchasing: str
    manager: str
    viewer: str
    warehouse_id: uuid.UUID
    location_id: uuid.UUID
    supplier_id: uuid.UUID
    products: dict[str, uuid.UUID] = field(default_factory=dict)


async def make_buyer(runtime: Runtime, tenant: TenantHandle) -> Buyer:
    async with runtime.db.transaction(tenant.id) as session:
        wh = await stock.create_warehouse(session, tenant.id, code="MAIN", name="Main")
        location = await stock.stock_location(session, tenant.id, wh.id)
    buyer = Buyer(
        tenant=tenant,
        purchasing=await token_for(runtime, tenant, "purchasing"),
        manager=await token_for(runtime, tenant, "manager"),
        viewer=await token_for(runtime, tenant, "viewer"),
        warehouse_id=wh.id,
        location_id=location,
        supplier_id=await add_supplier(runtime, tenant.id, payment_terms_days=30, lead_time_days=5),
    )
    buyer.products["widget"] = await add_product(runtime, tenant.id, name="Widget")
    buyer.products["gadget"] = await add_product(runtime, tenant.id, name="Gadget")
    buyer.products["service"] = await add_product(
        runtime, tenant.id, name="Install", type="SERVICE"
    )
    # Widget: 10.00 from 1, 9.00 from 100; ordered in tens from 10 up.
    await add_price(
        runtime,
        tenant.id,
        buyer.supplier_id,
        buyer.products["widget"],
        "10.00",
        min_quantity=Decimal(10),
        order_multiple=Decimal(10),
    )
    await add_price(
        runtime,
        tenant.id,
        buyer.supplier_id,
        buyer.products["widget"],
        "9.00",
        min_quantity=Decimal(100),
        order_multiple=Decimal(10),
    )
    await add_price(runtime, tenant.id, buyer.supplier_id, buyer.products["gadget"], "2.5000")
    return buyer


@pytest.fixture
async def buyer(runtime: Runtime, tenant: TenantHandle) -> Buyer:
    return await make_buyer(runtime, tenant)


ORDER_FIELDS = """
    id number status billingStatus approvalStatus currency exchangeRate orderDate expectedDate
    untaxed { amount currency } tax { amount } total { amount currency }
    untaxedInBaseCurrency { amount currency }
    approvedBy { id } approvedAt rejectedBy { id } rejectedAt rejectionReason
    confirmedAt receivedAt closedAt cancelledAt
    supplier { id name }
    lines { id position quantity unitCost taxPercent untaxed { amount } tax { amount }
            total { amount } receivedQuantity billedQuantity cancelledQuantity openQuantity
            product { id } }
"""

ERRORS = "errors { field code message }"

CREATE = f"""
mutation($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }}
}}"""

UPDATE = f"""
mutation($input: UpdatePurchaseOrderInput!) {{
  updatePurchaseOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }}
}}"""


def step(name: str, input_type: str = "PurchaseOrderIdInput") -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }}
}}"""


SEND = step("sendPurchaseOrder")
APPROVE = step("approvePurchaseOrder")
REJECT = step("rejectPurchaseOrder", "RejectPurchaseOrderInput")
CONFIRM = step("confirmPurchaseOrder", "ConfirmPurchaseOrderInput")
CANCEL = step("cancelPurchaseOrder")
CLOSE = step("closePurchaseOrder")

RECEIVE = f"""
mutation($input: ReceivePurchaseOrderInput!) {{
  receivePurchaseOrder(input: $input) {{
    order {{ {ORDER_FIELDS} }}
    receipt {{ id number receivedOn lines {{ orderLineId quantity unitCost product {{ id }} }} }}
    {ERRORS}
  }}
}}"""

BILL_FIELDS = """
    id number supplierReference status currency billDate dueDate holdReasons
    untaxed { amount } tax { amount } total { amount currency }
    amountPaid { amount } amountDue { amount } releasedBy { id } postedAt paidAt
    order { id billingStatus }
    lines { position quantity unitCost orderedQuantity receivedQuantity orderedUnitCost
            holdReason total { amount } }
"""

CREATE_BILL = f"""
mutation($input: CreateVendorBillInput!) {{
  createVendorBill(input: $input) {{ bill {{ {BILL_FIELDS} }} {ERRORS} }}
}}"""

RELEASE_BILL = f"""
mutation($input: VendorBillIdInput!) {{
  releaseVendorBill(input: $input) {{ bill {{ {BILL_FIELDS} }} {ERRORS} }}
}}"""

PAY = f"""
mutation($input: PayVendorBillInput!) {{
  payVendorBill(input: $input) {{
    payment {{ id amount {{ amount currency }} date }} bill {{ {BILL_FIELDS} }} {ERRORS}
  }}
}}"""


def line(product: uuid.UUID, quantity: str, **extra: Any) -> dict[str, Any]:
    return {"productId": str(product), "quantity": quantity, **extra}


async def ok(
    gql: GraphQLClient,
    query: str,
    input: dict[str, Any],
    token: str,
    field_name: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run a mutation that must succeed; returns its payload."""
    result = await gql(query, {"input": input}, token=token, headers=headers)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"][field_name]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def refused(
    gql: GraphQLClient, query: str, input: dict[str, Any], token: str, field_name: str
) -> list[dict[str, Any]]:
    """Run a mutation that must answer payload errors; returns them."""
    result = await gql(query, {"input": input}, token=token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"][field_name]
    assert payload["errors"], payload
    return list(payload["errors"])


async def create_order(
    gql: GraphQLClient, buyer: Buyer, lines: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    payload = await ok(
        gql,
        CREATE,
        {"supplierId": str(buyer.supplier_id), "lines": lines, **extra},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    return dict(payload["order"])


async def confirmed_order(
    gql: GraphQLClient, buyer: Buyer, lines: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    order = await create_order(gql, buyer, lines, **extra)
    payload = await ok(gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder")
    return dict(payload["order"])
