"""Approval and confirmation of purchase orders.

An order whose untaxed amount in base currency exceeds the tenant's approval threshold
is confirmed only once approved: by a user holding `purchases:approve` beforehand
(`approve_purchase_order`), or by such a user confirming it (the approval is then
recorded with the confirmation). A refused approval keeps who refused, when and why; a
refused order is confirmed only after an approver approves it after all.

The exchange rate is fixed at confirmation: an order in a foreign currency needs an
explicit `exchange_rate` (one unit of the order's currency in base currency); an order
in base currency has the rate 1.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.purchases.events import PurchaseEvent
from subgraphs.purchases.models import (
    EDITABLE,
    ApprovalStatus,
    OrderState,
    PurchaseOrder,
    Supplier,
)
from subgraphs.purchases.orders import cents, lock_order, now
from subgraphs.purchases.policy import Policy, get_policy

ONE = Decimal(1)
MAX_RATE = Decimal("9999999999")
"""The largest rate numeric(18,8) stores (whole units)."""


def _undecided(order: PurchaseOrder) -> None:
    if order.status not in EDITABLE:
        raise InvalidInput.one(
            "orderId", Code.INVALID_STATE, f"A {order.status} order is past approval"
        )


def base_amount(order: PurchaseOrder, rate: Decimal) -> Decimal:
    """The order's untaxed amount in base currency, to the cent."""
    return cents(order.untaxed * rate)


def needs_approval(policy: Policy, amount_in_base: Decimal) -> bool:
    return policy.approval_threshold is not None and amount_in_base > policy.approval_threshold


async def approve_purchase_order(
    session: AsyncSession, tenant: TenantId, *, order_id: uuid.UUID, actor: uuid.UUID
) -> PurchaseOrder:
    order = await lock_order(session, tenant, order_id)
    _undecided(order)
    if order.approval_status == ApprovalStatus.APPROVED:
        raise InvalidInput.one("orderId", Code.ALREADY_DONE, "The order is approved already")
    order.approval_status = ApprovalStatus.APPROVED
    order.approved_by = actor
    order.approved_at = order.updated_at = now()
    await session.flush()
    return order


async def reject_purchase_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    order_id: uuid.UUID,
    reason: str,
    actor: uuid.UUID,
) -> PurchaseOrder:
    order = await lock_order(session, tenant, order_id)
    checks = Checks()
    reason = checks.text("reason", reason, limit=2000)
    checks.raise_any()
    _undecided(order)
    order.approval_status = ApprovalStatus.REJECTED
    order.rejected_by = actor
    order.rejected_at = order.updated_at = now()
    order.rejection_reason = reason
    order.approved_by = None
    order.approved_at = None
    await session.flush()
    return order


def _rate(checks: Checks, order: PurchaseOrder, policy: Policy, given: Decimal | None) -> Decimal:
    if order.currency == policy.base_currency:
        if given is not None and given != ONE:
            checks.add(
                "exchangeRate", Code.BASE_CURRENCY, "The order is in base currency; its rate is 1"
            )
        return ONE
    if given is None:
        checks.add(
            "exchangeRate",
            Code.EXCHANGE_RATE_MISSING,
            f"Give the {order.currency}/{policy.base_currency} exchange rate to confirm",
        )
        return ONE
    if given.is_finite() and given > MAX_RATE:
        checks.add("exchangeRate", Code.OUT_OF_RANGE, f"At most {MAX_RATE}")
        return ONE
    checks.positive("exchangeRate", given, decimals=8)
    return given


@dataclass(frozen=True, slots=True)
class Approver:
    """Who confirms, and whether they may approve on the spot."""

    user_id: uuid.UUID
    can_approve: bool


async def confirm_purchase_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    order_id: uuid.UUID,
    exchange_rate: Decimal | None = None,
    by: Approver,
) -> PurchaseOrder:
    order = await lock_order(session, tenant, order_id)
    if order.status not in EDITABLE:
        raise InvalidInput.one(
            "orderId", Code.INVALID_TRANSITION, f"A {order.status} order cannot be confirmed"
        )
    supplier = await session.get(Supplier, (tenant, order.supplier_id))
    assert supplier is not None
    if supplier.archived:
        raise InvalidInput.one("orderId", Code.ARCHIVED, "The order's supplier is archived")
    policy = await get_policy(session, tenant)
    checks = Checks()
    rate = _rate(checks, order, policy, exchange_rate)
    checks.raise_any()
    if needs_approval(policy, base_amount(order, rate)):
        if order.approval_status == ApprovalStatus.REJECTED:
            raise InvalidInput.one(
                "orderId",
                Code.APPROVAL_REQUIRED,
                f"The order's approval was refused: {order.rejection_reason}",
            )
        if order.approval_status != ApprovalStatus.APPROVED:
            if not by.can_approve:
                raise InvalidInput.one(
                    "orderId",
                    Code.APPROVAL_REQUIRED,
                    f"{base_amount(order, rate)} {policy.base_currency} is above the approval "
                    f"threshold of {policy.approval_threshold}; a manager must approve it",
                )
            order.approval_status = ApprovalStatus.APPROVED
            order.approved_by = by.user_id
            order.approved_at = now()
    order.status = OrderState.CONFIRMED
    order.exchange_rate = rate
    order.confirmed_by = by.user_id
    order.confirmed_at = order.updated_at = now()
    await session.flush()
    metrics.count(session, metrics.PURCHASE_ORDERS_CONFIRMED)
    await emit(
        session,
        tenant,
        type=PurchaseEvent.PO_CONFIRMED,
        aggregate_type="PurchaseOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "supplierId": str(order.supplier_id),
            "currency": order.currency,
            "total": str(cents(order.total)),
            "exchangeRate": str(rate),
            "expectedDate": order.expected_date.isoformat() if order.expected_date else None,
            "approvedBy": str(order.approved_by) if order.approved_by else None,
        },
    )
    return order
