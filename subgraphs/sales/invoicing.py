"""Invoices, payments and returns. Rounding follows `service.line_amounts`.

Per order line, `invoiced_qty` is the quantity invoiced net of credit notes, and it never
exceeds what the customer keeps (`delivered_qty - returned_qty`): invoicing bills the
difference, and a return credits whatever was billed beyond what remains.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from shared.outbox import emit
from subgraphs.sales.models import (
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
    SalesReturn,
    SalesReturnLine,
)
from subgraphs.sales.numbering import next_number
from subgraphs.sales.service import (
    CENT,
    ZERO,
    LineQuantity,
    get_order,
    line_amounts,
    line_quantities,
    order_lines,
    require_state,
    today,
)
from subgraphs.stock import service as stock


class Overpayment(InvalidInput):
    def __init__(self, due: Decimal, currency: str) -> None:
        super().__init__(
            [
                Problem(
                    "input.amount",
                    "OVERPAYMENT",
                    f"Only {due.normalize():f} {currency} is due on this invoice",
                )
            ]
        )
        self.due = due


def amount_due(invoice: Invoice) -> Decimal:
    return invoice.total - invoice.amount_paid


async def _post(
    session: AsyncSession,
    tenant: TenantId,
    order: SalesOrder,
    quantities: dict[uuid.UUID, Decimal],
    lines: Sequence[SalesOrderLine],
    *,
    kind: str,
    on: dt.date,
    reason: str = "",
) -> Invoice:
    invoice = Invoice(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, kind, on),
        kind=kind,
        status="POSTED",
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
        type="invoice.posted",
        aggregate_type="Invoice",
        aggregate_id=invoice.id,
        payload={
            "number": invoice.number,
            "kind": kind,
            "orderId": str(order.id),
            "customerId": str(order.customer_id),
            "currency": invoice.currency,
            "total": str(invoice.total),
        },
    )
    return invoice


async def _refresh_invoice_status(
    session: AsyncSession, tenant: TenantId, order: SalesOrder, lines: Sequence[SalesOrderLine]
) -> None:
    if not any(ln.invoiced_qty > 0 for ln in lines):
        order.invoice_status = "NOT_INVOICED"
        return
    if any(ln.invoiced_qty < ln.quantity - ln.returned_qty for ln in lines):
        order.invoice_status = "PARTIALLY_INVOICED"
        return
    unpaid = await session.scalar(
        select(Invoice.id).where(
            Invoice.tenant_id == tenant,
            Invoice.order_id == order.id,
            Invoice.kind == "INVOICE",
            Invoice.status != "PAID",
        )
    )
    order.invoice_status = "INVOICED" if unpaid is not None else "PAID"


async def invoice_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, *, on: dt.date | None = None
) -> Invoice:
    """Post an invoice for what is delivered and not yet invoiced (numbered INV-YYYY-N)."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(
        order,
        ("CONFIRMED", "PARTIALLY_DELIVERED", "DELIVERED"),
        "INVALID_STATE",
        "Only confirmed orders can be invoiced",
    )
    lines = await order_lines(session, tenant, order.id)
    quantities = {
        ln.id: ln.delivered_qty - ln.returned_qty - ln.invoiced_qty
        for ln in lines
        if ln.delivered_qty - ln.returned_qty - ln.invoiced_qty > 0
    }
    if not quantities:
        raise InvalidInput.one(
            "input.id", "NOTHING_TO_INVOICE", "Everything delivered is already invoiced"
        )
    invoice = await _post(
        session, tenant, order, quantities, lines, kind="INVOICE", on=on or today()
    )
    for ln in lines:
        ln.invoiced_qty += quantities.get(ln.id, ZERO)
    await _refresh_invoice_status(session, tenant, order, lines)
    await session.flush()
    return invoice


async def get_invoice(
    session: AsyncSession,
    tenant: TenantId,
    invoice_id: uuid.UUID,
    *,
    lock: bool = False,
    field: str = "input.invoiceId",
) -> Invoice:
    stmt = (
        select(Invoice)
        .where(Invoice.tenant_id == tenant, Invoice.id == invoice_id)
        .execution_options(populate_existing=True)
    )
    invoice = await session.scalar(stmt.with_for_update() if lock else stmt)
    if invoice is None:
        raise InvalidInput.one(field, "NOT_FOUND", "No such invoice")
    return invoice


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
    problems: list[Problem] = []
    if invoice.kind != "INVOICE":
        problems.append(Problem("input.invoiceId", "NOT_PAYABLE", "Credit notes are refunded"))
    elif invoice.status == "PAID":
        problems.append(Problem("input.invoiceId", "ALREADY_PAID", "The invoice is paid"))
    if not amount.is_finite() or amount <= 0:
        problems.append(Problem("input.amount", "MUST_BE_POSITIVE", "The amount must be positive"))
    elif amount.quantize(CENT) != amount:
        problems.append(Problem("input.amount", "TOO_PRECISE", "At most 2 decimals"))
    if problems:
        raise InvalidInput(problems)
    if amount > amount_due(invoice):
        raise Overpayment(amount_due(invoice), invoice.currency)
    payment = Payment(
        tenant_id=tenant, id=uuid.uuid4(), invoice_id=invoice.id, amount=amount, date=on or today()
    )
    session.add(payment)
    invoice.amount_paid += amount
    if amount_due(invoice) == 0:
        invoice.status = "PAID"
        invoice.paid_at = dt.datetime.now(dt.UTC)
        await emit(
            session,
            tenant,
            type="invoice.paid",
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
    await _refresh_invoice_status(
        session, tenant, order, await order_lines(session, tenant, order.id)
    )
    await session.flush()
    return invoice, payment


async def return_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineQuantity],
    reason: str,
    on: dt.date | None = None,
    actor: uuid.UUID | None = None,
) -> tuple[SalesReturn, Invoice | None]:
    """Take goods back into the order's warehouse and credit what was invoiced for them.

    Never more than was delivered (net of earlier returns). Returned goods re-enter stock
    at the product's current average cost, so the return does not revalue stock.
    """
    order = await get_order(session, tenant, order_id, lock=True, field="input.orderId")
    all_lines = await order_lines(session, tenant, order.id)
    by_id = {ln.id: ln for ln in all_lines}
    remaining = {ln.id: ln.delivered_qty - ln.returned_qty for ln in all_lines}
    problems: list[Problem] = []
    reason = reason.strip()
    if not reason:
        problems.append(Problem("input.reason", "REQUIRED", "Say why the goods come back"))
    if not lines:
        problems.append(Problem("input.lines", "REQUIRED", "Name at least one line"))
    try:
        wanted = line_quantities(
            lines,
            by_id,
            remaining,
            exceeded=("RETURN_EXCEEDS_DELIVERED", "delivered and not yet returned"),
            stockable_only=False,
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
        wanted = {}
    if problems:
        raise InvalidInput(problems)
    ret = SalesReturn(tenant_id=tenant, id=uuid.uuid4(), order_id=order.id, reason=reason)
    session.add(ret)
    await session.flush()
    goods = {k: v for k, v in wanted.items() if by_id[k].product_type == "STOCKABLE"}
    if goods:
        location = await stock.stock_location(session, tenant, order.warehouse_id)
        products = await stock.products_by_id(
            session, tenant, list({by_id[k].product_id for k in goods})
        )
        await stock.return_from_customer(
            session,
            tenant,
            source=stock.DocumentRef("SalesReturn", ret.id),
            lines=[
                stock.SupplyLine(
                    by_id[k].product_id, location, q, products[by_id[k].product_id].cost
                )
                for k, q in goods.items()
            ],
            actor=actor,
        )
    credit: dict[uuid.UUID, Decimal] = {}
    for line_id, quantity in wanted.items():
        ln = by_id[line_id]
        ln.returned_qty += quantity
        kept = ln.delivered_qty - ln.returned_qty
        if ln.invoiced_qty > kept:
            credit[line_id] = ln.invoiced_qty - kept
            ln.invoiced_qty = kept
    session.add_all(
        SalesReturnLine(
            tenant_id=tenant, id=uuid.uuid4(), return_id=ret.id, order_line_id=k, quantity=q
        )
        for k, q in wanted.items()
    )
    credit_note = None
    if credit:
        credit_note = await _post(
            session,
            tenant,
            order,
            credit,
            all_lines,
            kind="CREDIT_NOTE",
            on=on or today(),
            reason=reason,
        )
        ret.credit_note_id = credit_note.id
    await _refresh_invoice_status(session, tenant, order, all_lines)
    await session.flush()
    await emit(
        session,
        tenant,
        type="order.returned",
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "returnId": str(ret.id),
            "creditNoteId": str(credit_note.id) if credit_note else None,
            "lines": [{"lineId": str(k), "quantity": str(v)} for k, v in wanted.items()],
        },
    )
    return ret, credit_note
