"""Settling credit notes: paying the money back (a refund) or setting the credit against
an open invoice of the same customer in the same currency (an application).

A credit note's `amount_paid` is what was refunded or applied; it is settled (PAID) when
nothing is left, and until then its order shows REFUND_DUE. An application raises both
documents' `amount_paid` by the same amount, so both amounts due fall by exactly it.
Orders are locked before invoices, in id order, as invoicing and payments lock them, so
two settlements never wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.invoicing import (
    Overpayment,
    amount_due,
    check_payment_date,
    get_invoice,
    record_payment,
    refresh_invoice_status,
    settle,
)
from subgraphs.sales.models import (
    CreditApplication,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentKind,
)
from subgraphs.sales.orders import get_order, order_lines, today


def _open_credit_note(checks: Checks, field: str, note: Invoice) -> None:
    if note.kind != InvoiceKind.CREDIT_NOTE:
        checks.add(field, Code.INVALID_STATE, f"{note.number} is an invoice, not a credit note")
    elif note.status == InvoiceStatus.PAID:
        checks.add(field, Code.ALREADY_PAID, f"{note.number} is refunded or applied in full")


async def _refresh(session: AsyncSession, tenant: TenantId, order_ids: list[uuid.UUID]) -> None:
    for order_id in order_ids:
        order = await get_order(session, tenant, order_id)
        await refresh_invoice_status(
            session, tenant, order, await order_lines(session, tenant, order.id)
        )
    await session.flush()


async def refund_credit_note(
    session: AsyncSession,
    tenant: TenantId,
    credit_note_id: uuid.UUID,
    *,
    amount: Decimal,
    on: dt.date | None = None,
) -> tuple[Invoice, Payment]:
    """Record money paid back on a credit note (a REFUND payment); refunding more than is
    left raises `Overpayment`. Problems at `creditNoteId`, `amount`, `on`."""
    found = await get_invoice(session, tenant, credit_note_id, field="creditNoteId")
    order = await get_order(session, tenant, found.order_id, lock=True)
    note = await get_invoice(session, tenant, credit_note_id, field="creditNoteId", lock=True)
    checks = Checks()
    _open_credit_note(checks, "creditNoteId", note)
    refund, _ = record_payment(
        session, tenant, checks, note, amount=amount, on=on, kind=PaymentKind.REFUND
    )
    await session.flush()
    await _refresh(session, tenant, [order.id])
    await emit(
        session,
        tenant,
        type=SalesEvent.CREDIT_NOTE_REFUNDED,
        aggregate_type="Invoice",
        aggregate_id=note.id,
        payload={
            "number": note.number,
            "orderId": str(order.id),
            "amount": str(amount),
            "currency": note.currency,
        },
    )
    return note, refund


async def apply_credit_note(
    session: AsyncSession,
    tenant: TenantId,
    credit_note_id: uuid.UUID,
    *,
    invoice_id: uuid.UUID,
    amount: Decimal,
    on: dt.date | None = None,
) -> CreditApplication:
    """Set `amount` of a credit note against an open invoice of the same customer in the
    same currency. Problems at `creditNoteId`, `invoiceId`, `amount`, `on`; more than
    either document has open raises `Overpayment` (at `amount`)."""
    found_note = await get_invoice(session, tenant, credit_note_id, field="creditNoteId")
    found_invoice = await get_invoice(session, tenant, invoice_id)
    for order_id in sorted({found_note.order_id, found_invoice.order_id}):
        await get_order(session, tenant, order_id, lock=True)
    note = await get_invoice(session, tenant, credit_note_id, field="creditNoteId", lock=True)
    invoice = await get_invoice(session, tenant, invoice_id, lock=True)
    checks = Checks()
    _open_credit_note(checks, "creditNoteId", note)
    if invoice.kind != InvoiceKind.INVOICE:
        checks.add("invoiceId", Code.NOT_PAYABLE, f"{invoice.number} is a credit note")
    elif invoice.status == InvoiceStatus.PAID:
        checks.add("invoiceId", Code.ALREADY_PAID, f"{invoice.number} is paid")
    elif invoice.customer_id != note.customer_id:
        checks.add(
            "invoiceId", Code.OTHER_CUSTOMER, "The invoice is another customer's than the note"
        )
    elif invoice.currency != note.currency:
        checks.add(
            "invoiceId",
            Code.CURRENCY_MISMATCH,
            f"The invoice is in {invoice.currency}, the credit note in {note.currency}",
        )
    checks.positive("amount", amount, decimals=2)
    day = on or today()
    if checks.ok:
        # Dated no earlier than the later of the two documents.
        check_payment_date(checks, "on", max(note, invoice, key=lambda d: d.invoice_date), day)
    checks.raise_any()
    room = min(amount_due(note), amount_due(invoice))
    if amount > room:
        raise Overpayment(room, note.currency)
    application = CreditApplication(
        tenant_id=tenant,
        id=uuid.uuid4(),
        credit_note_id=note.id,
        invoice_id=invoice.id,
        amount=amount,
        date=day,
    )
    session.add(application)
    settle(note, amount)
    paid = settle(invoice, amount)
    await session.flush()
    await _refresh(session, tenant, sorted({note.order_id, invoice.order_id}))
    await emit(
        session,
        tenant,
        type=SalesEvent.CREDIT_NOTE_APPLIED,
        aggregate_type="Invoice",
        aggregate_id=note.id,
        payload={
            "number": note.number,
            "invoiceId": str(invoice.id),
            "invoiceNumber": invoice.number,
            "amount": str(amount),
            "currency": note.currency,
        },
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
                "orderId": str(invoice.order_id),
                "total": str(invoice.total),
                "currency": invoice.currency,
            },
        )
    return application


async def get_application(
    session: AsyncSession, tenant: TenantId, application_id: uuid.UUID
) -> CreditApplication:
    """A credit application; NOT_FOUND at `applicationId`."""
    row = await session.get(CreditApplication, (tenant, application_id))
    if row is None:
        raise InvalidInput.one("applicationId", Code.NOT_FOUND, "No credit application")
    return row
