"""Stock's GraphQL types, queries and mutations. Thin: parse, call the service, map."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql import UserError, context, parse_id, perform
from shared.pagination import Connection
from subgraphs.stock import loaders, models, service

READ = "stock:read"
WRITE = "stock:write"


def _id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.enum
class ProductType(Enum):
    STOCKABLE = "STOCKABLE"
    CONSUMABLE = "CONSUMABLE"
    SERVICE = "SERVICE"


@strawberry.enum
class LocationKind(Enum):
    STOCK = "STOCK"
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    QUALITY = "QUALITY"
    SCRAP = "SCRAP"
    SUPPLIER = "SUPPLIER"
    CUSTOMER = "CUSTOMER"
    PRODUCTION = "PRODUCTION"
    ADJUSTMENT = "ADJUSTMENT"


@strawberry.enum
class MoveState(Enum):
    DRAFT = "DRAFT"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@strawberry.enum
class AlertStatus(Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


@strawberry.type(description="Quantities summed over the internal locations of all warehouses.")
class StockSummary:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@strawberry.type
class Location:
    id: strawberry.ID
    name: str
    kind: LocationKind
    internal: bool
    warehouse_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, loc: models.Location) -> Location:
        return cls(
            id=_id(loc.id),
            name=loc.name,
            kind=LocationKind(loc.kind),
            internal=loc.internal,
            warehouse_id=loc.warehouse_id,
        )

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        if self.warehouse_id is None:
            return None
        row = await loaders.warehouses(context(info)).load(self.warehouse_id)
        return Warehouse.from_model(row) if row else None


@strawberry.federation.type(keys=["id"])
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    address: str

    @classmethod
    def from_model(cls, w: models.Warehouse) -> Warehouse:
        return cls(id=_id(w.id), code=w.code, name=w.name, address=w.address)

    @strawberry.field
    async def locations(self, info: Info[Any, Any]) -> list[Location]:
        rows = await loaders.locations_by_warehouse(context(info)).load(parse_id(self.id))
        return [Location.from_model(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Warehouse | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.warehouses(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.type
class StockLevel:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    location_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        row = await loaders.warehouses(context(info)).load(self.warehouse_id)
        assert row is not None
        return Warehouse.from_model(row)

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location:
        row = await loaders.locations(context(info)).load(self.location_id)
        assert row is not None
        return Location.from_model(row)


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

    @classmethod
    def from_model(cls, p: models.Product) -> Product:
        return cls(
            id=_id(p.id),
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
        )

    @strawberry.field
    async def stock(self, info: Info[Any, Any]) -> StockSummary:
        rows = await loaders.levels_by_product(context(info)).load(parse_id(self.id))
        on_hand = sum((r.on_hand for r in rows), Decimal(0))
        reserved = sum((r.reserved for r in rows), Decimal(0))
        return StockSummary(on_hand=on_hand, reserved=reserved, available=on_hand - reserved)

    @strawberry.field
    async def stock_levels(self, info: Info[Any, Any]) -> list[StockLevel]:
        rows = await loaders.levels_by_product(context(info)).load(parse_id(self.id))
        return [
            StockLevel(
                on_hand=r.on_hand,
                reserved=r.reserved,
                available=r.available,
                location_id=r.location_id,
                warehouse_id=r.warehouse_id,
            )
            for r in rows
        ]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.products(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.federation.type(keys=["id"], description="One entry of the stock ledger.")
class StockMove:
    id: strawberry.ID
    quantity: Decimal
    state: MoveState
    source_type: str | None
    source_id: strawberry.ID | None
    unit_cost: Decimal | None
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: strawberry.ID | None
    product_id: strawberry.Private[uuid.UUID]
    from_id: strawberry.Private[uuid.UUID]
    to_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, m: models.StockMove) -> StockMove:
        return cls(
            id=_id(m.id),
            quantity=m.quantity,
            state=MoveState(m.state),
            source_type=m.source_type,
            source_id=_id(m.source_id) if m.source_id else None,
            unit_cost=m.unit_cost,
            created_at=m.created_at,
            done_at=m.done_at,
            done_by=_id(m.done_by) if m.done_by else None,
            product_id=m.product_id,
            from_id=m.from_location_id,
            to_id=m.to_location_id,
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        row = await loaders.products(context(info)).load(self.product_id)
        assert row is not None
        return Product.from_model(row)

    @strawberry.field
    async def from_location(self, info: Info[Any, Any]) -> Location:
        row = await loaders.locations(context(info)).load(self.from_id)
        assert row is not None
        return Location.from_model(row)

    @strawberry.field
    async def to_location(self, info: Info[Any, Any]) -> Location:
        row = await loaders.locations(context(info)).load(self.to_id)
        assert row is not None
        return Location.from_model(row)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> StockMove | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.moves(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


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
            id=_id(a.id),
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
        row = await loaders.products(context(info)).load(self.product_id)
        assert row is not None
        return Product.from_model(row)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        row = await loaders.warehouses(context(info)).load(self.warehouse_id)
        assert row is not None
        return Warehouse.from_model(row)


@strawberry.type
class ReorderRule:
    id: strawberry.ID
    min_quantity: Decimal
    max_quantity: Decimal
    product_id: strawberry.ID
    warehouse_id: strawberry.ID


@strawberry.type
class ReplenishmentSuggestion:
    available: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    quantity: Decimal = strawberry.field(description="To order, up to the maximum.")
    product_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        row = await loaders.products(context(info)).load(self.product_id)
        assert row is not None
        return Product.from_model(row)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        row = await loaders.warehouses(context(info)).load(self.warehouse_id)
        assert row is not None
        return Warehouse.from_model(row)


@strawberry.type
class ValuationLine:
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal
    product_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        row = await loaders.products(context(info)).load(self.product_id)
        assert row is not None
        return Product.from_model(row)


@strawberry.type
class StockValuation:
    lines: list[ValuationLine]
    total_value: Decimal


# --- queries ------------------------------------------------------------------------


@strawberry.enum
class ProductOrderField(Enum):
    SKU = "SKU"
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ProductOrder:
    field: ProductOrderField = ProductOrderField.SKU
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class ProductFilter:
    search: str | None = None
    category: str | None = None
    type: ProductType | None = None
    low_stock: bool | None = None
    active: bool | None = True


@strawberry.input
class StockMoveFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    source_type: str | None = None
    source_id: strawberry.ID | None = None
    state: MoveState | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None


def _opt(value: strawberry.ID | None) -> uuid.UUID | None:
    return parse_id(value) if value is not None else None


@strawberry.type
class Query:
    @strawberry.field
    async def products(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ProductFilter | None = None,
        order_by: ProductOrder | None = None,
    ) -> Connection[Product]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or ProductFilter()
        order = order_by or ProductOrder()
        async with ctx.session() as session:
            page = await service.list_products(
                session,
                tenant,
                filter=service.ProductFilter(
                    search=f.search,
                    category=f.category,
                    type=f.type.value if f.type else None,
                    low_stock=f.low_stock,
                    active=f.active,
                ),
                order_by=order.field.value,
                descending=order.direction is OrderDirection.DESC,
                first=first,
                after=after,
            )
        return Connection.of(page, Product.from_model)

    @strawberry.field
    async def product(self, info: Info[Any, Any], id: strawberry.ID) -> Product | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.products(ctx).load(parse_id(id))
        return Product.from_model(row) if row else None

    @strawberry.field
    async def warehouses(
        self, info: Info[Any, Any], first: int | None = None, after: str | None = None
    ) -> Connection[Warehouse]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            page = await service.list_warehouses(session, tenant, first=first, after=after)
        return Connection.of(page, Warehouse.from_model)

    @strawberry.field
    async def stock_moves(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: StockMoveFilter | None = None,
    ) -> Connection[StockMove]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or StockMoveFilter()
        async with ctx.session() as session:
            page = await service.list_moves(
                session,
                tenant,
                filter=service.MoveFilter(
                    product_id=_opt(f.product_id),
                    location_id=_opt(f.location_id),
                    source_type=f.source_type,
                    source_id=_opt(f.source_id),
                    state=f.state.value if f.state else None,
                    done_from=f.created_from,
                    done_to=f.created_to,
                ),
                first=first,
                after=after,
            )
        return Connection.of(page, StockMove.from_model)

    @strawberry.field
    async def low_stock_alerts(
        self,
        info: Info[Any, Any],
        status: AlertStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LowStockAlert]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            page = await service.list_alerts(
                session,
                tenant,
                status=status.value if status else None,
                first=first,
                after=after,
            )
        return Connection.of(page, LowStockAlert.from_model)

    @strawberry.field
    async def replenishment_suggestions(
        self, info: Info[Any, Any], warehouse_id: strawberry.ID | None = None
    ) -> list[ReplenishmentSuggestion]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await service.replenishment_suggestions(
                session, tenant, warehouse_id=_opt(warehouse_id)
            )
        return [
            ReplenishmentSuggestion(
                available=s.available,
                min_quantity=s.min_quantity,
                max_quantity=s.max_quantity,
                quantity=s.quantity,
                product_id=s.product_id,
                warehouse_id=s.warehouse_id,
            )
            for s in rows
        ]

    @strawberry.field
    async def stock_valuation(
        self, info: Info[Any, Any], warehouse_id: strawberry.ID | None = None
    ) -> StockValuation:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await service.stock_valuation(session, tenant, warehouse_id=_opt(warehouse_id))
        lines = [
            ValuationLine(
                quantity=r.quantity, unit_cost=r.unit_cost, value=r.value, product_id=r.product_id
            )
            for r in rows
        ]
        return StockValuation(lines=lines, total_value=sum((r.value for r in rows), Decimal(0)))


# --- mutations ----------------------------------------------------------------------


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    description: str = ""
    type: ProductType = ProductType.STOCKABLE
    uom: str = "unit"
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal = Decimal(0)


@strawberry.input
class UpdateProductInput:
    id: strawberry.ID
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    type: ProductType | None = None
    uom: str | None = None
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal | None = None


@strawberry.input
class ArchiveProductInput:
    id: strawberry.ID


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    address: str = ""


@strawberry.input
class TransferStockInput:
    product_id: strawberry.ID
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    quantity: Decimal


@strawberry.input
class CountLineInput:
    product_id: strawberry.ID
    counted_quantity: Decimal


@strawberry.input
class AdjustInventoryInput:
    location_id: strawberry.ID
    lines: list[CountLineInput]


@strawberry.input
class SetReorderRuleInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    min_quantity: Decimal
    max_quantity: Decimal


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StockMovesPayload:
    moves: list[StockMove] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReorderRulePayload:
    rule: ReorderRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _product(row: models.Product | None, errors: list[UserError]) -> ProductPayload:
    return ProductPayload(product=Product.from_model(row) if row else None, errors=errors)


def _fields(i: CreateProductInput | UpdateProductInput) -> service.ProductFields:
    return service.ProductFields(
        sku=i.sku,
        name=i.name,
        description=i.description,
        type=i.type.value if i.type else None,
        uom=i.uom,
        category=i.category,
        barcode=i.barcode,
        sales_price=i.sales_price,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_product(
        self, info: Info[Any, Any], input: CreateProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: service.create_product(s, p.tenant_id, _fields(input))
        )
        return _product(row, errors)

    @strawberry.mutation
    async def update_product(
        self, info: Info[Any, Any], input: UpdateProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_product(s, p.tenant_id, parse_id(input.id), _fields(input)),
        )
        return _product(row, errors)

    @strawberry.mutation
    async def archive_product(
        self, info: Info[Any, Any], input: ArchiveProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: service.archive_product(s, p.tenant_id, parse_id(input.id))
        )
        return _product(row, errors)

    @strawberry.mutation
    async def create_warehouse(
        self, info: Info[Any, Any], input: CreateWarehouseInput
    ) -> WarehousePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_warehouse(
                s, p.tenant_id, code=input.code, name=input.name, address=input.address
            ),
        )
        return WarehousePayload(warehouse=Warehouse.from_model(row) if row else None, errors=errors)

    @strawberry.mutation
    async def transfer_stock(
        self, info: Info[Any, Any], input: TransferStockInput
    ) -> StockMovesPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.transfer(
                s,
                p.tenant_id,
                product_id=parse_id(input.product_id),
                from_location_id=parse_id(input.from_location_id),
                to_location_id=parse_id(input.to_location_id),
                quantity=input.quantity,
                actor=p.user_id,
            ),
        )
        return StockMovesPayload(moves=[StockMove.from_model(row)] if row else [], errors=errors)

    @strawberry.mutation
    async def adjust_inventory(
        self, info: Info[Any, Any], input: AdjustInventoryInput
    ) -> StockMovesPayload:
        rows, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.adjust(
                s,
                p.tenant_id,
                location_id=parse_id(input.location_id),
                lines=[
                    service.CountLine(parse_id(ln.product_id), ln.counted_quantity)
                    for ln in input.lines
                ],
                actor=p.user_id,
            ),
        )
        return StockMovesPayload(moves=[StockMove.from_model(m) for m in rows or []], errors=errors)

    @strawberry.mutation
    async def set_reorder_rule(
        self, info: Info[Any, Any], input: SetReorderRuleInput
    ) -> ReorderRulePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.set_reorder_rule(
                s,
                p.tenant_id,
                product_id=parse_id(input.product_id),
                warehouse_id=parse_id(input.warehouse_id),
                min_quantity=input.min_quantity,
                max_quantity=input.max_quantity,
            ),
        )
        rule = (
            ReorderRule(
                id=_id(row.id),
                min_quantity=row.min_quantity,
                max_quantity=row.max_quantity,
                product_id=_id(row.product_id),
                warehouse_id=_id(row.warehouse_id),
            )
            if row
            else None
        )
        return ReorderRulePayload(rule=rule, errors=errors)
