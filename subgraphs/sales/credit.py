"""Credit control at confirmation: a customer's exposure may not exceed the credit limit
CRM stores for them.

Exposure, in base currency: what the customer owes on posted invoices (their amount due
at each order's fixed rate), plus what booked orders will still invoice (taxed, at their
fixed rate; for an order still open its whole remaining quantity, for a delivered one what
was delivered and kept), plus the order being confirmed at the rate it is confirmed at.
Open credit notes are not netted: they can be refunded in cash at any time, so counting
them would lend against money the company owes. The limit is in the customer's currency
(CRM's `creditLimit` is Money in the customer's currency) and converted at the day's rate;
no limit (null) means no check, a limit of 0 means cash in advance only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from subgraphs.crm import api as crm
from subgraphs.sales import rates
from subgraphs.sales.models import (
    BOOKED,
    OPEN,
    Invoice,
    InvoiceKind,
    SalesOrder,
    SalesOrderLine,
)

OVERRIDE_PERMISSION = "sales:override_credit"
ZERO = Decimal(0)


def cents(value: Decimal) -> Decimal:
    # orders.cents, which imports this module: the same rounding.
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class CreditLimitExceeded(InvalidInput):
    """CREDIT_LIMIT_EXCEEDED at `orderId`, with the figures in base currency."""

    def __init__(self, limit: Decimal, exposure: Decimal, currency: str) -> None:
        self.limit, self.exposure, self.over = limit, exposure, exposure - limit
        super().__init__(
            [
                Problem(
                    "orderId",
                    Code.CREDIT_LIMIT_EXCEEDED,
                    f"Credit limit {limit:,.2f} {currency}; exposure with this order "
                    f"{exposure:,.2f} {currency}, {self.over:,.2f} {currency} over the limit",
                )
            ]
        )


async def exposure(
    session: AsyncSession,
    tenant: TenantId,
    customer_id: uuid.UUID,
    *,
    excluding: uuid.UUID | None = None,
) -> Decimal:
    """What the customer owes and will be invoiced, in base currency (module docstring),
    without the order `excluding`."""
    owed = await session.scalar(
        select(
            func.coalesce(
                func.sum((Invoice.total - Invoice.amount_paid) * SalesOrder.exchange_rate), ZERO
            )
        )
        .select_from(Invoice)
        .join(
            SalesOrder,
            and_(SalesOrder.tenant_id == Invoice.tenant_id, SalesOrder.id == Invoice.order_id),
        )
        .where(
            Invoice.tenant_id == tenant,
            Invoice.customer_id == customer_id,
            Invoice.kind == InvoiceKind.INVOICE,
        )
    )
    to_invoice_qty = (
        case(
            (SalesOrder.status.in_(OPEN), SalesOrderLine.quantity),
            else_=SalesOrderLine.delivered_qty,
        )
        - SalesOrderLine.returned_qty
        - SalesOrderLine.invoiced_qty
    )
    stmt = (
        select(
            func.coalesce(
                func.sum(
                    to_invoice_qty
                    * SalesOrderLine.unit_price
                    * (100 - SalesOrderLine.discount_percent)
                    / 100
                    * (100 + SalesOrderLine.tax_percent)
                    / 100
                    * SalesOrder.exchange_rate
                ),
                ZERO,
            )
        )
        .select_from(SalesOrderLine)
        .join(
            SalesOrder,
            and_(
                SalesOrder.tenant_id == SalesOrderLine.tenant_id,
                SalesOrder.id == SalesOrderLine.order_id,
            ),
        )
        .where(
            SalesOrderLine.tenant_id == tenant,
            SalesOrder.customer_id == customer_id,
            SalesOrder.status.in_(BOOKED),
        )
    )
    if excluding is not None:
        stmt = stmt.where(SalesOrder.id != excluding)
    to_invoice = await session.scalar(stmt)
    return cents(Decimal(owed or ZERO) + Decimal(to_invoice or ZERO))


async def check_credit(
    session: AsyncSession,
    tenant: TenantId,
    order: SalesOrder,
    customer: crm.Customer,
    *,
    rate: Decimal,
    on: dt.date,
    override: bool,
) -> None:
    """Raise `CreditLimitExceeded` if confirming `order` (at `rate`) takes its customer
    over their limit, unless `override` (the caller checked the permission)."""
    if customer.credit_limit is None or override:
        return
    # One confirmation per customer at a time, so two orders cannot both fit the limit.
    await session.execute(
        text("select pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"sales.credit:{tenant}:{customer.id}"},
    )
    limit_rate = await rates.rate_on(session, tenant, customer.currency, on)
    if limit_rate is None:
        base = await rates.base_currency(session, tenant)
        raise rates.ExchangeRateMissing("orderId", customer.currency, base, on)
    limit = cents(customer.credit_limit * limit_rate)
    total = await exposure(session, tenant, customer.id, excluding=order.id)
    total += cents(order.total * rate)
    if total > limit:
        raise CreditLimitExceeded(limit, total, await rates.base_currency(session, tenant))
