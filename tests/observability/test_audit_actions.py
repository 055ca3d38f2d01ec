"""Each sensitive operation leaves its audit event, with what changed before and after:
role and permission changes, key rotation, price and credit-limit changes, stock counts and
adjustments, document cancellations. (Logins, user changes and deactivation: test_audit.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared import audit
from shared.context import Runtime
from subgraphs.crm import customers
from subgraphs.identity import api as identity
from subgraphs.sales import orders
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle
from tests.subgraphs.sales.conftest import make_shop


async def _events(runtime: Runtime, tenant: TenantHandle, action: audit.Action) -> list[Any]:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        rows = await session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.action == str(action))
            .order_by(audit.AuditEvent.occurred_at)
        )
        return [(e.target_type, e.target_id, e.before, e.after) for e in rows]


async def test_role_creation_and_permission_changes(runtime: Runtime, tenant: TenantHandle) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        role = await identity.create_role(
            session, tenant.id, name="Auditors", permissions=["crm:read"]
        )
    async with runtime.db.transaction(tenant.id) as session:
        await identity.update_role(
            session, tenant.id, role_id=role.id, permissions=["crm:read", "sales:read"]
        )
        await identity.update_role(session, tenant.id, role_id=role.id, description="no change")
    assert await _events(runtime, tenant, audit.Action.ROLE_CREATED) == [
        ("Role", str(role.id), None, {"name": "Auditors", "permissions": ["crm:read"]})
    ]
    assert await _events(runtime, tenant, audit.Action.ROLE_PERMISSIONS_CHANGED) == [
        (
            "Role",
            str(role.id),
            {"permissions": ["crm:read"]},
            {"permissions": ["crm:read", "sales:read"]},
        )
    ]


async def test_price_credit_limit_count_and_cancellation(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="10")
    widget = shop.products["widget"]
    async with runtime.db.transaction(tenant.id) as session:
        await stock.update_product(
            session, tenant.id, widget, stock.ProductFields(sales_price=Decimal("14"))
        )
        await stock.update_product(session, tenant.id, widget, stock.ProductFields(name="Widget"))
        await customers.update_customer(
            session,
            tenant.id,
            customer_id=shop.customer_id,
            fields=customers.CustomerFields(credit_limit=Decimal("5000")),
        )
        await stock.adjust(
            session,
            tenant.id,
            location_id=shop.location_id,
            lines=[stock.CountLine(widget, Decimal("7"))],
            actor=tenant.admin_id,
        )
        order = await orders.create_sales_order(
            session,
            tenant.id,
            customer_id=shop.customer_id,
            lines=[orders.LineInput(widget, Decimal("1"))],
        )
        await orders.cancel_sales_order(session, tenant.id, order.id)

    assert await _events(runtime, tenant, audit.Action.PRICE_CHANGED) == [
        (
            "Product",
            str(widget),
            {"salesPrice": "12.5", "currency": "EUR"},
            {"salesPrice": "14", "currency": "EUR"},
        )
    ]
    assert await _events(runtime, tenant, audit.Action.CREDIT_LIMIT_CHANGED) == [
        (
            "Customer",
            str(shop.customer_id),
            {"creditLimit": None, "currency": "EUR"},
            {"creditLimit": "5000", "currency": "EUR"},
        )
    ]
    [(kind, location, before, after)] = await _events(runtime, tenant, audit.Action.STOCK_ADJUSTED)
    assert (kind, location, before) == ("Location", str(shop.location_id), None)
    assert after == {
        "counted": {str(widget): "7"},
        "moves": [{"productId": str(widget), "quantity": "3"}],
        "brokenReservations": [],
    }
    assert await _events(runtime, tenant, audit.Action.SALES_ORDER_CANCELLED) == [
        (
            "SalesOrder",
            str(order.id),
            {"status": "QUOTATION"},
            {"status": "CANCELLED", "number": order.number},
        )
    ]


async def test_key_rotation_is_a_platform_event(owner_engine: AsyncEngine) -> None:
    async with owner_engine.begin() as conn, AsyncSession(bind=conn) as session:
        kid = await identity.rotate_signing_key(session)
        await session.flush()
        assert await identity.retire_signing_key(session, kid)
    async with owner_engine.connect() as conn, AsyncSession(bind=conn) as session:
        rows = await session.execute(
            select(audit.AuditEvent.tenant_id, audit.AuditEvent.action).where(
                audit.AuditEvent.target_id == kid
            )
        )
        found = sorted((str(t), a) for t, a in rows.all())
    assert found == [
        (str(audit.PLATFORM), "identity.signing_key.retired"),
        (str(audit.PLATFORM), "identity.signing_key.rotated"),
    ]
