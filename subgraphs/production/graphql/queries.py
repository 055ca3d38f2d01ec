"""Production's queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import read, reference
from shared.graphql.types import SortDirection
from subgraphs.production import reads
from subgraphs.production.graphql import loaders
from subgraphs.production.graphql.inputs import (
    BillOfMaterialsFilter,
    BillOfMaterialsOrder,
    ProductionOrderFilter,
    ProductionOrderOrder,
    QualityCheckTemplateFilter,
    QualityCheckTemplateOrder,
    WorkCenterFilter,
    WorkCenterOrder,
    WorkOrderFilter,
    WorkOrderOrder,
)
from subgraphs.production.graphql.types import (
    READ,
    BillOfMaterials,
    BomExplosion,
    ProductionOrder,
    QualityCheckTemplate,
    WorkCenter,
    WorkCenterLoad,
    WorkOrder,
)


def _desc(direction: SortDirection) -> bool:
    return direction == SortDirection.DESC


@strawberry.type
class Query:
    @strawberry.field(description="Soonest due first by default; undated orders last.")
    async def production_orders(
        self,
        info: Info[Any, Any],
        filter: ProductionOrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: ProductionOrderOrder | None = None,
    ) -> Connection[ProductionOrder]:
        wanted = (filter or ProductionOrderFilter()).to_filter()
        sort = order_by or ProductionOrderOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_orders(
                s,
                t,
                filter=wanted,
                order_by=sort.field,
                descending=_desc(sort.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, ProductionOrder.of)

    @strawberry.field
    async def production_order(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> ProductionOrder | None:
        return await reference(info, READ, loaders.orders, id, ProductionOrder.of)

    @strawberry.field
    async def work_orders(
        self,
        info: Info[Any, Any],
        filter: WorkOrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: WorkOrderOrder | None = None,
    ) -> Connection[WorkOrder]:
        wanted = (filter or WorkOrderFilter()).to_filter()
        sort = order_by or WorkOrderOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_work_orders(
                s,
                t,
                filter=wanted,
                order_by=sort.field,
                descending=_desc(sort.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, WorkOrder.of)

    @strawberry.field
    async def work_order(self, info: Info[Any, Any], id: strawberry.ID) -> WorkOrder | None:
        return await reference(info, READ, loaders.work_orders, id, WorkOrder.of)

    @strawberry.field
    async def work_centers(
        self,
        info: Info[Any, Any],
        filter: WorkCenterFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: WorkCenterOrder | None = None,
    ) -> Connection[WorkCenter]:
        active = (filter or WorkCenterFilter()).active
        sort = order_by or WorkCenterOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_work_centers(
                s,
                t,
                active=active,
                order_by=sort.field,
                descending=_desc(sort.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, WorkCenter.of)

    @strawberry.field
    async def work_center(self, info: Info[Any, Any], id: strawberry.ID) -> WorkCenter | None:
        return await reference(info, READ, loaders.work_centers, id, WorkCenter.of)

    @strawberry.field
    async def bills_of_materials(
        self,
        info: Info[Any, Any],
        filter: BillOfMaterialsFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: BillOfMaterialsOrder | None = None,
    ) -> Connection[BillOfMaterials]:
        wanted = (filter or BillOfMaterialsFilter()).to_filter()
        sort = order_by or BillOfMaterialsOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_boms(
                s,
                t,
                filter=wanted,
                order_by=sort.field,
                descending=_desc(sort.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, BillOfMaterials.of)

    @strawberry.field
    async def bill_of_materials(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> BillOfMaterials | None:
        return await reference(info, READ, loaders.boms, id, BillOfMaterials.of)

    @strawberry.field
    async def quality_check_templates(
        self,
        info: Info[Any, Any],
        filter: QualityCheckTemplateFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: QualityCheckTemplateOrder | None = None,
    ) -> Connection[QualityCheckTemplate]:
        f = filter or QualityCheckTemplateFilter()
        sort = order_by or QualityCheckTemplateOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_templates(
                s,
                t,
                product_id=parse_opt_id(f.product_id),
                kind=f.kind,
                descending=_desc(sort.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, QualityCheckTemplate.of)

    @strawberry.field
    async def quality_check_template(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> QualityCheckTemplate | None:
        return await reference(info, READ, loaders.templates, id, QualityCheckTemplate.of)

    @strawberry.field(
        description="The flattened multi-level requirement of making `quantity`, with each "
        "product's available quantity (in the warehouse, if given) and shortfall; null "
        "when the product has no active BOM."
    )
    async def bom_explosion(
        self,
        info: Info[Any, Any],
        product_id: strawberry.ID,
        quantity: Decimal,
        warehouse_id: strawberry.ID | None = None,
    ) -> BomExplosion | None:
        found = await read(
            info,
            READ,
            lambda s, t: reads.bom_explosion(
                s,
                t,
                product_id=parse_id(product_id),
                quantity=quantity,
                warehouse_id=parse_opt_id(warehouse_id),
            ),
        )
        return None if found is None else BomExplosion.of(found)

    @strawberry.field(
        description="Planned minutes of open work orders per work center and day, against "
        "capacity x working hours."
    )
    async def work_center_load(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        work_center_id: strawberry.ID | None = None,
    ) -> list[WorkCenterLoad]:
        days = await read(
            info,
            READ,
            lambda s, t: reads.work_center_load(
                s, t, start=from_, end=to, work_center_id=parse_opt_id(work_center_id)
            ),
        )
        return [WorkCenterLoad.of(d) for d in days]
