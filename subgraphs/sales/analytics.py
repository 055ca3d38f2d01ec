"""Sales analytics, read only: the pipeline (orders per state), booked sales per period
and the top customers and products. Everything is aggregated in SQL; amounts are untaxed
and in base currency, booked sales net of returns and their credit notes (see
`reads.py`); a return counts in the period of its order."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.sales.models import BOOKED, ExchangeRate, OrderState, SalesOrder, SalesOrderLine
from subgraphs.sales.orders import ZERO, cents
from subgraphs.sales.rates import base_currency
from subgraphs.sales.reads import (
    base_amount,
    booked_lines,
    in_period,
    kept_quantity,
    kept_untaxed,
)


@dataclass(frozen=True, slots=True)
class PipelineRow:
    state: OrderState
    count: int
    amount: Decimal


async def pipeline(session: AsyncSession, tenant: TenantId) -> list[PipelineRow]:
    """Orders per state with their untaxed amount in base currency. Quotations have no
    fixed rate yet: they are valued at the latest daily rate of their currency."""
    base = await base_currency(session, tenant)
    latest = (
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.tenant_id == SalesOrder.tenant_id,
            ExchangeRate.currency == SalesOrder.currency,
        )
        .order_by(ExchangeRate.date.desc())
        .limit(1)
        .correlate(SalesOrder)
        .scalar_subquery()
    )
    rate = case(
        (SalesOrder.exchange_rate.is_not(None), SalesOrder.exchange_rate),
        (SalesOrder.currency == base, literal(Decimal(1))),
        else_=func.coalesce(latest, ZERO),
    )
    rows = await session.execute(
        select(
            SalesOrder.status,
            func.count(),
            func.coalesce(func.sum(SalesOrder.untaxed * rate), ZERO),
        )
        .where(SalesOrder.tenant_id == tenant)
        .group_by(SalesOrder.status)
    )
    found = {s: (n, a) for s, n, a in rows.all()}
    return [
        PipelineRow(s, found.get(s, (0, ZERO))[0], cents(found.get(s, (0, ZERO))[1]))
        for s in OrderState
    ]


class Interval(StrEnum):
    """The length of an analytics bucket."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class GroupBy(StrEnum):
    """What analytics buckets (and rankings) are split by besides the period."""

    NONE = "NONE"
    PRODUCT = "PRODUCT"
    CUSTOMER = "CUSTOMER"


TRUNCATE = {Interval.DAY: "day", Interval.WEEK: "week", Interval.MONTH: "month"}
"""PostgreSQL's `date_trunc` field per interval."""


@dataclass(frozen=True, slots=True)
class Bucket:
    period: dt.date
    key: uuid.UUID | None
    revenue: Decimal
    quantity: Decimal
    order_count: int

    @property
    def average_order_value(self) -> Decimal:
        return cents(self.revenue / self.order_count) if self.order_count else ZERO


async def sales_analytics(
    session: AsyncSession,
    tenant: TenantId,
    *,
    start: dt.date,
    end: dt.date,
    interval: Interval,
    group_by: GroupBy,
) -> list[Bucket]:
    """Booked sales per `date_trunc(interval, order_date)` bucket and optional product or
    customer: untaxed revenue in base currency, quantity, distinct orders."""
    period = func.date_trunc(TRUNCATE[interval], SalesOrder.order_date).label("period")
    key: Any = {
        GroupBy.NONE: literal(None).label("key"),
        GroupBy.PRODUCT: SalesOrderLine.product_id.label("key"),
        GroupBy.CUSTOMER: SalesOrder.customer_id.label("key"),
    }[group_by]
    stmt = booked_lines().add_columns(
        period,
        key,
        base_amount(kept_untaxed()),
        func.sum(kept_quantity()),
        func.count(func.distinct(SalesOrder.id)),
    )
    stmt = in_period(stmt, start, end).where(
        SalesOrderLine.tenant_id == tenant, SalesOrder.status.in_(BOOKED)
    )
    groups = [period] if group_by == GroupBy.NONE else [period, key]
    rows = await session.execute(stmt.group_by(*groups).order_by(*groups))
    return [
        Bucket(p.date() if isinstance(p, dt.datetime) else p, k, cents(r), q, n)
        for p, k, r, q, n in rows.all()
    ]


@dataclass(frozen=True, slots=True)
class Ranked:
    id: uuid.UUID
    revenue: Decimal
    quantity: Decimal
    order_count: int


async def top(
    session: AsyncSession,
    tenant: TenantId,
    *,
    by: GroupBy,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
) -> list[Ranked]:
    """The customers (`by=GroupBy.CUSTOMER`) or products with the most booked revenue."""
    key = SalesOrder.customer_id if by == GroupBy.CUSTOMER else SalesOrderLine.product_id
    revenue = base_amount(kept_untaxed())
    stmt = booked_lines().add_columns(
        key,
        revenue,
        func.sum(kept_quantity()),
        func.count(func.distinct(SalesOrder.id)),
    )
    stmt = in_period(stmt, start, end).where(
        SalesOrderLine.tenant_id == tenant, SalesOrder.status.in_(BOOKED)
    )
    rows = await session.execute(
        stmt.group_by(key).order_by(revenue.desc(), key).limit(max(1, min(limit, 100)))
    )
    return [Ranked(k, cents(r), q, n) for k, r, q, n in rows.all()]
