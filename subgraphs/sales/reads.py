"""Sales' read side: lists, a customer's orders and figures, a product's figures, and the
batch look-ups the dataloaders need beyond `shared.batch`. Queries only, never writes.
Figures are aggregated in SQL; amounts "in base currency" are untaxed amounts times the
exchange rate fixed at confirmation, rounded to cents once per figure. Sales figures are
net of returns (so of their credit notes): a line counts what the customer kept, its
untaxed amount (of what it delivered, once the order is closed) less the untaxed value of
the returned quantity (`kept_untaxed`, rounded as a credit note line is). Period figures
and rankings live in `analytics.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared import search
from shared.db import TenantId
from shared.pagination import (
    Page,
    SortKey,
    check_first,
    decode_cursor,
    encode_cursor,
    paginate,
)
from shared.validation import search_term
from subgraphs.sales.models import (
    BOOKED,
    CreditApplication,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoicingStatus,
    OrderState,
    SalesOrder,
    SalesOrderLine,
    TaxRate,
)
from subgraphs.sales.orders import ZERO, cents
from subgraphs.sales.rates import base_currency

BASE = "base"
"""The one key of the base-currency look-up (a tenant has one base currency)."""

# --- look-ups by key ----------------------------------------------------------------


async def lines_by_invoice(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InvoiceLine]]:
    """Each invoice's lines in the order of the order lines they bill."""
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


async def applications_by_document(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CreditApplication]]:
    """Each invoice's or credit note's credit applications (either side), oldest first."""
    rows = await session.scalars(
        select(CreditApplication)
        .where(
            CreditApplication.tenant_id == tenant,
            or_(CreditApplication.invoice_id.in_(ids), CreditApplication.credit_note_id.in_(ids)),
        )
        .order_by(CreditApplication.created_at, CreditApplication.id)
    )
    wanted = set(ids)
    result: dict[uuid.UUID, list[CreditApplication]] = defaultdict(list)
    for row in rows:
        for side in {row.invoice_id, row.credit_note_id} & wanted:
            result[side].append(row)
    return result


async def base_currencies(
    session: AsyncSession, tenant: TenantId, keys: Sequence[str]
) -> dict[str, str]:
    return dict.fromkeys(keys, await base_currency(session, tenant))


# --- lists --------------------------------------------------------------------------


def sort_key(column: Any, descending: bool = False) -> SortKey:
    # shared.pagination is typed for SQLAlchemy 2.0's column types; 2.1's ORM attributes
    # are what `paginate` needs at runtime.
    return SortKey(cast("ColumnElement[Any]", column), descending)


async def list_tax_rates(session: AsyncSession, tenant: TenantId) -> list[TaxRate]:
    rows = await session.scalars(
        select(TaxRate).where(TaxRate.tenant_id == tenant).order_by(TaxRate.name)
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class OrderFilter:
    customer_id: uuid.UUID | None = None
    statuses: Sequence[OrderState] = ()
    invoice_status: InvoicingStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None


class OrderSort(StrEnum):
    """What a list of orders can be sorted by (then by id)."""

    NUMBER = "NUMBER"
    ORDER_DATE = "ORDER_DATE"
    TOTAL = "TOTAL"
    CREATED_AT = "CREATED_AT"


ORDER_SORT = {
    OrderSort.NUMBER: SalesOrder.number,
    OrderSort.ORDER_DATE: SalesOrder.order_date,
    OrderSort.TOTAL: SalesOrder.total,
    OrderSort.CREATED_AT: SalesOrder.created_at,
}


async def list_orders(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: OrderFilter,
    order_by: OrderSort = OrderSort.ORDER_DATE,
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
    if term := search_term(filter.search):  # words of the number: "00042", "42", "2026"
        stmt = stmt.where(
            search.matches(SalesOrder.id, search.SearchKind.SALES_ORDER, tenant, term)
        )
    column = ORDER_SORT[order_by]
    return await paginate(
        session,
        cast("Select[Any]", stmt),
        keys=[sort_key(column, descending), sort_key(SalesOrder.id, descending)],
        key_of=lambda o: [getattr(o, column.key), o.id],
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    order_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    kind: InvoiceKind | None = None
    status: InvoiceStatus | None = None
    search: str | None = None
    overdue_on: dt.date | None = None
    """Only invoices past their due date on this day with something still due."""


async def list_invoices(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: InvoiceFilter,
    first: int | None,
    after: str | None,
) -> Page[Invoice]:
    """Newest number first."""
    stmt = select(Invoice).where(Invoice.tenant_id == tenant)
    if filter.order_id is not None:
        stmt = stmt.where(Invoice.order_id == filter.order_id)
    if filter.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == filter.customer_id)
    if filter.kind is not None:
        stmt = stmt.where(Invoice.kind == filter.kind)
    if filter.status is not None:
        stmt = stmt.where(Invoice.status == filter.status)
    if term := search_term(filter.search):
        stmt = stmt.where(search.matches(Invoice.id, search.SearchKind.INVOICE, tenant, term))
    if filter.overdue_on is not None:
        stmt = stmt.where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status != InvoiceStatus.PAID,
            Invoice.due_date < filter.overdue_on,
        )
    return await paginate(
        session,
        cast("Select[Any]", stmt),
        keys=[sort_key(Invoice.number, True), sort_key(Invoice.id, True)],
        key_of=lambda i: [i.number, i.id],
        first=first,
        after=after,
    )


# --- a customer's orders, many customers in one statement ---------------------------


OrdersKey = tuple[uuid.UUID, int | None, str | None, tuple[OrderState, ...]]
"""(customer id, first, after, statuses): one `Customer.orders(...)` field."""


async def orders_by_customer(
    session: AsyncSession, tenant: TenantId, keys: Sequence[OrdersKey]
) -> dict[OrdersKey, Page[SalesOrder]]:
    """One page of each customer's orders, newest first, in one statement per distinct
    (first, after, statuses): `row_number()` over each customer's orders picks the page."""
    groups: dict[tuple[int | None, str | None, tuple[OrderState, ...]], list[uuid.UUID]] = (
        defaultdict(list)
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


# --- figures of customers and products ----------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    order_count: int
    lifetime_value: Decimal
    last_order_at: dt.datetime | None


NO_CUSTOMER_FIGURES = CustomerFigures(0, ZERO, None)


def base_amount(column: Any) -> Any:
    """The sum of `column` converted at each order's fixed exchange rate."""
    return func.coalesce(func.sum(column * SalesOrder.exchange_rate), ZERO)


def _value(line: Any, quantity: Any) -> Any:
    """The untaxed value of `quantity` of `line`, rounded as an invoice or credit note line
    is (PostgreSQL's round is half away from zero, half-up here)."""
    return func.round(quantity * line.unit_price * (100 - line.discount_percent) / 100, 2)


def _kept_untaxed(line: Any, order: Any) -> Any:
    """What the customer keeps of `line`: a closed order (DELIVERED with its rest
    cancelled, `close_sales_order`) sold only what it delivered; returns come off."""
    closed_short = and_(order.status == OrderState.DELIVERED, line.delivered_qty < line.quantity)
    sold = case((closed_short, _value(line, line.delivered_qty)), else_=line.untaxed)
    return sold - _value(line, line.returned_qty)


def kept_untaxed() -> Any:
    """A line's untaxed amount for what it sold, less the value of what came back."""
    return _kept_untaxed(SalesOrderLine, SalesOrder)


def kept_quantity() -> Any:
    sold = case(
        (SalesOrder.status == OrderState.DELIVERED, SalesOrderLine.delivered_qty),
        else_=SalesOrderLine.quantity,
    )
    return sold - SalesOrderLine.returned_qty


def _order_kept_value() -> Any:
    """Per order (correlated): the untaxed value its customer keeps."""
    line = aliased(SalesOrderLine)
    return (
        select(func.coalesce(func.sum(_kept_untaxed(line, SalesOrder)), ZERO))
        .where(line.tenant_id == SalesOrder.tenant_id, line.order_id == SalesOrder.id)
        .correlate(SalesOrder)
        .scalar_subquery()
    )


async def customer_figures(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CustomerFigures]:
    """Confirmed, not cancelled orders: count, untaxed value net of returns in base
    currency, latest."""
    rows = await session.execute(
        select(
            SalesOrder.customer_id,
            func.count(),
            base_amount(_order_kept_value()),
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


NO_PRODUCT_FIGURES = ProductFigures(ZERO, ZERO, 0)

ProductKey = tuple[uuid.UUID, dt.date | None, dt.date | None]
"""(product id, from, to): one `Product.salesStats(...)` field."""


def booked_lines() -> Select[Any]:
    """Order lines joined to their orders, to filter on booked states and dates."""
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


def in_period(stmt: Select[Any], start: dt.date | None, end: dt.date | None) -> Select[Any]:
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
        stmt = booked_lines().add_columns(
            SalesOrderLine.product_id,
            func.sum(kept_quantity()),
            base_amount(kept_untaxed()),
            func.count(func.distinct(SalesOrder.id)),
        )
        stmt = in_period(stmt, start, end).where(
            SalesOrderLine.tenant_id == tenant,
            SalesOrderLine.product_id.in_(ids),
            SalesOrder.status.in_(BOOKED),
        )
        rows = await session.execute(stmt.group_by(SalesOrderLine.product_id))
        for product_id, quantity, revenue, count in rows.all():
            result[(product_id, start, end)] = ProductFigures(quantity, cents(revenue), count)
    return result


async def order_lines_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SalesOrderLine]:
    """Order lines by id (production checks the make-to-order line it is given)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(SalesOrderLine).where(
            SalesOrderLine.tenant_id == tenant, SalesOrderLine.id.in_(set(ids))
        )
    )
    return {row.id: row for row in rows}
