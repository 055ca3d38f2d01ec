"""Sales' read side: batched look-ups for the dataloaders, lists, and the figures
(customer history, product stats, pipeline, analytics, top lists) — every figure is
aggregated in SQL. Amounts "in base currency" are untaxed amounts times the exchange
rate fixed at confirmation, rounded to cents once per figure."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.db import TenantId
from shared.pagination import (
    Page,
    SortKey,
    check_first,
    decode_cursor,
    encode_cursor,
    paginate,
)
from subgraphs.sales.models import (
    ORDER_STATES,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
    TaxRate,
)
from subgraphs.sales.rates import base_currency
from subgraphs.sales.service import BOOKED, ZERO, cents

# --- look-ups by key ----------------------------------------------------------------


async def orders_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SalesOrder]:
    rows = await session.scalars(
        select(SalesOrder).where(SalesOrder.tenant_id == tenant, SalesOrder.id.in_(ids))
    )
    return {o.id: o for o in rows}


async def lines_by_order(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SalesOrderLine]]:
    rows = await session.scalars(
        select(SalesOrderLine)
        .where(SalesOrderLine.tenant_id == tenant, SalesOrderLine.order_id.in_(ids))
        .order_by(SalesOrderLine.order_id, SalesOrderLine.position)
    )
    result: dict[uuid.UUID, list[SalesOrderLine]] = defaultdict(list)
    for ln in rows:
        result[ln.order_id].append(ln)
    return result


async def invoices_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Invoice]:
    rows = await session.scalars(
        select(Invoice).where(Invoice.tenant_id == tenant, Invoice.id.in_(ids))
    )
    return {i.id: i for i in rows}


async def invoices_by_order(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Invoice]]:
    rows = await session.scalars(
        select(Invoice)
        .where(Invoice.tenant_id == tenant, Invoice.order_id.in_(ids))
        .order_by(Invoice.posted_at, Invoice.number)
    )
    result: dict[uuid.UUID, list[Invoice]] = defaultdict(list)
    for inv in rows:
        result[inv.order_id].append(inv)
    return result


async def lines_by_invoice(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InvoiceLine]]:
    rows = await session.scalars(
        select(InvoiceLine)
        .join(
            SalesOrderLine,
            and_(
                SalesOrderLine.tenant_id == InvoiceLine.tenant_id,
                SalesOrderLine.id == InvoiceLine.order_line_id,
            ),
        )
        .where(InvoiceLine.tenant_id == tenant, InvoiceLine.invoice_id.in_(ids))
        .order_by(InvoiceLine.invoice_id, SalesOrderLine.position)
    )
    result: dict[uuid.UUID, list[InvoiceLine]] = defaultdict(list)
    for ln in rows:
        result[ln.invoice_id].append(ln)
    return result


async def payments_by_invoice(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Payment]]:
    rows = await session.scalars(
        select(Payment)
        .where(Payment.tenant_id == tenant, Payment.invoice_id.in_(ids))
        .order_by(Payment.invoice_id, Payment.created_at)
    )
    result: dict[uuid.UUID, list[Payment]] = defaultdict(list)
    for p in rows:
        result[p.invoice_id].append(p)
    return result


async def tax_rates_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TaxRate]:
    rows = await session.scalars(
        select(TaxRate).where(TaxRate.tenant_id == tenant, TaxRate.id.in_(ids))
    )
    return {r.id: r for r in rows}


async def base_currencies(
    session: AsyncSession, tenant: TenantId, keys: Sequence[str]
) -> dict[str, str]:
    return dict.fromkeys(keys, await base_currency(session, tenant))


# --- lists --------------------------------------------------------------------------


def _key(column: Any, descending: bool = False) -> SortKey:
    # shared.pagination is typed for SQLAlchemy 2.0's column types; 2.1's ORM attributes
    # are what `paginate` needs at runtime.
    return SortKey(cast("ColumnElement[Any]", column), descending)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    customer_id: uuid.UUID | None = None
    statuses: Sequence[str] = ()
    invoice_status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None


ORDER_SORT = {
    "NUMBER": SalesOrder.number,
    "ORDER_DATE": SalesOrder.order_date,
    "TOTAL": SalesOrder.total,
    "CREATED_AT": SalesOrder.created_at,
}


async def list_orders(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: OrderFilter,
    order_by: str = "ORDER_DATE",
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[SalesOrder]:
    stmt = select(SalesOrder).where(SalesOrder.tenant_id == tenant)
    if filter.customer_id is not None:
        stmt = stmt.where(SalesOrder.customer_id == filter.customer_id)
    if filter.statuses:
        stmt = stmt.where(SalesOrder.status.in_(list(filter.statuses)))
    if filter.invoice_status is not None:
        stmt = stmt.where(SalesOrder.invoice_status == filter.invoice_status)
    if filter.date_from is not None:
        stmt = stmt.where(SalesOrder.order_date >= filter.date_from)
    if filter.date_to is not None:
        stmt = stmt.where(SalesOrder.order_date <= filter.date_to)
    if filter.search:
        stmt = stmt.where(SalesOrder.number.ilike(f"%{filter.search.strip()}%"))
    column = ORDER_SORT[order_by]
    return await paginate(
        session,
        cast("Select[Any]", stmt),
        keys=[_key(column, descending), _key(SalesOrder.id, descending)],
        key_of=lambda o: [getattr(o, column.key), o.id],
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    order_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    kind: str | None = None
    status: str | None = None
    search: str | None = None


async def list_invoices(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: InvoiceFilter,
    first: int | None,
    after: str | None,
) -> Page[Invoice]:
    stmt = select(Invoice).where(Invoice.tenant_id == tenant)
    if filter.order_id is not None:
        stmt = stmt.where(Invoice.order_id == filter.order_id)
    if filter.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == filter.customer_id)
    if filter.kind is not None:
        stmt = stmt.where(Invoice.kind == filter.kind)
    if filter.status is not None:
        stmt = stmt.where(Invoice.status == filter.status)
    if filter.search:
        stmt = stmt.where(Invoice.number.ilike(f"%{filter.search.strip()}%"))
    return await paginate(
        session,
        cast("Select[Any]", stmt),
        keys=[_key(Invoice.number, True), _key(Invoice.id, True)],
        key_of=lambda i: [i.number, i.id],
        first=first,
        after=after,
    )


# --- a customer's orders, many customers in one statement ---------------------------


OrdersKey = tuple[uuid.UUID, int | None, str | None, tuple[str, ...]]
"""(customer id, first, after, statuses): one `Customer.orders(...)` field."""


async def orders_by_customer(
    session: AsyncSession, tenant: TenantId, keys: Sequence[OrdersKey]
) -> dict[OrdersKey, Page[SalesOrder]]:
    """One page of each customer's orders, newest first, in one statement per distinct
    (first, after, statuses): `row_number()` over each customer's orders picks the page."""
    groups: dict[tuple[int | None, str | None, tuple[str, ...]], list[uuid.UUID]] = defaultdict(
        list
    )
    for customer_id, first, after, statuses in keys:
        groups[(first, after, statuses)].append(customer_id)
    result: dict[OrdersKey, Page[SalesOrder]] = {}
    for (first, after, statuses), customer_ids in groups.items():
        limit = check_first(first)
        where = [SalesOrder.tenant_id == tenant, SalesOrder.customer_id.in_(customer_ids)]
        if statuses:
            where.append(SalesOrder.status.in_(list(statuses)))
        counted = select(
            SalesOrder,
            func.count().over(partition_by=SalesOrder.customer_id).label("customer_order_count"),
        ).where(*where)
        inner = counted.subquery()
        ranked = select(
            inner,
            func.row_number()
            .over(
                partition_by=inner.c.customer_id,
                order_by=(inner.c.order_date.desc(), inner.c.id.desc()),
            )
            .label("rn"),
        )
        if after:
            day, last_id = decode_cursor(after, 2)
            ranked = ranked.where(
                or_(
                    inner.c.order_date < day,
                    and_(inner.c.order_date == day, inner.c.id < last_id),
                )
            )
        page = ranked.subquery()
        order = aliased(SalesOrder, page)
        rows = await session.execute(
            select(order, page.c.customer_order_count)
            .where(page.c.rn <= limit + 1)
            .order_by(page.c.customer_id, page.c.rn)
        )
        per: dict[uuid.UUID, list[SalesOrder]] = defaultdict(list)
        totals: dict[uuid.UUID, int] = {}
        for o, total in rows.all():
            per[o.customer_id].append(o)
            totals[o.customer_id] = total
        for customer_id in customer_ids:
            found = per.get(customer_id, [])
            shown = found[:limit]
            result[(customer_id, first, after, statuses)] = Page(
                rows=shown,
                cursors=[encode_cursor([o.order_date, o.id]) for o in shown],
                has_next_page=len(found) > limit,
                has_previous_page=after is not None,
                total_count=totals.get(customer_id, 0),
            )
    return result


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    order_count: int
    lifetime_value: Decimal
    last_order_at: dt.datetime | None


def _base_amount(column: Any) -> Any:
    return func.coalesce(func.sum(column * SalesOrder.exchange_rate), ZERO)


async def customer_figures(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CustomerFigures]:
    """Confirmed, not cancelled orders: count, untaxed value in base currency, latest."""
    rows = await session.execute(
        select(
            SalesOrder.customer_id,
            func.count(),
            _base_amount(SalesOrder.untaxed),
            func.max(SalesOrder.confirmed_at),
        )
        .where(
            SalesOrder.tenant_id == tenant,
            SalesOrder.customer_id.in_(ids),
            SalesOrder.status.in_(BOOKED),
        )
        .group_by(SalesOrder.customer_id)
    )
    return {c: CustomerFigures(n, cents(v), last) for c, n, v, last in rows.all()}


@dataclass(frozen=True, slots=True)
class ProductFigures:
    quantity: Decimal
    revenue: Decimal
    order_count: int


ProductKey = tuple[uuid.UUID, dt.date | None, dt.date | None]


def _booked_lines() -> Select[Any]:
    return (
        select()
        .select_from(SalesOrderLine)
        .join(
            SalesOrder,
            and_(
                SalesOrder.tenant_id == SalesOrderLine.tenant_id,
                SalesOrder.id == SalesOrderLine.order_id,
            ),
        )
    )


def _period(stmt: Select[Any], start: dt.date | None, end: dt.date | None) -> Select[Any]:
    if start is not None:
        stmt = stmt.where(SalesOrder.order_date >= start)
    if end is not None:
        stmt = stmt.where(SalesOrder.order_date <= end)
    return stmt


async def product_figures(
    session: AsyncSession, tenant: TenantId, keys: Sequence[ProductKey]
) -> dict[ProductKey, ProductFigures]:
    groups: dict[tuple[dt.date | None, dt.date | None], list[uuid.UUID]] = defaultdict(list)
    for product_id, start, end in keys:
        groups[(start, end)].append(product_id)
    result: dict[ProductKey, ProductFigures] = {}
    for (start, end), ids in groups.items():
        stmt = _booked_lines().add_columns(
            SalesOrderLine.product_id,
            func.sum(SalesOrderLine.quantity),
            _base_amount(SalesOrderLine.untaxed),
            func.count(func.distinct(SalesOrder.id)),
        )
        stmt = _period(stmt, start, end).where(
            SalesOrderLine.tenant_id == tenant,
            SalesOrderLine.product_id.in_(ids),
            SalesOrder.status.in_(BOOKED),
        )
        rows = await session.execute(stmt.group_by(SalesOrderLine.product_id))
        for product_id, quantity, revenue, count in rows.all():
            result[(product_id, start, end)] = ProductFigures(quantity, cents(revenue), count)
    return result


# --- pipeline and analytics ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PipelineRow:
    state: str
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
        for s in ORDER_STATES
    ]


INTERVALS = {"DAY": "day", "WEEK": "week", "MONTH": "month"}


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
    interval: str,
    group_by: str,
) -> list[Bucket]:
    """Booked sales per `date_trunc(interval, order_date)` bucket and optional product or
    customer: untaxed revenue in base currency, quantity, distinct orders."""
    period = func.date_trunc(INTERVALS[interval], SalesOrder.order_date).label("period")
    key: Any = {
        "NONE": literal(None).label("key"),
        "PRODUCT": SalesOrderLine.product_id.label("key"),
        "CUSTOMER": SalesOrder.customer_id.label("key"),
    }[group_by]
    stmt = _booked_lines().add_columns(
        period,
        key,
        _base_amount(SalesOrderLine.untaxed),
        func.sum(SalesOrderLine.quantity),
        func.count(func.distinct(SalesOrder.id)),
    )
    stmt = _period(stmt, start, end).where(
        SalesOrderLine.tenant_id == tenant, SalesOrder.status.in_(BOOKED)
    )
    groups = [period] if group_by == "NONE" else [period, key]
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
    by: str,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
) -> list[Ranked]:
    """The customers (`by="CUSTOMER"`) or products with the most booked revenue."""
    key = SalesOrder.customer_id if by == "CUSTOMER" else SalesOrderLine.product_id
    revenue = _base_amount(SalesOrderLine.untaxed)
    stmt = _booked_lines().add_columns(
        key,
        revenue,
        func.sum(SalesOrderLine.quantity),
        func.count(func.distinct(SalesOrder.id)),
    )
    stmt = _period(stmt, start, end).where(
        SalesOrderLine.tenant_id == tenant, SalesOrder.status.in_(BOOKED)
    )
    rows = await session.execute(
        stmt.group_by(key).order_by(revenue.desc(), key).limit(max(1, min(limit, 100)))
    )
    return [Ranked(k, cents(r), q, n) for k, r, q, n in rows.all()]
