"""Landed costs: freight, duty, insurance and other charges on goods received, put into
the cost of the stock they came with.

The charges (each in the order's currency, converted at the rate fixed at
confirmation, or in base currency) add up to a total in base currency to the cent. The
total is allocated over the receipt's stockable lines (or every receipt of the order)
by their value or their quantity: each share rounded to the cent, half up, the last line
taking the remainder, so the shares add up to the total exactly. Each share goes into
its product's average cost through stock's `revalue` (only what is still on hand keeps
it). There is no allocation by weight: products carry none.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.purchases.models import (
    COMMITTED,
    LandedCost,
    LandedCostAllocation,
    LandedCostKind,
    LandedCostLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
)
from subgraphs.purchases.orders import MAX_LINES, ZERO, lock_order
from subgraphs.purchases.policy import base_currency
from subgraphs.stock import api as stock

SOURCE_TYPE = "LandedCost"
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CostInput:
    kind: LandedCostKind
    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class LandedCostResult:
    landed_cost: LandedCost
    lines: list[LandedCostLine]

    @property
    def id(self) -> uuid.UUID:
        return self.landed_cost.id


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` (to the cent) split in proportion to `weights` (their sum > 0): each share
    rounded to the cent half up, never past what is left, the last taking the rest."""
    whole = sum(weights, ZERO)
    shares: list[Decimal] = []
    left = total
    for w in weights[:-1]:
        share = min(_cents(total * w / whole), left)
        shares.append(share)
        left -= share
    shares.append(left)
    return shares


async def _lines_of(
    session: AsyncSession,
    tenant: TenantId,
    receipt_id: uuid.UUID | None,
    order_id: uuid.UUID | None,
) -> tuple[PurchaseOrder, uuid.UUID | None, list[ReceiptLine]]:
    if (receipt_id is None) == (order_id is None):
        raise InvalidInput.one(
            "receiptId", Code.REQUIRED, "Give either a receipt or a purchase order"
        )
    if receipt_id is not None:
        receipt = await session.get(Receipt, (tenant, receipt_id))
        if receipt is None:
            raise not_found("receiptId", "receipt")
        order = await lock_order(session, tenant, receipt.order_id, field="receiptId")
        where = ReceiptLine.receipt_id == receipt_id
    else:
        assert order_id is not None
        order = await lock_order(session, tenant, order_id, field="purchaseOrderId")
        receipts = select(Receipt.id).where(
            Receipt.tenant_id == tenant, Receipt.order_id == order.id
        )
        where = ReceiptLine.receipt_id.in_(receipts)
    # In receipt order, then the order's line order: the last line takes the remainder.
    rows = await session.scalars(
        select(ReceiptLine)
        .join(Receipt, (Receipt.tenant_id == tenant) & (Receipt.id == ReceiptLine.receipt_id))
        .join(
            PurchaseOrderLine,
            (PurchaseOrderLine.tenant_id == tenant)
            & (PurchaseOrderLine.id == ReceiptLine.order_line_id),
        )
        .where(ReceiptLine.tenant_id == tenant, where)
        .order_by(Receipt.created_at, Receipt.number, PurchaseOrderLine.position)
    )
    return order, receipt_id, list(rows.all())


async def add_landed_costs(
    session: AsyncSession,
    tenant: TenantId,
    *,
    receipt_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    costs: Sequence[CostInput],
    allocation: LandedCostAllocation,
    actor: uuid.UUID | None = None,
) -> LandedCostResult:
    """Allocate the charges over the received stockable lines and revalue their stock."""
    checks = Checks()
    if not costs:
        checks.add("costs", Code.REQUIRED, "Give at least one cost")
    elif len(costs) > MAX_LINES:
        checks.add("costs", Code.TOO_MANY, f"At most {MAX_LINES} costs")
    for i, c in enumerate(costs[:MAX_LINES]):
        at = checks.at("costs", i)
        at.positive("amount", c.amount, decimals=2)
        if c.currency is not None:
            at.currency("currency", c.currency)
    checks.raise_any()
    order, receipt_id, received = await _lines_of(session, tenant, receipt_id, order_id)
    where = "receiptId" if receipt_id is not None else "purchaseOrderId"
    if order.status not in COMMITTED:
        raise InvalidInput.one(where, Code.INVALID_STATE, f"A {order.status} order has no receipts")
    assert order.exchange_rate is not None
    base = await base_currency(session, tenant)
    recorded: list[dict[str, str]] = []
    total = ZERO
    for i, c in enumerate(costs):
        currency = (c.currency or order.currency).strip().upper()
        if currency == order.currency:
            amount = _cents(c.amount * order.exchange_rate)
        elif currency == base:
            amount = c.amount
        else:
            checks.at("costs", i).add(
                "currency",
                Code.INVALID_CHOICE,
                f"In the order's currency ({order.currency}) or the base currency ({base})",
            )
            continue
        total += amount
        recorded.append(
            {
                "kind": str(c.kind),
                "amount": str(c.amount),
                "currency": currency,
                "baseAmount": str(amount),
            }
        )
    checks.raise_any()
    products = await stock.products_by_id(session, tenant, [ln.product_id for ln in received])
    lines = [ln for ln in received if products[ln.product_id].type == stock.ProductType.STOCKABLE]
    if not lines:
        raise InvalidInput.one(where, Code.NOT_STOCKABLE, "No stockable goods were received")
    if allocation == LandedCostAllocation.VALUE:
        weights = [ln.quantity * ln.unit_cost for ln in lines]
        if sum(weights, ZERO) == 0:
            raise InvalidInput.one(
                "allocation", Code.INVALID, "The goods have no value; allocate by QUANTITY"
            )
    else:
        weights = [ln.quantity for ln in lines]
    document = LandedCost(
        tenant_id=tenant,
        id=uuid.uuid4(),
        order_id=order.id,
        receipt_id=receipt_id,
        allocation=str(allocation),
        costs=recorded,
        total=total,
        created_by=actor,
    )
    session.add(document)
    await session.flush()
    shares = [
        LandedCostLine(
            tenant_id=tenant,
            id=uuid.uuid4(),
            landed_cost_id=document.id,
            receipt_line_id=ln.id,
            product_id=ln.product_id,
            position=position,
            amount=share,
        )
        for position, (ln, share) in enumerate(zip(lines, allocate(total, weights), strict=True), 1)
    ]
    session.add_all(shares)
    await session.flush()
    for ln, share in zip(lines, shares, strict=True):
        if share.amount:
            await stock.revalue(
                session,
                tenant,
                product_id=ln.product_id,
                value_change=share.amount,
                quantity=ln.quantity,
                source=stock.DocumentRef(SOURCE_TYPE, document.id),
                actor=actor,
            )
    return LandedCostResult(document, shares)
