"""Invoices and payments. Rounding follows `orders.line_amounts`.

An invoice is due `payment_terms_days` (CRM's, of the customer) after its date; a credit
note at once. An invoice date may be set: not after today, not before the order was
confirmed, and not before the latest invoice already posted, which closes the past (the
numbers of a year's series then follow the dates, as invoicing law in most of Europe asks).
A payment is dated between its invoice's date and today.

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

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks, date_problem
from subgraphs.crm import api as crm
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.models import (
    BOOKED,
    DocumentKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoicingStatus,
    OrderState,
    Payment,
    PaymentKind,
    SalesOrder,
    SalesOrderLine,
)
from subgraphs.sales.numbering import next_number
from subgraphs.sales.orders import (
    ZERO,
    check_date,
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
    due = on
    if kind == InvoiceKind.INVOICE:
        customer = await crm.get_customer(session, tenant, order.customer_id, "orderId")
        due = on + dt.timedelta(days=customer.payment_terms_days)
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
        due_date=due,
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
    """The order's invoicing status; REFUND_DUE over all others while one of its credit
    notes is neither refunded nor applied in full (the company owes the customer)."""
    refund_due = await session.scalar(
        select(Invoice.id)
        .where(
            Invoice.tenant_id == tenant,
            Invoice.order_id == order.id,
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status != InvoiceStatus.PAID,
        )
        .limit(1)
    )
    if refund_due is not None:
        order.invoice_status = InvoicingStatus.REFUND_DUE
        return
    if not any(ln.invoiced_qty > 0 for ln in lines):
        order.invoice_status = InvoicingStatus.NOT_INVOICED
        return
    # A closed order (DELIVERED with its rest cancelled) owes only what it delivered.
    closed = order.status == OrderState.DELIVERED
    if any(
        ln.invoiced_qty < (ln.delivered_qty if closed else ln.quantity) - ln.returned_qty
        for ln in lines
    ):
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
    """Post an invoice for what is delivered and not yet invoiced (numbered INV-YYYY-N),
    dated `on` (today by default) within the module docstring's rules."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, BOOKED, Code.INVALID_STATE, "Only confirmed orders can be invoiced")
    day = on or today()
    await check_invoice_date(session, tenant, order, day)
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
        session, tenant, order, quantities, lines, kind=InvoiceKind.INVOICE, on=day
    )
    for ln in lines:
        ln.invoiced_qty += quantities.get(ln.id, ZERO)
    await refresh_invoice_status(session, tenant, order, lines)
    await session.flush()
    return invoice


async def check_invoice_date(
    session: AsyncSession, tenant: TenantId, order: SalesOrder, day: dt.date
) -> None:
    """Problems at `on` for an invoice date outside the rules of the module docstring."""
    checks = Checks()
    check_date(checks, "on", day)
    checks.raise_any()
    if day > today():
        checks.add("on", Code.IN_THE_FUTURE, "An invoice cannot be dated after today")
    elif order.confirmed_at is not None and day < order.confirmed_at.date():
        checks.add(
            "on",
            Code.OUT_OF_RANGE,
            f"{order.number} was confirmed on {order.confirmed_at.date().isoformat()}",
        )
    else:
        latest = await session.scalar(
            select(func.max(Invoice.invoice_date)).where(
                Invoice.tenant_id == tenant, Invoice.kind == InvoiceKind.INVOICE
            )
        )
        if latest is not None and day < latest:
            checks.add(
                "on",
                Code.CLOSED_PERIOD,
                f"An invoice dated {latest.isoformat()} is posted; date this one on or after it",
            )
    checks.raise_any()


def check_payment_date(checks: Checks, field: str, invoice: Invoice, day: dt.date) -> None:
    """A payment (refund, application) is dated between its document's date and today."""
    if (why := date_problem(day)) is not None:
        checks.add(field, Code.OUT_OF_RANGE, why)
    elif day < invoice.invoice_date:
        checks.add(
            field,
            Code.BEFORE_INVOICE_DATE,
            f"{invoice.number} is dated {invoice.invoice_date.isoformat()}",
        )
    elif day > today():
        checks.add(field, Code.IN_THE_FUTURE, "A payment cannot be dated after today")


async def get_invoice(
    session: AsyncSession,
    tenant: TenantId,
    invoice_id: uuid.UUID,
    *,
    lock: bool = False,
    field: str = "invoiceId",
) -> Invoice:
    """The invoice or credit note, fresh (locked with `lock`); NOT_FOUND at `field`."""
    stmt = (
        select(Invoice)
        .where(Invoice.tenant_id == tenant, Invoice.id == invoice_id)
        .execution_options(populate_existing=True)
    )
    invoice = await session.scalar(stmt.with_for_update() if lock else stmt)
    if invoice is None:
        raise not_found(field, "invoice")
    return invoice


async def get_payment(session: AsyncSession, tenant: TenantId, payment_id: uuid.UUID) -> Payment:
    """A payment; NOT_FOUND at `paymentId`."""
    payment = await session.get(Payment, (tenant, payment_id))
    if payment is None:
        raise not_found("paymentId", "payment")
    return payment


def settle(document: Invoice, amount: Decimal) -> bool:
    """Add `amount` to what is settled of an invoice or credit note; True when that
    settles the document."""
    document.amount_paid += amount
    if amount_due(document) == 0:
        document.status = InvoiceStatus.PAID
        document.paid_at = dt.datetime.now(dt.UTC)
        return True
    return False


def record_payment(
    session: AsyncSession,
    tenant: TenantId,
    checks: Checks,
    document: Invoice,
    *,
    amount: Decimal,
    on: dt.date | None,
    kind: PaymentKind,
) -> tuple[Payment, bool]:
    """Money received on an invoice or paid back on a credit note: checks the amount and
    date (with whatever `checks` holds already), refuses more than is due, adds the payment
    and settles the document; True when it is settled now."""
    checks.positive("amount", amount, decimals=2)
    day = on or today()
    check_payment_date(checks, "on", document, day)
    checks.raise_any()
    if amount > amount_due(document):
        raise Overpayment(amount_due(document), document.currency)
    payment = Payment(
        tenant_id=tenant,
        id=uuid.uuid4(),
        invoice_id=document.id,
        kind=kind,
        amount=amount,
        date=day,
    )
    session.add(payment)
    metrics.count(session, metrics.PAYMENTS, metrics.currency(document.currency))
    return payment, settle(document, amount)


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
        checks.add("invoiceId", Code.NOT_PAYABLE, "Credit notes are refunded or applied")
    elif invoice.status == InvoiceStatus.PAID:
        checks.add("invoiceId", Code.ALREADY_PAID, "The invoice is paid")
    payment, paid = record_payment(
        session, tenant, checks, invoice, amount=amount, on=on, kind=PaymentKind.PAYMENT
    )
    metrics.count(
        session, metrics.PAYMENTS_VALUE, metrics.currency(invoice.currency), amount=float(amount)
    )
    if paid:
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
