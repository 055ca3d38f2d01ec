"""Stock's dataloaders."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.stock import service
from subgraphs.stock.models import Location, Product, StockMove, Warehouse


def products(ctx: RequestContext) -> DataLoader[uuid.UUID, Product | None]:
    return loader(ctx, "stock.products", service.products_by_id)


def warehouses(ctx: RequestContext) -> DataLoader[uuid.UUID, Warehouse | None]:
    return loader(ctx, "stock.warehouses", service.warehouses_by_id)


def locations(ctx: RequestContext) -> DataLoader[uuid.UUID, Location | None]:
    return loader(ctx, "stock.locations", service.locations_by_id)


def locations_by_warehouse(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Location]]:
    return loader(ctx, "stock.locations_by_warehouse", service.locations_by_warehouse, default=list)


def moves(ctx: RequestContext) -> DataLoader[uuid.UUID, StockMove | None]:
    return loader(ctx, "stock.moves", service.moves_by_id)


def levels_by_product(ctx: RequestContext) -> DataLoader[uuid.UUID, list[service.LevelRow]]:
    return loader(ctx, "stock.levels_by_product", service.levels_by_product, default=list)
