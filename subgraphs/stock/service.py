"""Stock's rules and public API. Other domains call only this module, inside their own
transaction: `reserve`, `release`, `deliver`, `receive`, `consume`, `produce` (the engine
lives in `ledger.py`), plus product and warehouse look-ups."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shared.db import TenantId
from shared.errors import InvalidInput, NotFound, Problem
from shared.pagination import Page, SortKey, paginate
from subgraphs.stock.ledger import (
    ZERO,
    CountLine,
    DemandLine,
    DocumentRef,
    InsufficientStock,
    Shortfall,
    SupplyLine,
    adjust,
    available_by_warehouse,
    consume,
    deliver,
    evaluate_low_stock,
    produce,
    q4,
    receive,
    release,
    reserve,
    return_from_customer,
    transfer,
    virtual_location,
)
from subgraphs.stock.models import (
    INTERNAL_KINDS,
    PRODUCT_TYPES,
    Location,
    LowStockAlert,
    Product,
    ReorderRule,
    Reservation,
    StockLevel,
    StockMove,
    Warehouse,
)

__all__ = [
    "CountLine",
    "DemandLine",
    "DocumentRef",
    "InsufficientStock",
    "Shortfall",
    "SupplyLine",
    "adjust",
    "consume",
    "deliver",
    "produce",
    "receive",
    "release",
    "reserve",
    "return_from_customer",
    "transfer",
    "verify_levels",
    "virtual_location",
]


def _sort(column: Any, descending: bool = False) -> SortKey:
    # shared.pagination is typed for SQLAlchemy 2.0; 2.1's ORM attributes and `Select[T]`
    # do not match those annotations, though they are what `paginate` needs at runtime.
    return SortKey(cast("ColumnElement[Any]", column), descending)


def _rows(stmt: Any) -> Any:
    return stmt


# --- products -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductFields:
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    uom: str | None = None
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal | None = None


def _text(problems: list[Problem], field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        problems.append(Problem(field, "REQUIRED", "This field is required"))
    elif len(value) > limit:
        problems.append(Problem(field, "TOO_LONG", f"At most {limit} characters"))
    return value


def _check_product(fields: ProductFields, *, creating: bool) -> dict[str, object]:
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for name, limit in (("sku", 64), ("name", 200), ("uom", 16)):
        value = _text(problems, f"input.{name}", getattr(fields, name), limit)
        if value is not None:
            values[name] = value
        elif creating and name != "uom":
            problems.append(Problem(f"input.{name}", "REQUIRED", "This field is required"))
    for name, limit in (("category", 100), ("barcode", 64)):
        value = getattr(fields, name)
        if value is not None:
            value = value.strip() or None
            if value and len(value) > limit:
                problems.append(Problem(f"input.{name}", "TOO_LONG", f"At most {limit} characters"))
            values[name] = value
    if fields.description is not None:
        values["description"] = fields.description
    if fields.type is not None:
        if fields.type not in PRODUCT_TYPES:
            problems.append(Problem("input.type", "INVALID", "Unknown product type"))
        values["type"] = fields.type
    elif creating:
        values["type"] = "STOCKABLE"
    if fields.sales_price is not None:
        if not fields.sales_price.is_finite() or fields.sales_price < 0:
            problems.append(Problem("input.salesPrice", "NEGATIVE", "Prices cannot be negative"))
        else:
            values["sales_price"] = q4(fields.sales_price)
    if problems:
        raise InvalidInput(problems)
    return values


async def _sku_taken(
    session: AsyncSession, tenant: TenantId, sku: str, but: uuid.UUID | None = None
) -> bool:
    stmt = select(Product.id).where(Product.tenant_id == tenant, Product.sku == sku)
    if but is not None:
        stmt = stmt.where(Product.id != but)
    return (await session.scalar(stmt)) is not None


async def create_product(session: AsyncSession, tenant: TenantId, fields: ProductFields) -> Product:
    values = _check_product(fields, creating=True)
    if await _sku_taken(session, tenant, str(values["sku"])):
        raise InvalidInput.one("input.sku", "TAKEN", "Another product has this SKU")
    product = Product(tenant_id=tenant, id=uuid.uuid4(), **values)
    session.add(product)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # A concurrent create won the race for this SKU.
        raise InvalidInput.one("input.sku", "TAKEN", "Another product has this SKU") from None
    await session.refresh(product)
    return product


async def get_product(session: AsyncSession, tenant: TenantId, product_id: uuid.UUID) -> Product:
    product = await session.scalar(
        select(Product)
        .where(Product.tenant_id == tenant, Product.id == product_id)
        .execution_options(populate_existing=True)
    )
    if product is None:
        raise InvalidInput.one("input.id", "NOT_FOUND", "No such product")
    return product


async def update_product(
    session: AsyncSession, tenant: TenantId, product_id: uuid.UUID, fields: ProductFields
) -> Product:
    product = await get_product(session, tenant, product_id)
    values = _check_product(fields, creating=False)
    if "sku" in values and await _sku_taken(session, tenant, str(values["sku"]), product_id):
        raise InvalidInput.one("input.sku", "TAKEN", "Another product has this SKU")
    if values.get("type", product.type) != product.type:
        has_stock = await session.scalar(
            select(func.count())
            .select_from(StockMove)
            .where(StockMove.tenant_id == tenant, StockMove.product_id == product_id)
        )
        if has_stock:
            raise InvalidInput.one(
                "input.type", "HAS_MOVES", "A product with stock moves keeps its type"
            )
    for name, value in values.items():
        setattr(product, name, value)
    await session.flush()
    await session.refresh(product)
    return product


async def archive_product(
    session: AsyncSession, tenant: TenantId, product_id: uuid.UUID
) -> Product:
    product = await get_product(session, tenant, product_id)
    product.active = False
    await session.flush()
    await session.refresh(product)
    return product


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    category: str | None = None
    type: str | None = None
    low_stock: bool | None = None
    active: bool | None = True


PRODUCT_ORDER = {"SKU": Product.sku, "NAME": Product.name, "CREATED_AT": Product.created_at}


async def list_products(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ProductFilter,
    order_by: str = "SKU",
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Product]:
    stmt = select(Product).where(Product.tenant_id == tenant)
    if filter.search:
        like = f"%{filter.search.strip()}%"
        stmt = stmt.where(
            or_(Product.sku.ilike(like), Product.name.ilike(like), Product.barcode == filter.search)
        )
    if filter.category is not None:
        stmt = stmt.where(Product.category == filter.category)
    if filter.type is not None:
        stmt = stmt.where(Product.type == filter.type)
    if filter.active is not None:
        stmt = stmt.where(Product.active == filter.active)
    if filter.low_stock is not None:
        low = (
            select(LowStockAlert.product_id)
            .where(LowStockAlert.tenant_id == tenant, LowStockAlert.status == "OPEN")
            .scalar_subquery()
        )
        stmt = stmt.where(Product.id.in_(low) if filter.low_stock else Product.id.not_in(low))
    column = PRODUCT_ORDER[order_by]
    return await paginate(
        session,
        _rows(stmt),
        keys=[_sort(column, descending), _sort(Product.id, descending)],
        key_of=lambda p: [getattr(p, column.key), p.id],
        first=first,
        after=after,
    )


async def products_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    rows = await session.scalars(
        select(Product).where(Product.tenant_id == tenant, Product.id.in_(ids))
    )
    return {p.id: p for p in rows}


# --- warehouses and locations -------------------------------------------------------


async def create_warehouse(
    session: AsyncSession, tenant: TenantId, *, code: str, name: str, address: str = ""
) -> Warehouse:
    """A warehouse with its internal locations STOCK, INPUT, OUTPUT, QUALITY, SCRAP."""
    problems: list[Problem] = []
    code = (_text(problems, "input.code", code, 16) or "").upper()
    name = _text(problems, "input.name", name, 200) or ""
    if problems:
        raise InvalidInput(problems)
    taken = await session.scalar(
        select(Warehouse.id).where(Warehouse.tenant_id == tenant, Warehouse.code == code)
    )
    if taken is not None:
        raise InvalidInput.one("input.code", "TAKEN", "Another warehouse has this code")
    warehouse = Warehouse(tenant_id=tenant, id=uuid.uuid4(), code=code, name=name, address=address)
    session.add(warehouse)
    await session.flush()
    session.add_all(
        Location(
            tenant_id=tenant,
            id=uuid.uuid4(),
            warehouse_id=warehouse.id,
            kind=kind,
            name=f"{code}/{kind.title()}",
        )
        for kind in INTERNAL_KINDS
    )
    await session.flush()
    await session.refresh(warehouse)
    return warehouse


async def list_warehouses(
    session: AsyncSession, tenant: TenantId, *, first: int | None, after: str | None
) -> Page[Warehouse]:
    return await paginate(
        session,
        _rows(select(Warehouse).where(Warehouse.tenant_id == tenant)),
        keys=[_sort(Warehouse.code), _sort(Warehouse.id)],
        key_of=lambda w: [w.code, w.id],
        first=first,
        after=after,
    )


async def stock_location(
    session: AsyncSession, tenant: TenantId, warehouse_id: uuid.UUID
) -> uuid.UUID:
    """The warehouse's STOCK location, where receipts land and deliveries leave from."""
    found = await session.scalar(
        select(Location.id).where(
            Location.tenant_id == tenant,
            Location.warehouse_id == warehouse_id,
            Location.kind == "STOCK",
        )
    )
    if found is None:
        raise NotFound("No such warehouse")
    return found


async def warehouses_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Warehouse]:
    rows = await session.scalars(
        select(Warehouse).where(Warehouse.tenant_id == tenant, Warehouse.id.in_(ids))
    )
    return {w.id: w for w in rows}


async def locations_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Location]:
    rows = await session.scalars(
        select(Location).where(Location.tenant_id == tenant, Location.id.in_(ids))
    )
    return {loc.id: loc for loc in rows}


async def locations_by_warehouse(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Location]]:
    rows = await session.scalars(
        select(Location)
        .where(Location.tenant_id == tenant, Location.warehouse_id.in_(ids))
        .order_by(Location.name)
    )
    result: dict[uuid.UUID, list[Location]] = defaultdict(list)
    for loc in rows:
        assert loc.warehouse_id is not None
        result[loc.warehouse_id].append(loc)
    return result


async def moves_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StockMove]:
    rows = await session.scalars(
        select(StockMove).where(StockMove.tenant_id == tenant, StockMove.id.in_(ids))
    )
    return {m.id: m for m in rows}


# --- levels -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelRow:
    product_id: uuid.UUID
    location_id: uuid.UUID
    warehouse_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


async def levels_by_product(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[LevelRow]]:
    rows = await session.execute(
        select(
            StockLevel.product_id,
            StockLevel.location_id,
            Location.warehouse_id,
            StockLevel.on_hand,
            StockLevel.reserved,
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
            LevelRow(r.product_id, r.location_id, r.warehouse_id, r.on_hand, r.reserved)
        )
    return result


@dataclass(frozen=True, slots=True)
class LevelDifference:
    tenant_id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    ledger_on_hand: Decimal
    level_on_hand: Decimal
    reservations: Decimal
    level_reserved: Decimal


async def verify_levels(session: AsyncSession, tenant: TenantId | None) -> list[LevelDifference]:
    """Recompute every level from the done moves and the reservations and return where
    the stored levels differ (there should be none).

    With `tenant`, only that tenant; with None, every row the session can see (under RLS
    that needs a session of the owner role, or one per tenant bound with `bind_tenant`).
    """
    done = StockMove.state == "DONE"
    flows = union_all(
        select(
            StockMove.tenant_id,
            StockMove.product_id,
            StockMove.to_location_id.label("location_id"),
            StockMove.quantity.label("quantity"),
        ).where(done),
        select(
            StockMove.tenant_id,
            StockMove.product_id,
            StockMove.from_location_id.label("location_id"),
            (-StockMove.quantity).label("quantity"),
        ).where(done),
    ).subquery()
    ledger = (
        select(
            flows.c.tenant_id, flows.c.product_id, flows.c.location_id, func.sum(flows.c.quantity)
        )
        .join(
            Location,
            and_(Location.tenant_id == flows.c.tenant_id, Location.id == flows.c.location_id),
        )
        .where(Location.warehouse_id.is_not(None))
        .group_by(flows.c.tenant_id, flows.c.product_id, flows.c.location_id)
    )
    held = select(
        Reservation.tenant_id,
        Reservation.product_id,
        Reservation.location_id,
        func.sum(Reservation.quantity),
    ).group_by(Reservation.tenant_id, Reservation.product_id, Reservation.location_id)
    levels = select(
        StockLevel.tenant_id,
        StockLevel.product_id,
        StockLevel.location_id,
        StockLevel.on_hand,
        StockLevel.reserved,
    )
    if tenant is not None:
        ledger = ledger.where(flows.c.tenant_id == tenant)
        held = held.where(Reservation.tenant_id == tenant)
        levels = levels.where(StockLevel.tenant_id == tenant)
    Triple = tuple[uuid.UUID, uuid.UUID, uuid.UUID]
    expected: dict[Triple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    for t, p, loc, qty in await session.execute(ledger):
        expected[(t, p, loc)][0] = qty
    for t, p, loc, qty in await session.execute(held):
        expected[(t, p, loc)][2] = qty
    for t, p, loc, on_hand, reserved in await session.execute(levels):
        expected[(t, p, loc)][1] = on_hand
        expected[(t, p, loc)][3] = reserved
    return [
        LevelDifference(t, p, loc, v[0], v[1], v[2], v[3])
        for (t, p, loc), v in sorted(expected.items())
        if v[0] != v[1] or v[2] != v[3]
    ]


# --- moves --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveFilter:
    product_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    source_type: str | None = None
    source_id: uuid.UUID | None = None
    state: str | None = None
    done_from: object | None = None
    done_to: object | None = None


async def list_moves(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: MoveFilter,
    first: int | None,
    after: str | None,
) -> Page[StockMove]:
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
        _rows(stmt),
        keys=[_sort(StockMove.created_at, True), _sort(StockMove.id, True)],
        key_of=lambda m: [m.created_at, m.id],
        first=first,
        after=after,
    )


# --- reorder rules, alerts, replenishment, valuation --------------------------------


async def set_reorder_rule(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    min_quantity: Decimal,
    max_quantity: Decimal,
) -> ReorderRule:
    problems: list[Problem] = []
    if not min_quantity.is_finite() or min_quantity < 0:
        problems.append(Problem("input.minQuantity", "NEGATIVE", "Cannot be negative"))
    if not max_quantity.is_finite() or max_quantity < min_quantity:
        problems.append(Problem("input.maxQuantity", "BELOW_MIN", "Must be at least the minimum"))
    product = await session.scalar(
        select(Product.type).where(Product.tenant_id == tenant, Product.id == product_id)
    )
    if product is None:
        problems.append(Problem("input.productId", "NOT_FOUND", "No such product"))
    elif product != "STOCKABLE":
        problems.append(Problem("input.productId", "NOT_STOCKABLE", "Only stockable products"))
    if not (await warehouses_by_id(session, tenant, [warehouse_id])):
        problems.append(Problem("input.warehouseId", "NOT_FOUND", "No such warehouse"))
    if problems:
        raise InvalidInput(problems)
    rule = await session.scalar(
        select(ReorderRule)
        .where(
            ReorderRule.tenant_id == tenant,
            ReorderRule.product_id == product_id,
            ReorderRule.warehouse_id == warehouse_id,
        )
        .with_for_update()
    )
    if rule is None:
        rule = ReorderRule(
            tenant_id=tenant, id=uuid.uuid4(), product_id=product_id, warehouse_id=warehouse_id
        )
        session.add(rule)
    rule.min_quantity = q4(min_quantity)
    rule.max_quantity = q4(max_quantity)
    await session.flush()
    await evaluate_low_stock(session, tenant, {(product_id, warehouse_id)})
    return rule


async def list_alerts(
    session: AsyncSession,
    tenant: TenantId,
    *,
    status: str | None,
    first: int | None,
    after: str | None,
) -> Page[LowStockAlert]:
    stmt = select(LowStockAlert).where(LowStockAlert.tenant_id == tenant)
    if status is not None:
        stmt = stmt.where(LowStockAlert.status == status)
    return await paginate(
        session,
        _rows(stmt),
        keys=[_sort(LowStockAlert.raised_at, True), _sort(LowStockAlert.id, True)],
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
    session: AsyncSession, tenant: TenantId, *, warehouse_id: uuid.UUID | None = None
) -> list[ValuationLine]:
    """On hand x moving-average cost per product (in one warehouse or all)."""
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
        .where(Product.tenant_id == tenant)
        .group_by(Product.id, Product.sku, Product.cost)
        .having(func.sum(StockLevel.on_hand) > 0)
        .order_by(Product.sku)
    )
    if warehouse_id is not None:
        stmt = stmt.where(Location.warehouse_id == warehouse_id)
    return [ValuationLine(p, q, c) for p, q, c in (await session.execute(stmt)).all()]
