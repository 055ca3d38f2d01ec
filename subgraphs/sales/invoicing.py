"""Invoices and payments. Rounding follows `orders.line_amounts`.

Per order line, `invoiced_qty` is the quantity invoiced net of credit notes, and it never
exceeds what the customer keeps (`delivered_qty - returned_qty`): invoicing bills the
difference, and a return (see `returns.py`) credits whatever was billed beyond what
remains.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.models import (
    BOOKED,
    DocumentKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoicingStatus,
    Payment,
    SalesOrder,
    SalesOrderLine,
)
from subgraphs.sales.numbering import next_number
from subgraphs.sales.orders import (
    ZERO,
    get_order,
    line_amounts,
    order_lines,
    require_state,
    today,
)


class Overpayment(InvalidInput):
    def __init__(self, due: Decimal, currency: str) -> None:
        super().__init__(
            InvalidInput.one(
                "amount",
                Code.OVERPAYMENT,
                f"Only {due.normalize():f} {currency} is due on this invoice",
            ).problems
        )
        self.due = due


def amount_due(invoice: Invoice) -> Decimal:
    return invoice.total - invoice.amount_paid


async def post(
    session: AsyncSession,
    tenant: TenantId,
    order: SalesOrder,
    quantities: dict[uuid.UUID, Decimal],
    lines: Sequence[SalesOrderLine],
    *,
    kind: InvoiceKind,
    on: dt.date,
    reason: str = "",
) -> Invoice:
    """Post an invoice or credit note over `quantities` of the order's `lines`."""
    invoice = Invoice(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, DocumentKind(kind.value), on),
        kind=kind,
        status=InvoiceStatus.POSTED,
        order_id=order.id,
        customer_id=order.customer_id,
        currency=order.currency,
        invoice_date=on,
        amount_paid=ZERO,
        reason=reason,
    )
    rows = []
    for ln in lines:
        quantity = quantities.get(ln.id, ZERO)
        if quantity <= 0:
            continue
        untaxed, tax, total = line_amounts(
            quantity, ln.unit_price, ln.discount_percent, ln.tax_percent
        )
        rows.append(
            InvoiceLine(
                tenant_id=tenant,
                id=uuid.uuid4(),
                invoice_id=invoice.id,
                order_line_id=ln.id,
                product_id=ln.product_id,
                quantity=quantity,
                unit_price=ln.unit_price,
                discount_percent=ln.discount_percent,
                tax_percent=ln.tax_percent,
                untaxed=untaxed,
                tax=tax,
                total=total,
            )
        )
    invoice.untaxed = sum((r.untaxed for r in rows), ZERO)
    invoice.tax = sum((r.tax for r in rows), ZERO)
    invoice.total = invoice.untaxed + invoice.tax
    session.add(invoice)
    await session.flush()
    session.add_all(rows)
    await session.flush()
    await emit(
        session,
        tenant,
        type=SalesEvent.INVOICE_POSTED,
        aggregate_type="Invoice",
        aggregate_id=invoice.id,
        payload={
            "number": invoice.number,
            "kind": str(kind),
            "orderId": str(order.id),
            "customerId": str(order.customer_id),
            "currency": invoice.currency,
            "total": str(invoice.total),
        },
    )
    metrics.count(
        session, metrics.INVOICES_ISSUED, metrics.bounded(kind, ("INVOICE", "CREDIT_NOTE"))
    )
    return invoice


async def refresh_invoice_status(
    session: AsyncSession, tenant: TenantId, order: SalesOrder, lines: Sequence[SalesOrderLine]
) -> None:
    if not any(ln.invoiced_qty > 0 for ln in lines):
        order.invoice_status = InvoicingStatus.NOT_INVOICED
        return
    if any(ln.invoiced_qty < ln.quantity - ln.returned_qty for ln in lines):
        order.invoice_status = InvoicingStatus.PARTIALLY_INVOICED
        return
    unpaid = await session.scalar(
        select(Invoice.id).where(
            Invoice.tenant_id == tenant,
            Invoice.order_id == order.id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status != InvoiceStatus.PAID,
        )
    )
    order.invoice_status = InvoicingStatus.INVOICED if unpaid is not None else InvoicingStatus.PAID


async def invoice_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, *, on: dt.date | None = None
) -> Invoice:
    """Post an invoice for what is delivered and not yet invoiced (numbered INV-YYYY-N)."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, BOOKED, Code.INVALID_STATE, "Only confirmed orders can be invoiced")
    lines = await order_lines(session, tenant, order.id)
    quantities = {
        ln.id: ln.delivered_qty - ln.returned_qty - ln.invoiced_qty
        for ln in lines
        if ln.delivered_qty - ln.returned_qty - ln.invoiced_qty > 0
    }
    if not quantities:
        raise InvalidInput.one(
            "orderId", Code.NOTHING_TO_INVOICE, "Everything delivered is already invoiced"
        )
    invoice = await post(
        session, tenant, order, quantities, lines, kind=InvoiceKind.INVOICE, on=on or today()
    )
    for ln in lines:
        ln.invoiced_qty += quantities.get(ln.id, ZERO)
    await refresh_invoice_status(session, tenant, order, lines)
    await session.flush()
    return invoice


async def get_invoice(
    session: AsyncSession, tenant: TenantId, invoice_id: uuid.UUID, *, lock: bool = False
) -> Invoice:
    """The invoice or credit note, fresh (locked with `lock`); NOT_FOUND at `invoiceId`."""
    stmt = (
        select(Invoice)
        .where(Invoice.tenant_id == tenant, Invoice.id == invoice_id)
        .execution_options(populate_existing=True)
    )
    invoice = await session.scalar(stmt.with_for_update() if lock else stmt)
    if invoice is None:
        raise not_found("invoiceId", "invoice")
    return invoice


async def get_payment(session: AsyncSession, tenant: TenantId, payment_id: uuid.UUID) -> Payment:
    """A payment; NOT_FOUND at `paymentId`."""
    payment = await session.get(Payment, (tenant, payment_id))
    if payment is None:
        raise not_found("paymentId", "payment")
    return payment


async def register_payment(
    session: AsyncSession,
    tenant: TenantId,
    invoice_id: uuid.UUID,
    *,
    amount: Decimal,
    on: dt.date | None = None,
) -> tuple[Invoice, Payment]:
    """Record a (partial) payment; the invoice is PAID once nothing is due. Paying more
    than is due raises `Overpayment`."""
    found = await get_invoice(session, tenant, invoice_id)
    # The order first, as invoicing does, so the two never wait on each other in a cycle.
    order = await get_order(session, tenant, found.order_id, lock=True)
    invoice = await get_invoice(session, tenant, invoice_id, lock=True)
    checks = Checks()
    if invoice.kind != InvoiceKind.INVOICE:
        checks.add("invoiceId", Code.NOT_PAYABLE, "Credit notes are refunded")
    elif invoice.status == InvoiceStatus.PAID:
        checks.add("invoiceId", Code.ALREADY_PAID, "The invoice is paid")
    checks.positive("amount", amount, decimals=2)
    checks.raise_any()
    if amount > amount_due(invoice):
        raise Overpayment(amount_due(invoice), invoice.currency)
    payment = Payment(
        tenant_id=tenant, id=uuid.uuid4(), invoice_id=invoice.id, amount=amount, date=on or today()
    )
    session.add(payment)
    metrics.count(session, metrics.PAYMENTS, metrics.currency(invoice.currency))
    metrics.count(
        session, metrics.PAYMENTS_VALUE, metrics.currency(invoice.currency), amount=float(amount)
    )
    invoice.amount_paid += amount
    if amount_due(invoice) == 0:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = dt.datetime.now(dt.UTC)
        await emit(
            session,
            tenant,
            type=SalesEvent.INVOICE_PAID,
            aggregate_type="Invoice",
            aggregate_id=invoice.id,
            payload={
                "number": invoice.number,
                "orderId": str(order.id),
                "total": str(invoice.total),
                "currency": invoice.currency,
            },
        )
    await session.flush()
    await refresh_invoice_status(
        session, tenant, order, await order_lines(session, tenant, order.id)
    )
    await session.flush()
    return invoice, payment
