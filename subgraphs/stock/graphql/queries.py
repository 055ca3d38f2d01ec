"""Stock's queries: thin — parse the arguments, read through the service, map."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.db import TenantId
from shared.graphql.ids import parse_opt_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import read, reference
from shared.pagination import Page
from subgraphs.stock import models, reads
from subgraphs.stock.graphql import loaders
from subgraphs.stock.graphql.inputs import ProductFilter, ProductOrder, StockMoveFilter
from subgraphs.stock.graphql.types import (
    READ,
    LowStockAlert,
    Product,
    ReplenishmentSuggestion,
    StockMove,
    StockReceipt,
    StockValuation,
    Warehouse,
)
from subgraphs.stock.models import AlertStatus


# Root fields are nullable: through the router, an outage of this subgraph nulls its own
# fields and not the whole response (README "Nullability across subgraphs").
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
    ) -> Connection[Product] | None:
        f = (filter or ProductFilter()).to_filter()
        order = order_by or ProductOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_products(
                s,
                t,
                filter=f,
                order_by=order.field,
                descending=order.descending(),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, Product.from_model)

    @strawberry.field
    async def product(self, info: Info[Any, Any], id: strawberry.ID) -> Product | None:
        return await reference(info, READ, loaders.products, id, Product.from_model)

    @strawberry.field
    async def warehouses(
        self, info: Info[Any, Any], first: int | None = None, after: str | None = None
    ) -> Connection[Warehouse] | None:
        page = await read(
            info, READ, lambda s, t: reads.list_warehouses(s, t, first=first, after=after)
        )
        return Connection.of(page, Warehouse.from_model)

    @strawberry.field
    async def stock_moves(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: StockMoveFilter | None = None,
    ) -> Connection[StockMove] | None:
        f = (filter or StockMoveFilter()).to_filter()

        async def moves(
            s: AsyncSession, t: TenantId
        ) -> tuple[Page[models.StockMove], dict[uuid.UUID, reads.Balance]]:
            page = await reads.list_moves(s, t, filter=f, first=first, after=after)
            if f.product_id is None:
                return page, {}
            balances = await reads.running_balances(
                s,
                t,
                product_id=f.product_id,
                location_id=f.location_id,
                move_ids=[m.id for m in page.rows],
            )
            return page, balances

        page, balances = await read(info, READ, moves)
        return Connection.of(page, lambda m: StockMove.from_model(m, balances.get(m.id)))

    @strawberry.field(description="A receipt posted by `receiveStock`; null when unknown.")
    async def stock_receipt(self, info: Info[Any, Any], id: strawberry.ID) -> StockReceipt | None:
        return await reference(info, READ, loaders.receipts, id, StockReceipt.from_model)

    @strawberry.field
    async def low_stock_alerts(
        self,
        info: Info[Any, Any],
        status: AlertStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LowStockAlert] | None:
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_alerts(s, t, status=status, first=first, after=after),
        )
        return Connection.of(page, LowStockAlert.from_model)

    @strawberry.field
    async def replenishment_suggestions(
        self, info: Info[Any, Any], warehouse_id: strawberry.ID | None = None
    ) -> list[ReplenishmentSuggestion] | None:
        rows = await read(
            info,
            READ,
            lambda s, t: reads.replenishment_suggestions(
                s, t, warehouse_id=parse_opt_id(warehouse_id)
            ),
        )
        return [ReplenishmentSuggestion.from_row(r) for r in rows]

    @strawberry.field(
        description="Valued stock (every internal location but SCRAP: scrapped goods are "
        "written off) at the moving-average cost. With `asOf`, at the end of that day (UTC), "
        "from the ledger: each product's quantity then at its cost then (the value of its "
        "moves at their unit costs plus revaluations, over the quantity). Null for an "
        "unknown warehouse (or when stock is down)."
    )
    async def stock_valuation(
        self,
        info: Info[Any, Any],
        warehouse_id: strawberry.ID | None = None,
        as_of: dt.date | None = None,
    ) -> StockValuation | None:
        wanted = parse_opt_id(warehouse_id)

        async def valuation(s: AsyncSession, t: TenantId) -> list[reads.ValuationLine] | None:
            if wanted is not None and await reads.warehouse(s, t, wanted) is None:
                return None
            return await reads.stock_valuation(s, t, warehouse_id=wanted, as_of=as_of)

        rows = await read(info, READ, valuation)
        return None if rows is None else StockValuation.of(rows)
