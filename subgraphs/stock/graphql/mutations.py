"""Stock's mutations and their payloads: thin — parse the input, perform the service call
(its problems re-rooted under `input`), map the result."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import load_one, perform, perform_idempotent
from shared.graphql.types import UserError
from subgraphs.stock import (
    claims,
    models,
    operations,
    products,
    receipts,
    replenishment,
    warehouses,
)
from subgraphs.stock.graphql import loaders
from subgraphs.stock.graphql.inputs import (
    AdjustInventoryInput,
    ArchiveProductInput,
    CreateProductInput,
    CreateWarehouseInput,
    ReceiveStockInput,
    SetReorderRuleInput,
    TransferStockInput,
    UpdateProductInput,
)
from subgraphs.stock.graphql.types import (
    WRITE,
    Product,
    ReorderRule,
    StockMove,
    StockReceipt,
    Warehouse,
)


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Product | None, errors: list[UserError]) -> ProductPayload:
        return cls(product=Product.from_model(row) if row else None, errors=errors)


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="Part of a demand's reservation that a count below the reserved quantity "
    "took away; the lost quantity is now an open backorder of the same demand line."
)
class BrokenReservation:
    demand_type: str = strawberry.field(description="The demand document, e.g. SalesOrder.")
    demand_id: strawberry.ID
    demand_line: str = strawberry.field(description="The document's line (its id).")
    lost: Decimal
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, b: claims.BrokenReservation) -> BrokenReservation:
        return cls(
            demand_type=b.demand.type,
            demand_id=to_id(b.demand.id),
            demand_line=b.demand_line,
            lost=b.lost,
            product_id=b.product_id,
        )

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_one(info, loaders.products, self.product_id, Product.from_model)


@strawberry.type
class StockMovesPayload:
    moves: list[StockMove] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)
    broken_reservations: list[BrokenReservation] = strawberry.field(
        default_factory=list,
        description="adjustInventory: the reservations a count below the reserved quantity "
        "broke, newest demand first (the oldest keeps its reservation).",
    )


@strawberry.type
class StockReceiptPayload:
    receipt: StockReceipt | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReorderRulePayload:
    rule: ReorderRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_product(
        self, info: Info[Any, Any], input: CreateProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: products.create_product(s, p.tenant_id, input.to_fields())
        )
        return ProductPayload.of(row, errors)

    @strawberry.mutation
    async def update_product(
        self, info: Info[Any, Any], input: UpdateProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: products.update_product(
                s, p.tenant_id, parse_id(input.id), input.to_fields()
            ),
        )
        return ProductPayload.of(row, errors)

    @strawberry.mutation
    async def archive_product(
        self, info: Info[Any, Any], input: ArchiveProductInput
    ) -> ProductPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: products.archive_product(s, p.tenant_id, parse_id(input.id))
        )
        return ProductPayload.of(row, errors)

    @strawberry.mutation
    async def create_warehouse(
        self, info: Info[Any, Any], input: CreateWarehouseInput
    ) -> WarehousePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: warehouses.create_warehouse(
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
            lambda s, p: operations.transfer(
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
            lambda s, p: operations.adjust(
                s,
                p.tenant_id,
                location_id=parse_id(input.location_id),
                lines=[ln.to_line() for ln in input.lines],
                actor=p.user_id,
                reason=input.reason,
            ),
        )
        return StockMovesPayload(
            moves=[StockMove.from_model(m) for m in rows or []],
            errors=errors,
            broken_reservations=[
                BrokenReservation.from_model(b) for b in (rows.broken if rows else [])
            ],
        )

    @strawberry.mutation(
        description="Goods received without a purchase order: done moves from SUPPLIER into "
        "the warehouse's STOCK (or INPUT, QUALITY) location at each line's unit cost, "
        "averaged into the products' costs (a purchase order's receipt posts the same way). "
        "Honours the Idempotency-Key."
    )
    async def receive_stock(
        self, info: Info[Any, Any], input: ReceiveStockInput
    ) -> StockReceiptPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "receiveStock",
            input,
            lambda s, p: receipts.receive_stock(
                s,
                p.tenant_id,
                warehouse_id=parse_id(input.warehouse_id),
                reference=input.reference,
                lines=[ln.to_line() for ln in input.lines],
                location_kind=input.location_kind,
                actor=p.user_id,
            ),
            receipts.get_receipt,
        )
        return StockReceiptPayload(
            receipt=StockReceipt.from_model(row) if row else None, errors=errors
        )

    @strawberry.mutation
    async def set_reorder_rule(
        self, info: Info[Any, Any], input: SetReorderRuleInput
    ) -> ReorderRulePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: replenishment.set_reorder_rule(
                s,
                p.tenant_id,
                product_id=parse_id(input.product_id),
                warehouse_id=parse_id(input.warehouse_id),
                min_quantity=input.min_quantity,
                max_quantity=input.max_quantity,
            ),
        )
        return ReorderRulePayload(rule=ReorderRule.from_model(row) if row else None, errors=errors)
