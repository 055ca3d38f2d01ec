"""Production's dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from aiodataloader import DataLoader

from shared import batch
from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.production import reads
from subgraphs.production.models import (
    BillOfMaterials,
    BomByProduct,
    BomComponent,
    BomOperation,
    ByProductLine,
    ComponentLine,
    ProductionOrder,
    QualityCheck,
    QualityCheckTemplate,
    WorkCenter,
    WorkOrder,
)


def _by_id(model: type[Any]) -> Any:
    return lambda s, t, ids: batch.by_id(s, model, t, ids)


def _grouped(column: Any, *order_by: Any) -> Any:
    model = column.class_
    return lambda s, t, keys: batch.grouped_by(s, model, t, column, keys, order_by=order_by)


def orders(ctx: RequestContext) -> DataLoader[uuid.UUID, ProductionOrder | None]:
    return loader(ctx, "production.orders", _by_id(ProductionOrder))


def boms(ctx: RequestContext) -> DataLoader[uuid.UUID, BillOfMaterials | None]:
    return loader(ctx, "production.boms", _by_id(BillOfMaterials))


def work_centers(ctx: RequestContext) -> DataLoader[uuid.UUID, WorkCenter | None]:
    return loader(ctx, "production.work_centers", _by_id(WorkCenter))


def work_orders(ctx: RequestContext) -> DataLoader[uuid.UUID, WorkOrder | None]:
    return loader(ctx, "production.work_orders", _by_id(WorkOrder))


def templates(ctx: RequestContext) -> DataLoader[uuid.UUID, QualityCheckTemplate | None]:
    return loader(ctx, "production.templates", _by_id(QualityCheckTemplate))


def operations(ctx: RequestContext) -> DataLoader[uuid.UUID, BomOperation | None]:
    return loader(ctx, "production.operations", _by_id(BomOperation))


def active_bom(ctx: RequestContext) -> DataLoader[uuid.UUID, BillOfMaterials | None]:
    return loader(ctx, "production.active_bom", reads.active_boms)


def buildable(ctx: RequestContext) -> DataLoader[reads.BuildableKey, Decimal | None]:
    return loader(ctx, "production.buildable", reads.buildable_quantities)


def components_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[ComponentLine]]:
    return loader(
        ctx,
        "production.components_by_order",
        _grouped(ComponentLine.order_id, ComponentLine.position),
        default=list,
    )


def by_products_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[ByProductLine]]:
    return loader(
        ctx,
        "production.by_products_by_order",
        _grouped(ByProductLine.order_id, ByProductLine.position),
        default=list,
    )


def work_orders_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[WorkOrder]]:
    return loader(
        ctx,
        "production.work_orders_by_order",
        _grouped(WorkOrder.order_id, WorkOrder.sequence, WorkOrder.name),
        default=list,
    )


def checks_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[QualityCheck]]:
    return loader(
        ctx,
        "production.checks_by_order",
        _grouped(QualityCheck.order_id, QualityCheck.checked_at, QualityCheck.id),
        default=list,
    )


def children_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[ProductionOrder]]:
    return loader(
        ctx,
        "production.children_by_order",
        _grouped(ProductionOrder.parent_id, ProductionOrder.number),
        default=list,
    )


def backorders_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[ProductionOrder]]:
    return loader(
        ctx,
        "production.backorders_by_order",
        _grouped(ProductionOrder.backorder_of_id, ProductionOrder.number),
        default=list,
    )


def components_by_bom(ctx: RequestContext) -> DataLoader[uuid.UUID, list[BomComponent]]:
    return loader(
        ctx,
        "production.components_by_bom",
        _grouped(BomComponent.bom_id, BomComponent.position),
        default=list,
    )


def by_products_by_bom(ctx: RequestContext) -> DataLoader[uuid.UUID, list[BomByProduct]]:
    return loader(
        ctx,
        "production.by_products_by_bom",
        _grouped(BomByProduct.bom_id, BomByProduct.position),
        default=list,
    )


def operations_by_bom(ctx: RequestContext) -> DataLoader[uuid.UUID, list[BomOperation]]:
    return loader(
        ctx,
        "production.operations_by_bom",
        _grouped(BomOperation.bom_id, BomOperation.sequence, BomOperation.name),
        default=list,
    )
