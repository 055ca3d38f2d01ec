"""Purchase analytics over confirmed orders (not cancelled) dated in a period, aggregated in
SQL and grouped by supplier, product or month:

- spend: untaxed line amounts times the order's exchange rate, in base currency;
- average lead time: days from the order date to each receipt, averaged over receipt
  lines (so a line received in two parts counts twice);
- price variance: (unit cost - list price) x quantity in base currency, where the list
  price is the supplier's best tier valid on the order date for the line's quantity in
  the order's currency; lines without such a tier are left out of the variance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, and_, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.db import TenantId
from shared.errors import BadUserInput
from subgraphs.purchases.models import (
    COMMITTED,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SupplierPrice,
)

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_DAYS = 3700
"""About ten years: the longest period one request may aggregate."""


class GroupBy(StrEnum):
    SUPPLIER = "SUPPLIER"
    PRODUCT = "PRODUCT"
    PERIOD = "PERIOD"


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    """The supplier's or product's id, or the month's first day (ISO)."""
    spend: Decimal
    quantity: Decimal
    order_count: int
    average_lead_time_days: Decimal | None
    price_variance: Decimal
    list_value: Decimal
    """What the priced lines would have cost at list price (base currency)."""

    @property
    def price_variance_percent(self) -> Decimal | None:
        if not self.list_value:
            return None
        return (self.price_variance * 100 / self.list_value).quantize(CENT, ROUND_HALF_UP)


def _key(group_by: GroupBy, order: Any, line: Any) -> Any:
    if group_by == GroupBy.SUPPLIER:
        return order.supplier_id
    if group_by == GroupBy.PRODUCT:
        return line.product_id
    return cast(func.date_trunc("month", order.order_date), Date)


async def purchase_analytics(
    session: AsyncSession, tenant: TenantId, *, start: dt.date, end: dt.date, group_by: GroupBy
) -> list[Bucket]:
    """One bucket per supplier, product or month with spend in the period, largest first
    (months in calendar order)."""
    if end < start or (end - start).days > MAX_DAYS:
        raise BadUserInput(
            f"`to` must not lie before `from`, and at most {MAX_DAYS} days after it",
            argument="to",
        )
    order, line = PurchaseOrder, PurchaseOrderLine
    in_period = and_(
        order.tenant_id == tenant,
        order.status.in_(list(COMMITTED)),
        order.order_date >= start,
        order.order_date <= end,
    )
    joined = (order.tenant_id == line.tenant_id) & (order.id == line.order_id)
    tier = aliased(SupplierPrice)
    list_price = (
        select(func.min(tier.price))
        .where(
            tier.tenant_id == line.tenant_id,
            tier.supplier_id == order.supplier_id,
            tier.product_id == line.product_id,
            tier.currency == order.currency,
            tier.min_quantity <= line.quantity,
            or_(tier.valid_from.is_(None), tier.valid_from <= order.order_date),
            or_(tier.valid_to.is_(None), tier.valid_to >= order.order_date),
        )
        .correlate(order, line)
        .scalar_subquery()
    )
    rate = func.coalesce(order.exchange_rate, literal(1))
    key = _key(group_by, order, line).label("key")
    figures = await session.execute(
        select(
            key,
            func.sum(line.untaxed * rate),
            func.sum(line.quantity),
            func.count(func.distinct(order.id)),
            func.coalesce(func.sum((line.unit_cost - list_price) * line.quantity * rate), 0),
            func.coalesce(func.sum(list_price * line.quantity * rate), 0),
        )
        .select_from(order)
        .join(line, joined)
        .where(in_period)
        .group_by(key)
    )
    receipt, received = Receipt, ReceiptLine
    lead_key = _key(group_by, order, received).label("key")
    leads = await session.execute(
        select(lead_key, func.avg(receipt.received_on - order.order_date))
        .select_from(received)
        .join(
            receipt,
            (receipt.tenant_id == received.tenant_id) & (receipt.id == received.receipt_id),
        )
        .join(order, (order.tenant_id == receipt.tenant_id) & (order.id == receipt.order_id))
        .where(in_period)
        .group_by(lead_key)
    )
    lead_by_key = {k: Decimal(v).quantize(CENT, ROUND_HALF_UP) for k, v in leads}
    buckets = [
        Bucket(
            key=k.isoformat() if isinstance(k, dt.date) else str(k),
            spend=spend.quantize(CENT, ROUND_HALF_UP),
            quantity=quantity,
            order_count=count,
            average_lead_time_days=lead_by_key.get(k),
            price_variance=Decimal(variance).quantize(CENT, ROUND_HALF_UP),
            list_value=Decimal(listed).quantize(CENT, ROUND_HALF_UP),
        )
        for k, spend, quantity, count, variance, listed in figures
    ]
    if group_by == GroupBy.PERIOD:
        return sorted(buckets, key=lambda b: b.key)
    return sorted(buckets, key=lambda b: (-b.spend, b.key))
