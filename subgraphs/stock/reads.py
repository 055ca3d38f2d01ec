"""Stock's reads: lists, figures (levels, valuation, replenishment) and the batch look-ups
that dataloaders and other domains use. Queries only, never writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, case, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from shared import batch, search
from shared.db import TenantId
from shared.pagination import Page, SortKey, paginate
from shared.validation import search_term
from subgraphs.stock.models import (
    SELLABLE_KINDS,
    VALUED_KINDS,
    ZERO,
    AlertStatus,
    CostAdjustment,
    Location,
    LocationKind,
    LowStockAlert,
    MoveState,
    Product,
    ProductType,
    Receipt,
    ReorderRule,
    StockLevel,
    StockMove,
    Warehouse,
    q4,
)

# --- look-ups by id -----------------------------------------------------------------


async def products_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    return await batch.by_id(session, Product, tenant, ids)


async def warehouses_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Warehouse]:
    return await batch.by_id(session, Warehouse, tenant, ids)


async def product(session: AsyncSession, tenant: TenantId, product_id: uuid.UUID) -> Product | None:
    """The product, or None when it is unknown or another tenant's."""
    return (await products_by_id(session, tenant, [product_id])).get(product_id)


async def warehouse(
    session: AsyncSession, tenant: TenantId, warehouse_id: uuid.UUID
) -> Warehouse | None:
    """The warehouse, or None when it is unknown or another tenant's."""
    return (await warehouses_by_id(session, tenant, [warehouse_id])).get(warehouse_id)


async def locations_by_warehouse(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Location]]:
    """Each warehouse's internal locations, by name."""
    found = await batch.grouped_by(
        session, Location, tenant, Location.warehouse_id, ids, order_by=[Location.name]
    )
    return {w: rows for w, rows in found.items() if w is not None}


# --- products -----------------------------------------------------------------------


class ProductSort(StrEnum):
    SKU = "SKU"
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


_PRODUCT_SORT = {
    ProductSort.SKU: Product.sku,
    ProductSort.NAME: Product.name,
    ProductSort.CREATED_AT: Product.created_at,
}


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    category: str | None = None
    type: ProductType | None = None
    low_stock: bool | None = None
    active: bool | None = True


async def list_products(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ProductFilter,
    order_by: ProductSort = ProductSort.SKU,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Product]:
    stmt = select(Product).where(Product.tenant_id == tenant)
    if term := search_term(filter.search):  # words of the SKU, name or barcode
        stmt = stmt.where(search.matches(Product.id, search.SearchKind.PRODUCT, tenant, term))
    if filter.category is not None:
        stmt = stmt.where(Product.category == filter.category)
    if filter.type is not None:
        stmt = stmt.where(Product.type == filter.type)
    if filter.active is not None:
        stmt = stmt.where(Product.active == filter.active)
    if filter.low_stock is not None:
        low = (
            select(LowStockAlert.product_id)
            .where(LowStockAlert.tenant_id == tenant, LowStockAlert.status == AlertStatus.OPEN)
            .scalar_subquery()
        )
        stmt = stmt.where(Product.id.in_(low) if filter.low_stock else Product.id.not_in(low))
    column = _PRODUCT_SORT[ProductSort(order_by)]
    return await paginate(
        session,
        stmt,
        keys=[SortKey(column, descending), SortKey(Product.id, descending)],
        key_of=lambda p: [getattr(p, column.key), p.id],
        first=first,
        after=after,
    )


# --- warehouses ---------------------------------------------------------------------


async def list_warehouses(
    session: AsyncSession, tenant: TenantId, *, first: int | None, after: str | None
) -> Page[Warehouse]:
    return await paginate(
        session,
        select(Warehouse).where(Warehouse.tenant_id == tenant),
        keys=[SortKey(Warehouse.code), SortKey(Warehouse.id)],
        key_of=lambda w: [w.code, w.id],
        first=first,
        after=after,
    )


# --- levels -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelRow:
    product_id: uuid.UUID
    location_id: uuid.UUID
    warehouse_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    kind: LocationKind = LocationKind.STOCK
    claimed: Decimal = Decimal(0)
    """Open backorders (claims) waiting for stock here."""

    @property
    def sellable(self) -> bool:
        return self.kind in SELLABLE_KINDS

    @property
    def valued(self) -> bool:
        return self.kind in VALUED_KINDS

    @property
    def available(self) -> Decimal:
        """On hand minus reserved where stock is sellable; nothing elsewhere."""
        return self.on_hand - self.reserved if self.sellable else q4(ZERO)


async def levels_by_product(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[LevelRow]]:
    """Each product's levels in internal locations, by warehouse and location name."""
    rows = await session.execute(
        select(
            StockLevel.product_id,
            StockLevel.location_id,
            Location.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            Location.kind,
            StockLevel.claimed,
        )
        .join(
            Location,
            and_(Location.tenant_id == StockLevel.tenant_id, Location.id == StockLevel.location_id),
        )
        .where(StockLevel.tenant_id == tenant, StockLevel.product_id.in_(ids))
        .order_by(StockLevel.product_id, Location.warehouse_id, Location.name)
    )
    result: dict[uuid.UUID, list[LevelRow]] = defaultdict(list)
    for r in rows.all():
        assert r.warehouse_id is not None
        result[r.product_id].append(
            LevelRow(
                r.product_id,
                r.location_id,
                r.warehouse_id,
                r.on_hand,
                r.reserved,
                LocationKind(r.kind),
                r.claimed,
            )
        )
    return result


async def available_by_warehouse(
    session: AsyncSession, tenant: TenantId, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """(product, warehouse) -> on hand minus reserved over the warehouse's sellable
    locations (`SELLABLE_KINDS`)."""
    if not pairs:
        return {}
    rows = await session.execute(
        select(
            StockLevel.product_id,
            Location.warehouse_id,
            func.sum(StockLevel.on_hand - StockLevel.reserved),
        )
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .where(
            StockLevel.tenant_id == tenant,
            tuple_(StockLevel.product_id, Location.warehouse_id).in_(sorted(pairs)),
            Location.kind.in_(SELLABLE_KINDS),
        )
        .group_by(StockLevel.product_id, Location.warehouse_id)
    )
    return {(p, w): free for p, w, free in rows.all() if w is not None}


# --- moves --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveFilter:
    product_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    source_type: str | None = None
    source_id: uuid.UUID | None = None
    state: MoveState | None = None
    done_from: dt.datetime | None = None
    done_to: dt.datetime | None = None


async def list_moves(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: MoveFilter,
    first: int | None,
    after: str | None,
) -> Page[StockMove]:
    """Newest first."""
    stmt = select(StockMove).where(StockMove.tenant_id == tenant)
    f = filter
    if f.product_id is not None:
        stmt = stmt.where(StockMove.product_id == f.product_id)
    if f.location_id is not None:
        stmt = stmt.where(
            or_(
                StockMove.from_location_id == f.location_id,
                StockMove.to_location_id == f.location_id,
            )
        )
    if f.source_type is not None:
        stmt = stmt.where(StockMove.source_type == f.source_type)
    if f.source_id is not None:
        stmt = stmt.where(StockMove.source_id == f.source_id)
    if f.state is not None:
        stmt = stmt.where(StockMove.state == f.state)
    if f.done_from is not None:
        stmt = stmt.where(StockMove.created_at >= f.done_from)
    if f.done_to is not None:
        stmt = stmt.where(StockMove.created_at < f.done_to)
    return await paginate(
        session,
        stmt,
        keys=[SortKey(StockMove.created_at, True), SortKey(StockMove.id, True)],
        key_of=lambda m: [m.created_at, m.id],
        first=first,
        after=after,
    )


# --- alerts, replenishment, valuation -----------------------------------------------


async def list_alerts(
    session: AsyncSession,
    tenant: TenantId,
    *,
    status: AlertStatus | None,
    first: int | None,
    after: str | None,
) -> Page[LowStockAlert]:
    """Newest first."""
    stmt = select(LowStockAlert).where(LowStockAlert.tenant_id == tenant)
    if status is not None:
        stmt = stmt.where(LowStockAlert.status == status)
    return await paginate(
        session,
        stmt,
        keys=[SortKey(LowStockAlert.raised_at, True), SortKey(LowStockAlert.id, True)],
        key_of=lambda a: [a.raised_at, a.id],
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class Suggestion:
    product_id: uuid.UUID
    warehouse_id: uuid.UUID
    available: Decimal
    min_quantity: Decimal
    max_quantity: Decimal

    @property
    def quantity(self) -> Decimal:
        return self.max_quantity - self.available


async def replenishment_suggestions(
    session: AsyncSession, tenant: TenantId, *, warehouse_id: uuid.UUID | None = None
) -> list[Suggestion]:
    """Rules whose warehouse is below minimum, with the quantity to order up to maximum."""
    stmt = select(ReorderRule).where(ReorderRule.tenant_id == tenant)
    if warehouse_id is not None:
        stmt = stmt.where(ReorderRule.warehouse_id == warehouse_id)
    rules = list((await session.scalars(stmt)).all())
    available = await available_by_warehouse(
        session, tenant, {(r.product_id, r.warehouse_id) for r in rules}
    )
    result = []
    for r in rules:
        free = available.get((r.product_id, r.warehouse_id), ZERO)
        if free < r.min_quantity:
            result.append(
                Suggestion(r.product_id, r.warehouse_id, free, r.min_quantity, r.max_quantity)
            )
    return sorted(result, key=lambda s: (s.warehouse_id, s.product_id))


@dataclass(frozen=True, slots=True)
class ValuationLine:
    product_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal

    @property
    def value(self) -> Decimal:
        return q4(self.quantity * self.unit_cost)


async def stock_valuation(
    session: AsyncSession,
    tenant: TenantId,
    *,
    warehouse_id: uuid.UUID | None = None,
    as_of: dt.date | None = None,
) -> list[ValuationLine]:
    """Valued stock (every internal location but SCRAP) x moving-average cost per product,
    in one warehouse or all. With `as_of`, at the end of that day (UTC), from the ledger."""
    if as_of is not None:
        return await _valuation_as_of(session, tenant, warehouse_id=warehouse_id, as_of=as_of)
    stmt = (
        select(Product.id, func.sum(StockLevel.on_hand), Product.cost)
        .join(
            StockLevel,
            and_(StockLevel.tenant_id == Product.tenant_id, StockLevel.product_id == Product.id),
        )
        .join(
            Location,
            and_(Location.tenant_id == StockLevel.tenant_id, Location.id == StockLevel.location_id),
        )
        .where(Product.tenant_id == tenant, Location.kind.in_(VALUED_KINDS))
        .group_by(Product.id, Product.sku, Product.cost)
        .having(func.sum(StockLevel.on_hand) > 0)
        .order_by(Product.sku)
    )
    if warehouse_id is not None:
        stmt = stmt.where(Location.warehouse_id == warehouse_id)
    return [ValuationLine(p, q, c) for p, q, c in (await session.execute(stmt)).all()]


async def _valuation_as_of(
    session: AsyncSession, tenant: TenantId, *, warehouse_id: uuid.UUID | None, as_of: dt.date
) -> list[ValuationLine]:
    """Each product's valued quantity then, summed from the done moves, at the ledger's
    unit cost then: (every move in or out of valued stock at the unit cost it was posted
    at, plus the value revaluations kept in stock) / quantity. That is the moving average
    of the day, up to the average's rounding. One cost per product, as today: a
    warehouse's line is its quantity at the product's cost."""
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    src, dst = aliased(Location), aliased(Location)
    into = dst.kind.in_(VALUED_KINDS)
    out_of = src.kind.in_(VALUED_KINDS)
    qty = StockMove.quantity
    change = case((into, qty), else_=ZERO) - case((out_of, qty), else_=ZERO)
    here = change
    if warehouse_id is not None:
        here = case((into & (dst.warehouse_id == warehouse_id), qty), else_=ZERO) - case(
            (out_of & (src.warehouse_id == warehouse_id), qty), else_=ZERO
        )
    moves = (
        select(
            StockMove.product_id,
            Product.sku,
            func.sum(change),
            func.sum(here),
            func.sum(change * func.coalesce(StockMove.unit_cost, ZERO)),
        )
        .join(src, and_(src.tenant_id == StockMove.tenant_id, src.id == StockMove.from_location_id))
        .join(dst, and_(dst.tenant_id == StockMove.tenant_id, dst.id == StockMove.to_location_id))
        .join(
            Product,
            and_(Product.tenant_id == StockMove.tenant_id, Product.id == StockMove.product_id),
        )
        .where(
            StockMove.tenant_id == tenant,
            StockMove.state == MoveState.DONE,
            StockMove.done_at < cutoff,
        )
        .group_by(StockMove.product_id, Product.sku)
        .order_by(Product.sku)
    )
    kept = dict(
        (
            await session.execute(
                select(
                    CostAdjustment.product_id,
                    func.sum(
                        CostAdjustment.on_hand * (CostAdjustment.new_cost - CostAdjustment.old_cost)
                    ),
                )
                .where(CostAdjustment.tenant_id == tenant, CostAdjustment.created_at < cutoff)
                .group_by(CostAdjustment.product_id)
            )
        ).all()
    )
    lines = []
    for product_id, _, total, quantity, value in (await session.execute(moves)).all():
        if quantity > 0 and total > 0:
            cost = max(q4((value + kept.get(product_id, ZERO)) / total), ZERO)
            lines.append(ValuationLine(product_id, quantity, cost))
    return lines


# --- the ledger read by people: running balances, receipts --------------------------


@dataclass(frozen=True, slots=True)
class Balance:
    """After one move: the quantity and value (moves at their unit costs) of the product
    in the location, or over all valued locations."""

    quantity: Decimal
    value: Decimal


async def running_balances(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    location_id: uuid.UUID | None,
    move_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, Balance]:
    """The balance after each of `move_ids` (moves of `product_id`): one window over the
    product's whole history, in the order `list_moves` pages in (reversed), so the balance
    of a page's row does not depend on the page or on the list's other filters."""
    if not move_ids:
        return {}
    src, dst = aliased(Location), aliased(Location)
    qty = StockMove.quantity
    stmt = select(StockMove.id)
    where = [
        StockMove.tenant_id == tenant,
        StockMove.product_id == product_id,
        StockMove.state == MoveState.DONE,
    ]
    change: ColumnElement[Decimal]
    if location_id is not None:
        change = case((StockMove.to_location_id == location_id, qty), else_=-qty)
        where.append(
            or_(StockMove.from_location_id == location_id, StockMove.to_location_id == location_id)
        )
    else:
        change = case((dst.kind.in_(VALUED_KINDS), qty), else_=ZERO) - case(
            (src.kind.in_(VALUED_KINDS), qty), else_=ZERO
        )
        stmt = stmt.join(
            src, and_(src.tenant_id == StockMove.tenant_id, src.id == StockMove.from_location_id)
        ).join(dst, and_(dst.tenant_id == StockMove.tenant_id, dst.id == StockMove.to_location_id))
    order = [StockMove.created_at, StockMove.id]
    history = (
        stmt.add_columns(
            func.sum(change).over(order_by=order).label("quantity"),
            func.sum(change * func.coalesce(StockMove.unit_cost, ZERO))
            .over(order_by=order)
            .label("value"),
        )
        .where(*where)
        .subquery()
    )
    rows = await session.execute(select(history).where(history.c.id.in_(list(move_ids))))
    return {r.id: Balance(r.quantity, q4(r.value)) for r in rows.all()}


async def receipts_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Receipt]:
    return await batch.by_id(session, Receipt, tenant, ids)


async def receipt(session: AsyncSession, tenant: TenantId, receipt_id: uuid.UUID) -> Receipt | None:
    """The receipt, or None when it is unknown or another tenant's."""
    return (await receipts_by_id(session, tenant, [receipt_id])).get(receipt_id)


async def moves_by_source(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StockMove]]:
    """The moves each document (by `source_id`) posted, oldest first."""
    found = await batch.grouped_by(
        session,
        StockMove,
        tenant,
        StockMove.source_id,
        ids,
        order_by=[StockMove.created_at, StockMove.source_line, StockMove.id],
    )
    return {k: v for k, v in found.items() if k is not None}
