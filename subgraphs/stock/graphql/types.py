"""Stock's GraphQL object and entity types; its enums are the models' StrEnums."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql.ids import to_id, to_opt_id
from shared.graphql.resolvers import load_many, load_one, load_required, reference
from subgraphs.stock import models, reads
from subgraphs.stock.graphql import loaders
from subgraphs.stock.models import (
    SELLABLE_KINDS,
    VALUED_KINDS,
    AlertStatus,
    LocationKind,
    MoveState,
    ProductType,
    q4,
)

READ = "stock:read"
WRITE = "stock:write"

for _enum in (ProductType, LocationKind, MoveState, AlertStatus):
    strawberry.enum(_enum)


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


def _user(value: uuid.UUID | None) -> User | None:
    return User(id=to_id(value)) if value else None


@strawberry.type(description="Quantities summed over the locations of all warehouses.")
class StockSummary:
    on_hand: Decimal = strawberry.field(
        description="In every internal location but SCRAP: the stock the company owns and "
        "values (STOCK, INPUT, OUTPUT, QUALITY)."
    )
    reserved: Decimal
    available: Decimal = strawberry.field(
        description="Sellable (STOCK) on hand minus reserved: what an order can still take. "
        "INPUT, OUTPUT and QUALITY stock is on hand but not available until moved to STOCK."
    )
    scrap: Decimal = strawberry.field(
        description="In SCRAP locations: written off, neither on hand nor valued."
    )
    backordered: Decimal = strawberry.field(
        default=Decimal(0),
        description="Open backorders: demanded, not yet reserved; arriving stock is "
        "reserved to them first, oldest demand first.",
    )


@strawberry.type
class Location:
    id: strawberry.ID
    name: str
    kind: LocationKind
    internal: bool = strawberry.field(description="Inside a warehouse (not virtual).")
    sellable: bool = strawberry.field(
        description="Its stock counts as available: STOCK only, where sales and production "
        "reserve and take from."
    )
    valued: bool = strawberry.field(
        description="Its stock is on hand and valued: internal, except SCRAP (written off)."
    )
    warehouse_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, loc: models.Location) -> Location:
        return cls(
            id=to_id(loc.id),
            name=loc.name,
            kind=LocationKind(loc.kind),
            internal=loc.internal,
            sellable=loc.kind in SELLABLE_KINDS,
            valued=loc.kind in VALUED_KINDS,
            warehouse_id=loc.warehouse_id,
        )

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_one(info, loaders.warehouses, self.warehouse_id, Warehouse.from_model)


@strawberry.federation.type(keys=["id"])
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    address: str
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, w: models.Warehouse) -> Warehouse:
        return cls(id=to_id(w.id), code=w.code, name=w.name, address=w.address, key=w.id)

    @strawberry.field
    async def locations(self, info: Info[Any, Any]) -> list[Location]:
        return await load_many(info, loaders.locations_by_warehouse, self.key, Location.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Warehouse | None:
        return await reference(info, READ, loaders.warehouses, id, cls.from_model)


@strawberry.type
class StockLevel:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(
        description="On hand minus reserved in a sellable location; 0 elsewhere."
    )
    sellable: bool = strawberry.field(description="The location's stock counts as available.")
    valued: bool = strawberry.field(description="The location's stock is valued (not SCRAP).")
    location_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]
    backordered: Decimal = strawberry.field(
        default=Decimal(0),
        description="Open backorders waiting for stock at this location (served first, "
        "oldest demand first, when stock arrives).",
    )

    @classmethod
    def from_row(cls, r: reads.LevelRow) -> StockLevel:
        return cls(
            on_hand=r.on_hand,
            reserved=r.reserved,
            available=r.available,
            sellable=r.sellable,
            valued=r.valued,
            location_id=r.location_id,
            warehouse_id=r.warehouse_id,
            backordered=r.claimed,
        )

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        return await load_required(
            info, loaders.warehouses, self.warehouse_id, Warehouse.from_model
        )

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location:
        return await load_required(info, loaders.locations, self.location_id, Location.from_model)


@strawberry.federation.type(keys=["id"], description="Something the company makes, buys or sells.")
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str
    type: ProductType
    uom: str
    category: str | None
    barcode: str | None
    sales_price: Decimal
    currency: str
    cost: Decimal = strawberry.field(description="Moving-average unit cost, kept by the ledger.")
    active: bool
    created_at: dt.datetime
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, p: models.Product) -> Product:
        return cls(
            id=to_id(p.id),
            sku=p.sku,
            name=p.name,
            description=p.description,
            type=ProductType(p.type),
            uom=p.uom,
            category=p.category,
            barcode=p.barcode,
            sales_price=p.sales_price,
            currency=p.currency,
            cost=p.cost,
            active=p.active,
            created_at=p.created_at,
            key=p.id,
        )

    async def _levels(self, info: Info[Any, Any]) -> list[StockLevel]:
        return await load_many(info, loaders.levels_by_product, self.key, StockLevel.from_row)

    @strawberry.field
    async def stock(self, info: Info[Any, Any]) -> StockSummary:
        levels = await self._levels(info)
        zero = Decimal(0)
        return StockSummary(
            on_hand=sum((r.on_hand for r in levels if r.valued), zero),
            reserved=sum((r.reserved for r in levels), zero),
            available=sum((r.available for r in levels), zero),
            scrap=sum((r.on_hand for r in levels if not r.valued), zero),
            backordered=sum((r.backordered for r in levels), zero),
        )

    @strawberry.field
    async def stock_levels(self, info: Info[Any, Any]) -> list[StockLevel]:
        return await self._levels(info)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product | None:
        return await reference(info, READ, loaders.products, id, cls.from_model)


@strawberry.federation.type(keys=["id"], description="One entry of the stock ledger.")
class StockMove:
    id: strawberry.ID
    quantity: Decimal
    state: MoveState
    source_type: str | None
    source_id: strawberry.ID | None
    unit_cost: Decimal | None
    value: Decimal | None = strawberry.field(
        description="Quantity x unit cost. For a move into SCRAP, the value written off."
    )
    reason: str | None = strawberry.field(description="Why, e.g. an inventory adjustment's.")
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: User | None = strawberry.field(description="Who posted it; null for the system.")
    balance_after: Decimal | None = strawberry.field(
        description="In `stockMoves` filtered by `productId`: the product's quantity after "
        "this move in the filter's `locationId`, or without one over all valued locations "
        "(every internal location but SCRAP); null otherwise."
    )
    value_after: Decimal | None = strawberry.field(
        description="With `balanceAfter`: the value after this move, each move at its unit "
        "cost (revaluations without a move are in `stockValuation`, not here)."
    )
    product_id: strawberry.Private[uuid.UUID]
    from_id: strawberry.Private[uuid.UUID]
    to_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, m: models.StockMove, balance: reads.Balance | None = None) -> StockMove:
        return cls(
            id=to_id(m.id),
            quantity=m.quantity,
            state=MoveState(m.state),
            source_type=m.source_type,
            source_id=to_opt_id(m.source_id),
            unit_cost=m.unit_cost,
            value=None if m.unit_cost is None else q4(m.quantity * m.unit_cost),
            reason=m.reason,
            created_at=m.created_at,
            done_at=m.done_at,
            done_by=_user(m.done_by),
            balance_after=balance.quantity if balance else None,
            value_after=balance.value if balance else None,
            product_id=m.product_id,
            from_id=m.from_location_id,
            to_id=m.to_location_id,
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        return await load_required(info, loaders.products, self.product_id, Product.from_model)

    @strawberry.field
    async def from_location(self, info: Info[Any, Any]) -> Location:
        return await load_required(info, loaders.locations, self.from_id, Location.from_model)

    @strawberry.field
    async def to_location(self, info: Info[Any, Any]) -> Location:
        return await load_required(info, loaders.locations, self.to_id, Location.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> StockMove | None:
        return await reference(info, READ, loaders.moves, id, cls.from_model)


@strawberry.type
class LowStockAlert:
    id: strawberry.ID
    status: AlertStatus
    min_quantity: Decimal
    available: Decimal = strawberry.field(description="Available when the alert was raised.")
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    product_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, a: models.LowStockAlert) -> LowStockAlert:
        return cls(
            id=to_id(a.id),
            status=AlertStatus(a.status),
            min_quantity=a.min_quantity,
            available=a.available,
            raised_at=a.raised_at,
            resolved_at=a.resolved_at,
            product_id=a.product_id,
            warehouse_id=a.warehouse_id,
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        return await load_required(info, loaders.products, self.product_id, Product.from_model)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        return await load_required(
            info, loaders.warehouses, self.warehouse_id, Warehouse.from_model
        )


@strawberry.type
class ReorderRule:
    id: strawberry.ID
    min_quantity: Decimal
    max_quantity: Decimal
    product_id: strawberry.ID
    warehouse_id: strawberry.ID

    @classmethod
    def from_model(cls, r: models.ReorderRule) -> ReorderRule:
        return cls(
            id=to_id(r.id),
            min_quantity=r.min_quantity,
            max_quantity=r.max_quantity,
            product_id=to_id(r.product_id),
            warehouse_id=to_id(r.warehouse_id),
        )


@strawberry.type
class ReplenishmentSuggestion:
    available: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    quantity: Decimal = strawberry.field(description="To order, up to the maximum.")
    product_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, s: reads.Suggestion) -> ReplenishmentSuggestion:
        return cls(
            available=s.available,
            min_quantity=s.min_quantity,
            max_quantity=s.max_quantity,
            quantity=s.quantity,
            product_id=s.product_id,
            warehouse_id=s.warehouse_id,
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        return await load_required(info, loaders.products, self.product_id, Product.from_model)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        return await load_required(
            info, loaders.warehouses, self.warehouse_id, Warehouse.from_model
        )


@strawberry.type
class ValuationLine:
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, r: reads.ValuationLine) -> ValuationLine:
        return cls(
            quantity=r.quantity, unit_cost=r.unit_cost, value=r.value, product_id=r.product_id
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        return await load_required(info, loaders.products, self.product_id, Product.from_model)


@strawberry.type
class StockValuation:
    lines: list[ValuationLine]
    total_value: Decimal

    @classmethod
    def of(cls, rows: list[reads.ValuationLine]) -> StockValuation:
        return cls(
            lines=[ValuationLine.from_row(r) for r in rows],
            total_value=sum((r.value for r in rows), Decimal(0)),
        )


@strawberry.type(description="Goods received without a purchase order (`receiveStock`).")
class StockReceipt:
    id: strawberry.ID
    reference: str
    created_at: dt.datetime
    done_by: User | None
    key: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, r: models.Receipt) -> StockReceipt:
        return cls(
            id=to_id(r.id),
            reference=r.reference,
            created_at=r.created_at,
            done_by=_user(r.done_by),
            key=r.id,
            warehouse_id=r.warehouse_id,
        )

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        return await load_required(
            info, loaders.warehouses, self.warehouse_id, Warehouse.from_model
        )

    @strawberry.field(description="The done moves SUPPLIER -> the warehouse's location.")
    async def moves(self, info: Info[Any, Any]) -> list[StockMove]:
        return await load_many(info, loaders.moves_by_source, self.key, StockMove.from_model)
