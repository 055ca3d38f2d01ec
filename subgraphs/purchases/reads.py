"""Purchases' read side: lists, and the batch look-ups dataloaders need beyond
`shared.batch` (a product's suppliers, its last purchase cost and incoming quantity).
Queries only, never writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.pagination import Page, SortKey, paginate
from subgraphs.purchases.models import (
    OPEN,
    BillStatus,
    OrderState,
    PreferredSupplier,
    PurchaseOrder,
    PurchaseOrderLine,
    ReceiptLine,
    Supplier,
    SupplierPrice,
    VendorBill,
)
from subgraphs.purchases.policy import base_currency

ZERO = Decimal(0)
BASE = "base"
"""The one key of the base-currency look-up (a tenant has one base currency)."""


def sort_key(column: Any, descending: bool = False) -> SortKey:
    # shared.pagination is typed for SQLAlchemy 2.0's column types; 2.1's ORM attributes
    # are what `paginate` needs at runtime.
    return SortKey(cast("ColumnElement[Any]", column), descending)


def search_term(value: str | None) -> str | None:
    """A list filter's free text; blank is no filter."""
    return value.strip() if value is not None and value.strip() else None


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def base_currencies(
    session: AsyncSession, tenant: TenantId, keys: Sequence[str]
) -> dict[str, str]:
    return dict.fromkeys(keys, await base_currency(session, tenant))


# --- suppliers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierFilter:
    search: str | None = None
    archived: bool | None = False


class SupplierSort(StrEnum):
    NAME = "NAME"
    RATING = "RATING"
    CREATED_AT = "CREATED_AT"


SUPPLIER_SORT = {
    SupplierSort.NAME: Supplier.name,
    SupplierSort.RATING: func.coalesce(Supplier.rating, 0),
    SupplierSort.CREATED_AT: Supplier.created_at,
}


def _supplier_key(order_by: SupplierSort, s: Supplier) -> Any:
    if order_by == SupplierSort.RATING:
        return s.rating or 0
    return s.created_at if order_by == SupplierSort.CREATED_AT else s.name


async def list_suppliers(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: SupplierFilter,
    order_by: SupplierSort = SupplierSort.NAME,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Supplier]:
    stmt = select(Supplier).where(Supplier.tenant_id == tenant)
    term = search_term(filter.search)
    if term is not None:
        pattern = _like(term)
        stmt = stmt.where(
            or_(
                Supplier.name.ilike(pattern),
                Supplier.email.ilike(pattern),
                Supplier.tax_id.ilike(pattern),
            )
        )
    if filter.archived is not None:
        stmt = stmt.where(Supplier.archived.is_(filter.archived))
    column = SUPPLIER_SORT[order_by]
    return await paginate(
        session,
        stmt,
        keys=[sort_key(column, descending), sort_key(Supplier.id, descending)],
        key_of=lambda s: [_supplier_key(order_by, s), s.id],
        first=first,
        after=after,
    )


# --- purchase orders ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderFilter:
    supplier_id: uuid.UUID | None = None
    statuses: Sequence[OrderState] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None


class OrderSort(StrEnum):
    NUMBER = "NUMBER"
    ORDER_DATE = "ORDER_DATE"
    EXPECTED_DATE = "EXPECTED_DATE"
    TOTAL = "TOTAL"
    CREATED_AT = "CREATED_AT"


ORDER_SORT = {
    OrderSort.NUMBER: PurchaseOrder.number,
    OrderSort.ORDER_DATE: PurchaseOrder.order_date,
    OrderSort.EXPECTED_DATE: func.coalesce(PurchaseOrder.expected_date, PurchaseOrder.order_date),
    OrderSort.TOTAL: PurchaseOrder.total,
    OrderSort.CREATED_AT: PurchaseOrder.created_at,
}


def _order_key(order_by: OrderSort, o: PurchaseOrder) -> Any:
    if order_by == OrderSort.EXPECTED_DATE:
        return o.expected_date or o.order_date
    column = {
        OrderSort.NUMBER: "number",
        OrderSort.ORDER_DATE: "order_date",
        OrderSort.TOTAL: "total",
        OrderSort.CREATED_AT: "created_at",
    }[order_by]
    return getattr(o, column)


async def list_orders(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: OrderFilter,
    order_by: OrderSort = OrderSort.ORDER_DATE,
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[PurchaseOrder]:
    stmt = select(PurchaseOrder).where(PurchaseOrder.tenant_id == tenant)
    if filter.supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == filter.supplier_id)
    if filter.statuses:
        stmt = stmt.where(PurchaseOrder.status.in_(list(filter.statuses)))
    if filter.date_from is not None:
        stmt = stmt.where(PurchaseOrder.order_date >= filter.date_from)
    if filter.date_to is not None:
        stmt = stmt.where(PurchaseOrder.order_date <= filter.date_to)
    term = search_term(filter.search)
    if term is not None:
        pattern = _like(term)
        supplier_names = select(Supplier.id).where(
            Supplier.tenant_id == tenant, Supplier.name.ilike(pattern)
        )
        stmt = stmt.where(
            or_(
                PurchaseOrder.number.ilike(pattern),
                PurchaseOrder.notes.ilike(pattern),
                PurchaseOrder.supplier_id.in_(supplier_names),
            )
        )
    return await paginate(
        session,
        stmt,
        keys=[sort_key(ORDER_SORT[order_by], descending), sort_key(PurchaseOrder.id, descending)],
        key_of=lambda o: [_order_key(order_by, o), o.id],
        first=first,
        after=after,
    )


# --- vendor bills -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillFilter:
    supplier_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    statuses: Sequence[BillStatus] = ()
    due_before: dt.date | None = None
    search: str | None = None


async def list_bills(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: BillFilter,
    first: int | None,
    after: str | None,
) -> Page[VendorBill]:
    """Bills by due date, soonest first."""
    stmt = select(VendorBill).where(VendorBill.tenant_id == tenant)
    if filter.supplier_id is not None:
        stmt = stmt.where(VendorBill.supplier_id == filter.supplier_id)
    if filter.order_id is not None:
        stmt = stmt.where(VendorBill.order_id == filter.order_id)
    if filter.statuses:
        stmt = stmt.where(VendorBill.status.in_(list(filter.statuses)))
    if filter.due_before is not None:
        stmt = stmt.where(VendorBill.due_date <= filter.due_before)
    term = search_term(filter.search)
    if term is not None:
        pattern = _like(term)
        stmt = stmt.where(
            or_(VendorBill.number.ilike(pattern), VendorBill.supplier_reference.ilike(pattern))
        )
    return await paginate(
        session,
        stmt,
        keys=[sort_key(VendorBill.due_date), sort_key(VendorBill.id)],
        key_of=lambda b: [b.due_date, b.id],
        first=first,
        after=after,
    )


# --- what purchases knows about a product -------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductSupplier:
    """One supplier of a product: its price tiers and whether it is the preferred one."""

    supplier_id: uuid.UUID
    preferred: bool
    prices: list[SupplierPrice] = field(default_factory=list)


async def product_suppliers(
    session: AsyncSession, tenant: TenantId, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ProductSupplier]]:
    """Each product's suppliers, the preferred one first, then by their cheapest price."""
    rows = await session.execute(
        select(SupplierPrice, PreferredSupplier.supplier_id)
        .outerjoin(
            PreferredSupplier,
            (PreferredSupplier.tenant_id == SupplierPrice.tenant_id)
            & (PreferredSupplier.product_id == SupplierPrice.product_id),
        )
        .where(SupplierPrice.tenant_id == tenant, SupplierPrice.product_id.in_(set(product_ids)))
        .order_by(SupplierPrice.product_id, SupplierPrice.min_quantity, SupplierPrice.price)
    )
    grouped: dict[uuid.UUID, dict[uuid.UUID, ProductSupplier]] = {}
    for price, preferred in rows:
        suppliers = grouped.setdefault(price.product_id, {})
        entry = suppliers.get(price.supplier_id)
        if entry is None:
            entry = suppliers[price.supplier_id] = ProductSupplier(
                price.supplier_id, preferred == price.supplier_id
            )
        entry.prices.append(price)
    return {
        product: sorted(
            found.values(),
            key=lambda s: (not s.preferred, min(p.price for p in s.prices), str(s.supplier_id)),
        )
        for product, found in grouped.items()
    }


@dataclass(frozen=True, slots=True)
class LastCost:
    unit_cost: Decimal
    currency: str


async def last_purchase_costs(
    session: AsyncSession, tenant: TenantId, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LastCost]:
    """The unit cost (in base currency) of each product's latest receipt."""
    newest = func.row_number().over(
        partition_by=ReceiptLine.product_id,
        order_by=(ReceiptLine.created_at.desc(), ReceiptLine.id.desc()),
    )
    ranked = (
        select(ReceiptLine.product_id, ReceiptLine.unit_cost, newest.label("rank"))
        .where(ReceiptLine.tenant_id == tenant, ReceiptLine.product_id.in_(set(product_ids)))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.product_id, ranked.c.unit_cost).where(ranked.c.rank == 1)
    )
    found = rows.all()
    if not found:
        return {}
    base = await base_currency(session, tenant)
    return {product: LastCost(cost, base) for product, cost in found}


def open_quantity() -> ColumnElement[Decimal]:
    remaining = (
        PurchaseOrderLine.quantity
        - PurchaseOrderLine.received_qty
        - PurchaseOrderLine.cancelled_qty
    )
    return func.greatest(remaining, 0)


async def incoming_quantities(
    session: AsyncSession, tenant: TenantId, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Each product's quantity on open orders (asked for, confirmed or partly received)
    that has not come in yet."""
    rows = await session.execute(
        select(PurchaseOrderLine.product_id, func.sum(open_quantity()))
        .join(
            PurchaseOrder,
            (PurchaseOrder.tenant_id == PurchaseOrderLine.tenant_id)
            & (PurchaseOrder.id == PurchaseOrderLine.order_id),
        )
        .where(
            PurchaseOrderLine.tenant_id == tenant,
            PurchaseOrderLine.product_id.in_(set(product_ids)),
            PurchaseOrder.status.in_(list(OPEN)),
        )
        .group_by(PurchaseOrderLine.product_id)
    )
    return dict(rows.all())


# --- single documents (what a replayed Idempotency-Key answers with) ------------------


async def get_order(session: AsyncSession, tenant: TenantId, order_id: uuid.UUID) -> PurchaseOrder:
    order = await session.get(PurchaseOrder, (tenant, order_id))
    assert order is not None, "a recorded order exists"
    return order


async def get_bill(session: AsyncSession, tenant: TenantId, bill_id: uuid.UUID) -> VendorBill:
    bill = await session.get(VendorBill, (tenant, bill_id))
    assert bill is not None, "a recorded bill exists"
    return bill
