"""Stock's dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared import batch
from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.stock import reads
from subgraphs.stock.models import Location, Product, Receipt, StockMove, Warehouse


def products(ctx: RequestContext) -> DataLoader[uuid.UUID, Product | None]:
    return loader(ctx, "stock.products", lambda s, t, ids: batch.by_id(s, Product, t, ids))


def warehouses(ctx: RequestContext) -> DataLoader[uuid.UUID, Warehouse | None]:
    return loader(ctx, "stock.warehouses", lambda s, t, ids: batch.by_id(s, Warehouse, t, ids))


def locations(ctx: RequestContext) -> DataLoader[uuid.UUID, Location | None]:
    return loader(ctx, "stock.locations", lambda s, t, ids: batch.by_id(s, Location, t, ids))


def locations_by_warehouse(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Location]]:
    return loader(ctx, "stock.locations_by_warehouse", reads.locations_by_warehouse, default=list)


def moves(ctx: RequestContext) -> DataLoader[uuid.UUID, StockMove | None]:
    return loader(ctx, "stock.moves", lambda s, t, ids: batch.by_id(s, StockMove, t, ids))


def levels_by_product(ctx: RequestContext) -> DataLoader[uuid.UUID, list[reads.LevelRow]]:
    return loader(ctx, "stock.levels_by_product", reads.levels_by_product, default=list)


def moves_by_source(ctx: RequestContext) -> DataLoader[uuid.UUID, list[StockMove]]:
    return loader(ctx, "stock.moves_by_source", reads.moves_by_source, default=list)


def receipts(ctx: RequestContext) -> DataLoader[uuid.UUID, Receipt | None]:
    return loader(ctx, "stock.receipts", reads.receipts_by_id)
