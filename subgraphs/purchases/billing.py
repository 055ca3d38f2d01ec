"""An order's billing status, derived from its lines and its bills.

A line is billed in full once its posted bills cover what it will bring: its quantity
less what was cancelled, or what was received if more came in (within tolerance). An
order is BILLED when every line is, PAID when it is billed and every posted bill is
paid, PARTIALLY_BILLED when anything was billed, NOT_BILLED otherwise. Held bills do not
count until released."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.purchases.models import (
    BillingStatus,
    BillStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    VendorBill,
)


def billable_qty(line: PurchaseOrderLine) -> Decimal:
    """What a line will have brought in: its quantity less what was cancelled, or what
    was received if more came in."""
    return max(line.quantity - line.cancelled_qty, line.received_qty)


def billing_status(
    lines: Sequence[PurchaseOrderLine], bill_statuses: Sequence[str]
) -> BillingStatus:
    if not any(ln.billed_qty > 0 for ln in lines):
        return BillingStatus.NOT_BILLED
    if not all(ln.billed_qty >= billable_qty(ln) for ln in lines):
        return BillingStatus.PARTIALLY_BILLED
    posted = [s for s in bill_statuses if s != BillStatus.HELD]
    if posted and all(s == BillStatus.PAID for s in posted):
        return BillingStatus.PAID
    return BillingStatus.BILLED


async def refresh_billing(
    session: AsyncSession,
    tenant: TenantId,
    order: PurchaseOrder,
    lines: Sequence[PurchaseOrderLine],
) -> None:
    """Set the order's billing status from its (locked) lines and its bills."""
    await session.flush()
    statuses = (
        await session.scalars(
            select(VendorBill.status).where(
                VendorBill.tenant_id == tenant, VendorBill.order_id == order.id
            )
        )
    ).all()
    order.billing_status = billing_status(lines, list(statuses))
