"""Vendor bills: the supplier's invoice matched three ways against the order, its
payments and the amount still due.

A bill that matches (`matching.mismatches` finds nothing on any line) is POSTED: its
quantities count as billed on the order lines and it takes payments. One that does not
is HELD with its reasons (a `bill.held` event) until a user with `purchases:approve`
releases it. Posting a unit cost unlike the order line's on quantity already received
revalues that stock (stock's `revalue`, in base currency at the order's rate). The due
date is the bill date plus the supplier's payment terms. Every writer locks the order
row first, then the bill, so bill and receipt writers of one order queue in one order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import MAX_AMOUNT, Checks
from subgraphs.purchases.billing import refresh_billing
from subgraphs.purchases.events import PurchaseEvent
from subgraphs.purchases.matching import MatchLine, mismatches
from subgraphs.purchases.models import (
    COMMITTED,
    BillPayment,
    BillStatus,
    DocumentKind,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    VendorBill,
    VendorBillLine,
)
from subgraphs.purchases.numbering import next_number
from subgraphs.purchases.orders import (
    HUNDRED,
    MAX_LINES,
    ZERO,
    cents,
    line_amounts,
    lock_order,
    now,
    order_lines,
    today,
)
from subgraphs.purchases.policy import get_policy
from subgraphs.stock import api as stock

BILL_SOURCE = "VendorBill"


@dataclass(frozen=True, slots=True)
class BillLineInput:
    """One billed line; unit cost and tax default to the order line's."""

    line_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal | None = None
    tax_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class _Billed:
    line: PurchaseOrderLine
    quantity: Decimal
    unit_cost: Decimal
    tax_percent: Decimal


def _what_is_billed(
    lines: Sequence[PurchaseOrderLine], given: Sequence[BillLineInput] | None, checks: Checks
) -> list[_Billed]:
    if given is None:
        billed = [
            _Billed(ln, ln.received_qty - ln.billed_qty, ln.unit_cost, ln.tax_percent)
            for ln in lines
            if ln.received_qty > ln.billed_qty
        ]
        if not billed:
            checks.add("orderId", Code.NOTHING_TO_BILL, "Everything received is billed already")
        return billed
    if not given:
        checks.add("lines", Code.REQUIRED, "Name at least one line, or leave lines out")
        return []
    if len(given) > MAX_LINES:
        checks.add("lines", Code.TOO_MANY, f"At most {MAX_LINES} lines")
        return []
    by_id = {ln.id: ln for ln in lines}
    seen: set[uuid.UUID] = set()
    billed = []
    for i, item in enumerate(given):
        before = len(checks.problems)
        at = checks.at("lines", i)
        line = by_id.get(item.line_id)
        if line is None:
            at.extend(not_found("lineId", "line of this order"))
        elif item.line_id in seen:
            at.add("lineId", Code.DUPLICATE, "Name each line once")
        seen.add(item.line_id)
        at.positive("quantity", item.quantity)
        if item.unit_cost is not None:
            at.non_negative("unitCost", item.unit_cost)
        if item.tax_percent is not None:
            at.decimal_range("taxPercent", item.tax_percent, ZERO, HUNDRED)
            at.precision("taxPercent", item.tax_percent)
        if line is None or len(checks.problems) > before:
            continue
        b = _Billed(
            line,
            item.quantity,
            line.unit_cost if item.unit_cost is None else item.unit_cost,
            line.tax_percent if item.tax_percent is None else item.tax_percent,
        )
        if line_amounts(b.quantity, b.unit_cost, b.tax_percent)[2] > MAX_AMOUNT:
            at.add("quantity", Code.OUT_OF_RANGE, "The line's amount is too large")
            continue
        billed.append(b)
    if sum((line_amounts(b.quantity, b.unit_cost, b.tax_percent)[2] for b in billed), ZERO) > (
        MAX_AMOUNT
    ):
        checks.add("lines", Code.OUT_OF_RANGE, "The bill's total is too large")
    return billed


async def create_vendor_bill(
    session: AsyncSession,
    tenant: TenantId,
    *,
    order_id: uuid.UUID,
    supplier_reference: str,
    bill_date: dt.date | None = None,
    lines: Sequence[BillLineInput] | None = None,
    actor: uuid.UUID | None = None,
) -> VendorBill:
    """Record the supplier's bill for an order: the given lines, or everything received
    and not yet billed at the order's unit costs."""
    order = await lock_order(session, tenant, order_id)
    if order.status not in COMMITTED:
        raise InvalidInput.one(
            "orderId", Code.INVALID_STATE, f"A {order.status} order takes no bills"
        )
    checks = Checks()
    reference = checks.text("supplierReference", supplier_reference, limit=100)
    all_lines = await order_lines(session, tenant, order.id)
    billed = _what_is_billed(all_lines, lines, checks)
    if checks.ok:
        taken = await session.scalar(
            select(VendorBill.id).where(
                VendorBill.tenant_id == tenant,
                VendorBill.supplier_id == order.supplier_id,
                VendorBill.supplier_reference == reference,
            )
        )
        if taken is not None:
            checks.add(
                "supplierReference", Code.DUPLICATE, "This supplier's bill is recorded already"
            )
    checks.raise_any()
    policy = await get_policy(session, tenant)
    supplier = await session.get(Supplier, (tenant, order.supplier_id))
    assert supplier is not None
    day = bill_date or today()
    bill = VendorBill(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, DocumentKind.BILL, day),
        supplier_reference=reference,
        order_id=order.id,
        supplier_id=order.supplier_id,
        currency=order.currency,
        bill_date=day,
        due_date=day + dt.timedelta(days=supplier.payment_terms_days),
        created_by=actor,
        amount_paid=ZERO,
    )
    bill_lines = []
    reasons: list[str] = []
    for position, b in enumerate(billed, start=1):
        found = mismatches(
            MatchLine(
                position=b.line.position,
                ordered_qty=b.line.quantity - b.line.cancelled_qty,
                received_qty=b.line.received_qty,
                billed_before=b.line.billed_qty,
                quantity=b.quantity,
                ordered_unit_cost=b.line.unit_cost,
                unit_cost=b.unit_cost,
            ),
            policy.match_tolerance_percent,
        )
        reasons += found
        untaxed, tax, total = line_amounts(b.quantity, b.unit_cost, b.tax_percent)
        bill_lines.append(
            VendorBillLine(
                tenant_id=tenant,
                id=uuid.uuid4(),
                bill_id=bill.id,
                order_line_id=b.line.id,
                position=position,
                product_id=b.line.product_id,
                quantity=b.quantity,
                unit_cost=b.unit_cost,
                tax_percent=b.tax_percent,
                untaxed=untaxed,
                tax=tax,
                total=total,
                ordered_qty=b.line.quantity - b.line.cancelled_qty,
                received_qty=b.line.received_qty,
                ordered_unit_cost=b.line.unit_cost,
                hold_reason="; ".join(found) or None,
            )
        )
    bill.untaxed = sum((ln.untaxed for ln in bill_lines), ZERO)
    bill.tax = sum((ln.tax for ln in bill_lines), ZERO)
    bill.total = bill.untaxed + bill.tax
    bill.hold_reasons = reasons
    bill.status = BillStatus.HELD if reasons else BillStatus.POSTED
    session.add(bill)
    await session.flush()
    session.add_all(bill_lines)
    if reasons:
        await session.flush()
        await emit(
            session,
            tenant,
            type=PurchaseEvent.BILL_HELD,
            aggregate_type="VendorBill",
            aggregate_id=bill.id,
            payload={
                "number": bill.number,
                "orderId": str(order.id),
                "supplierId": str(order.supplier_id),
                "total": str(cents(bill.total)),
                "currency": bill.currency,
                "reasons": reasons,
            },
        )
    else:
        await _post(session, tenant, order, all_lines, bill, bill_lines, actor=actor)
    return bill


async def _post(
    session: AsyncSession,
    tenant: TenantId,
    order: PurchaseOrder,
    lines: Sequence[PurchaseOrderLine],
    bill: VendorBill,
    bill_lines: Sequence[VendorBillLine],
    *,
    actor: uuid.UUID | None,
) -> None:
    by_id = {ln.id: ln for ln in lines}
    changes: list[tuple[uuid.UUID, Decimal, Decimal]] = []
    for bl in bill_lines:
        line = by_id[bl.order_line_id]
        # Of this bill's quantity, what was received before it (at the ordered cost).
        received = min(bl.quantity, max(line.received_qty - line.billed_qty, ZERO))
        difference = bl.unit_cost - line.unit_cost
        if received > 0 and difference != 0:
            changes.append((bl.product_id, difference * received, received))
        line.billed_qty += bl.quantity
    await _revalue_received(session, tenant, order, bill, changes, actor)
    bill.status = BillStatus.POSTED
    bill.posted_at = now()
    metrics.count(session, metrics.PURCHASE_BILLS_POSTED, metrics.currency(bill.currency))
    await refresh_billing(session, tenant, order, lines)
    await session.flush()


async def _revalue_received(
    session: AsyncSession,
    tenant: TenantId,
    order: PurchaseOrder,
    bill: VendorBill,
    changes: Sequence[tuple[uuid.UUID, Decimal, Decimal]],
    actor: uuid.UUID | None,
) -> None:
    """A price billed unlike the order's on goods already received: the difference (in
    base currency at the order's rate) goes into the cost of what is still on hand."""
    if not changes:
        return
    assert order.exchange_rate is not None
    products = await stock.products_by_id(session, tenant, [p for p, _, _ in changes])
    for product_id, value, quantity in changes:
        if products[product_id].type != stock.ProductType.STOCKABLE:
            continue
        await stock.revalue(
            session,
            tenant,
            product_id=product_id,
            value_change=value * order.exchange_rate,
            quantity=quantity,
            source=stock.DocumentRef(BILL_SOURCE, bill.id),
            actor=actor,
        )


async def _locked_bill(
    session: AsyncSession, tenant: TenantId, bill_id: uuid.UUID
) -> tuple[PurchaseOrder, VendorBill]:
    order_id = await session.scalar(
        select(VendorBill.order_id).where(VendorBill.tenant_id == tenant, VendorBill.id == bill_id)
    )
    if order_id is None:
        raise not_found("billId", "vendor bill")
    order = await lock_order(session, tenant, order_id)
    bill = await session.scalar(
        select(VendorBill)
        .where(VendorBill.tenant_id == tenant, VendorBill.id == bill_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert bill is not None
    return order, bill


async def release_vendor_bill(
    session: AsyncSession, tenant: TenantId, *, bill_id: uuid.UUID, actor: uuid.UUID
) -> VendorBill:
    """Post a held bill as it is (the approver accepts the differences)."""
    order, bill = await _locked_bill(session, tenant, bill_id)
    if bill.status != BillStatus.HELD:
        raise InvalidInput.one("billId", Code.INVALID_STATE, f"A {bill.status} bill is not held")
    bill_lines = (
        await session.scalars(
            select(VendorBillLine).where(
                VendorBillLine.tenant_id == tenant, VendorBillLine.bill_id == bill.id
            )
        )
    ).all()
    bill.released_by = actor
    bill.released_at = now()
    await _post(
        session,
        tenant,
        order,
        await order_lines(session, tenant, order.id),
        bill,
        bill_lines,
        actor=actor,
    )
    return bill


@dataclass(frozen=True, slots=True)
class PaymentResult:
    payment: BillPayment
    bill: VendorBill

    @property
    def id(self) -> uuid.UUID:
        return self.payment.id


async def pay_vendor_bill(
    session: AsyncSession,
    tenant: TenantId,
    *,
    bill_id: uuid.UUID,
    amount: Decimal,
    date: dt.date | None = None,
    actor: uuid.UUID | None = None,
) -> PaymentResult:
    """Pay (part of) a posted bill; paid in full it is PAID (a `bill.paid` event), and an
    order whose bills are all paid is PAID."""
    order, bill = await _locked_bill(session, tenant, bill_id)
    checks = Checks()
    checks.positive("amount", amount, decimals=2)
    checks.raise_any()
    if bill.status == BillStatus.HELD:
        raise InvalidInput.one("billId", Code.NOT_PAYABLE, "The bill is held; release it first")
    if bill.status == BillStatus.PAID:
        raise InvalidInput.one("billId", Code.ALREADY_PAID, "The bill is paid in full")
    if amount > bill.amount_due:
        raise InvalidInput.one(
            "amount", Code.OVERPAYMENT, f"At most {bill.amount_due} {bill.currency} is due"
        )
    payment = BillPayment(
        tenant_id=tenant,
        id=uuid.uuid4(),
        bill_id=bill.id,
        amount=amount,
        date=date or today(),
        created_by=actor,
    )
    session.add(payment)
    bill.amount_paid += amount
    if bill.amount_due == 0:
        bill.status = BillStatus.PAID
        bill.paid_at = now()
        await refresh_billing(session, tenant, order, await order_lines(session, tenant, order.id))
        await emit(
            session,
            tenant,
            type=PurchaseEvent.BILL_PAID,
            aggregate_type="VendorBill",
            aggregate_id=bill.id,
            payload={
                "number": bill.number,
                "orderId": str(order.id),
                "supplierId": str(bill.supplier_id),
                "total": str(cents(bill.total)),
                "currency": bill.currency,
            },
        )
    await session.flush()
    return PaymentResult(payment, bill)


async def payment_result(
    session: AsyncSession, tenant: TenantId, payment_id: uuid.UUID
) -> PaymentResult:
    """A recorded payment with its bill as it is now (an Idempotency-Key replay)."""
    payment = await session.get(BillPayment, (tenant, payment_id))
    assert payment is not None, "a recorded payment exists"
    bill = await session.get(VendorBill, (tenant, payment.bill_id))
    assert bill is not None
    return PaymentResult(payment, bill)
