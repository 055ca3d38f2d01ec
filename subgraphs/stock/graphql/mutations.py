"""Stock's mutations and their payloads: thin — parse the input, perform the service call
(its problems re-rooted under `input`), map the result."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id
from shared.graphql.resolvers import perform
from shared.graphql.types import UserError
from subgraphs.stock import models, operations, products, replenishment, warehouses
from subgraphs.stock.graphql.inputs import (
    AdjustInventoryInput,
    ArchiveProductInput,
    CreateProductInput,
    CreateWarehouseInput,
    SetReorderRuleInput,
    TransferStockInput,
    UpdateProductInput,
)
from subgraphs.stock.graphql.types import WRITE, Product, ReorderRule, StockMove, Warehouse


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


@strawberry.type
class StockMovesPayload:
    moves: list[StockMove] = strawberry.field(default_factory=list)
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
