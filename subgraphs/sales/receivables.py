"""Receivables, read only: what customers owe on a day, which invoices are overdue, and
the aging of what is owed.

"Owed on a day" counts what was settled by then: an invoice's total less the payments
and credit applications dated on or before the day (so `asOf` in the past answers what
was owed then, not what is owed now). Credit notes are the company's debt, not a
receivable: they are not aged here (an open credit note shows as the order's REFUND_DUE).
Amounts in base currency use the exchange rate the order fixed at confirmation, rounded
to cents once per customer and bucket; totals are the sums of the customers' rounded
buckets, so the figures add up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.sales.models import (
    CreditApplication,
    Invoice,
    InvoiceKind,
    Payment,
    SalesOrder,
)
from subgraphs.sales.orders import ZERO, cents

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
"""Aging buckets by days past the due date: not yet due, 1-30, 31-60, 61-90, over 90."""


def bucket_of(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "days_1_30"
    if days_overdue <= 60:
        return "days_31_60"
    if days_overdue <= 90:
        return "days_61_90"
    return "over_90"


def _owed_on(on: dt.date) -> Any:
    """An invoice's amount due on `on`: its total less what was settled by then."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount), ZERO))
        .where(
            Payment.tenant_id == Invoice.tenant_id,
            Payment.invoice_id == Invoice.id,
            Payment.date <= on,
        )
        .correlate(Invoice)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(CreditApplication.amount), ZERO))
        .where(
            CreditApplication.tenant_id == Invoice.tenant_id,
            CreditApplication.invoice_id == Invoice.id,
            CreditApplication.date <= on,
        )
        .correlate(Invoice)
        .scalar_subquery()
    )
    return Invoice.total - paid - credited


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice with something due on the day asked about."""

    invoice_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    order_id: uuid.UUID
    invoice_date: dt.date
    due_date: dt.date
    amount_due: Decimal
    currency: str
    exchange_rate: Decimal
    """Base-currency value of one unit of `currency`, fixed by the order."""
    days_overdue: int
    """Days past the due date on the day asked about; 0 or less when not yet due."""


async def open_invoices(
    session: AsyncSession, tenant: TenantId, *, on: dt.date, overdue_only: bool = False
) -> list[OpenInvoice]:
    """Invoices dated on or before `on` with something due on `on`, oldest due first."""
    owed = _owed_on(on).label("owed")
    stmt = (
        select(Invoice, owed, SalesOrder.exchange_rate)
        .join(
            SalesOrder,
            and_(SalesOrder.tenant_id == Invoice.tenant_id, SalesOrder.id == Invoice.order_id),
        )
        .where(
            Invoice.tenant_id == tenant,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.invoice_date <= on,
            owed > 0,
        )
        .order_by(Invoice.due_date, Invoice.number)
    )
    if overdue_only:
        stmt = stmt.where(Invoice.due_date < on)
    rows = await session.execute(stmt)
    return [
        OpenInvoice(
            invoice_id=i.id,
            number=i.number,
            customer_id=i.customer_id,
            order_id=i.order_id,
            invoice_date=i.invoice_date,
            due_date=i.due_date,
            amount_due=amount,
            currency=i.currency,
            exchange_rate=rate if rate is not None else Decimal(1),
            days_overdue=(on - i.due_date).days,
        )
        for i, amount, rate in rows.all()
    ]


async def overdue_invoices(
    session: AsyncSession, tenant: TenantId, on: dt.date
) -> list[OpenInvoice]:
    """Invoices past their due date with something still due on `on`, oldest due first
    (number, customer id, due date, amount due and currency on each)."""
    return await open_invoices(session, tenant, on=on, overdue_only=True)


@dataclass(frozen=True, slots=True)
class Aging:
    """Amounts owed in base currency per bucket (see `BUCKETS`)."""

    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: dt.date
    customers: list[tuple[uuid.UUID, Aging]]
    """Per customer with anything owed, the largest total first (then by id)."""
    total: Aging


async def receivables_aging(session: AsyncSession, tenant: TenantId, *, on: dt.date) -> AgingReport:
    sums: dict[uuid.UUID, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, ZERO))
    for inv in await open_invoices(session, tenant, on=on):
        sums[inv.customer_id][bucket_of(inv.days_overdue)] += inv.amount_due * inv.exchange_rate
    customers = [(c, Aging(**{k: cents(v) for k, v in b.items()})) for c, b in sums.items()]
    customers.sort(key=lambda row: (-row[1].total, str(row[0])))
    total = Aging(**{k: sum((getattr(a, k) for _, a in customers), ZERO) for k in BUCKETS})
    return AgingReport(as_of=on, customers=customers, total=total)
