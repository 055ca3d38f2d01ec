"""Production's mutations and their payloads. Creating, confirming, completing and
unbuilding orders and recording quality checks honour the Idempotency-Key header."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.db import TenantId
from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.resolvers import perform, perform_idempotent
from shared.graphql.types import UserError
from subgraphs.production import (
    boms,
    completion,
    models,
    orders,
    quality,
    workcenters,
    workorders,
)
from subgraphs.production.graphql.inputs import (
    CompleteProductionOrderInput,
    ConfirmProductionOrderInput,
    CreateBillOfMaterialsInput,
    CreateProductionOrderInput,
    CreateQualityCheckTemplateInput,
    CreateWorkCenterInput,
    FinishWorkOrderInput,
    IdInput,
    RecordQualityCheckInput,
    UnbuildProductionOrderInput,
    UpdateWorkCenterInput,
)
from subgraphs.production.graphql.types import (
    WRITE,
    BillOfMaterials,
    ProductionOrder,
    QualityCheck,
    QualityCheckTemplate,
    WorkCenter,
    WorkOrder,
)


@strawberry.type
class WorkCenterPayload:
    work_center: WorkCenter | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.WorkCenter | None, errors: list[UserError]) -> WorkCenterPayload:
        return cls(work_center=WorkCenter.of(row) if row else None, errors=errors)


@strawberry.type
class BillOfMaterialsPayload:
    bill_of_materials: BillOfMaterials | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, row: models.BillOfMaterials | None, errors: list[UserError]
    ) -> BillOfMaterialsPayload:
        return cls(bill_of_materials=BillOfMaterials.of(row) if row else None, errors=errors)


@strawberry.type
class ProductionOrderPayload:
    production_order: ProductionOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, row: models.ProductionOrder | None, errors: list[UserError]
    ) -> ProductionOrderPayload:
        return cls(production_order=ProductionOrder.of(row) if row else None, errors=errors)


@strawberry.type
class WorkOrderPayload:
    work_order: WorkOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.WorkOrder | None, errors: list[UserError]) -> WorkOrderPayload:
        return cls(work_order=WorkOrder.of(row) if row else None, errors=errors)


@strawberry.type
class QualityCheckTemplatePayload:
    quality_check_template: QualityCheckTemplate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class QualityCheckPayload:
    quality_check: QualityCheck | None = None
    production_order: ProductionOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _replay_check(
    session: AsyncSession, tenant: TenantId, check_id: uuid.UUID
) -> quality.Recorded:
    return await quality.recorded(session, tenant, check_id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_work_center(
        self, info: Info[Any, Any], input: CreateWorkCenterInput
    ) -> WorkCenterPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: workcenters.create_work_center(
                s,
                p.tenant_id,
                code=input.code,
                name=input.name,
                capacity=input.capacity,
                cost_per_hour=input.cost_per_hour,
                working_hours=input.working_hours,
            ),
        )
        return WorkCenterPayload.of(row, errors)

    @strawberry.mutation
    async def update_work_center(
        self, info: Info[Any, Any], input: UpdateWorkCenterInput
    ) -> WorkCenterPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: workcenters.update_work_center(
                s,
                p.tenant_id,
                parse_id(input.id),
                name=input.name,
                capacity=input.capacity,
                cost_per_hour=input.cost_per_hour,
                working_hours=input.working_hours,
                active=input.active,
            ),
        )
        return WorkCenterPayload.of(row, errors)

    @strawberry.mutation(
        description="A new version of the product's BOM; refused with BOM_CYCLE when the "
        "product would contain itself at any depth."
    )
    async def create_bill_of_materials(
        self, info: Info[Any, Any], input: CreateBillOfMaterialsInput
    ) -> BillOfMaterialsPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: boms.create_bom(s, p.tenant_id, input.to_input())
        )
        return BillOfMaterialsPayload.of(row, errors)

    @strawberry.mutation(description="Make this version the product's active BOM.")
    async def activate_bill_of_materials(
        self, info: Info[Any, Any], input: IdInput
    ) -> BillOfMaterialsPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: boms.activate_bom(s, p.tenant_id, parse_id(input.id))
        )
        return BillOfMaterialsPayload.of(row, errors)

    @strawberry.mutation(description="The product has no active BOM afterwards.")
    async def deactivate_bill_of_materials(
        self, info: Info[Any, Any], input: IdInput
    ) -> BillOfMaterialsPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: boms.deactivate_bom(s, p.tenant_id, parse_id(input.id))
        )
        return BillOfMaterialsPayload.of(row, errors)

    @strawberry.mutation(description="A draft order with the next number.")
    async def create_production_order(
        self, info: Info[Any, Any], input: CreateProductionOrderInput
    ) -> ProductionOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "createProductionOrder",
            input,
            lambda s, p: orders.create_order(
                s,
                p.tenant_id,
                product_id=parse_id(input.product_id),
                quantity=input.quantity,
                warehouse_id=parse_id(input.warehouse_id),
                bom_id=parse_opt_id(input.bom_id),
                due_date=input.due_date,
                sales_order_line_id=parse_opt_id(input.sales_order_line_id),
                actor=p.user_id,
            ),
            orders.get_order,
        )
        return ProductionOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Explodes the BOM one level and reserves the components, all or "
        "nothing: a shortfall is INSUFFICIENT_STOCK unless allowShortage."
    )
    async def confirm_production_order(
        self, info: Info[Any, Any], input: ConfirmProductionOrderInput
    ) -> ProductionOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "confirmProductionOrder",
            input,
            lambda s, p: orders.confirm_order(
                s,
                p.tenant_id,
                parse_id(input.id),
                allow_shortage=input.allow_shortage,
                plan_subassemblies=input.plan_subassemblies,
                actor=p.user_id,
            ),
            orders.get_order,
        )
        return ProductionOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Consumes the components and produces the goods and by-products in one "
        "transaction; less than ordered leaves a backorder. Needs every work order done."
    )
    async def complete_production_order(
        self, info: Info[Any, Any], input: CompleteProductionOrderInput
    ) -> ProductionOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "completeProductionOrder",
            input,
            lambda s, p: completion.complete_order(
                s,
                p.tenant_id,
                parse_id(input.id),
                produced_quantity=input.produced_quantity,
                scrap_quantity=input.scrap_quantity,
                consumed=[c.to_consumption() for c in input.consumed or ()],
                actor=p.user_id,
            ),
            orders.get_order,
        )
        return ProductionOrderPayload.of(row, errors)

    @strawberry.mutation(description="Releases the order's reservations.")
    async def cancel_production_order(
        self, info: Info[Any, Any], input: IdInput
    ) -> ProductionOrderPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: orders.cancel_order(s, p.tenant_id, parse_id(input.id))
        )
        return ProductionOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Takes a done order's goods back and returns its components at the "
        "costs recorded when they were consumed."
    )
    async def unbuild_production_order(
        self, info: Info[Any, Any], input: UnbuildProductionOrderInput
    ) -> ProductionOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "unbuildProductionOrder",
            input,
            lambda s, p: completion.unbuild_order(
                s, p.tenant_id, parse_id(input.id), quantity=input.quantity, actor=p.user_id
            ),
            orders.get_order,
        )
        return ProductionOrderPayload.of(row, errors)

    @strawberry.mutation(description="The order is in progress from its first started one.")
    async def start_work_order(self, info: Info[Any, Any], input: IdInput) -> WorkOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: workorders.start_work_order(s, p.tenant_id, parse_id(input.id)),
        )
        return WorkOrderPayload.of(row, errors)

    @strawberry.mutation
    async def finish_work_order(
        self, info: Info[Any, Any], input: FinishWorkOrderInput
    ) -> WorkOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: workorders.finish_work_order(
                s, p.tenant_id, parse_id(input.id), actual_minutes=input.actual_minutes
            ),
        )
        return WorkOrderPayload.of(row, errors)

    @strawberry.mutation
    async def create_quality_check_template(
        self, info: Info[Any, Any], input: CreateQualityCheckTemplateInput
    ) -> QualityCheckTemplatePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: quality.create_template(
                s,
                p.tenant_id,
                name=input.name,
                kind=input.kind,
                product_id=parse_opt_id(input.product_id),
                operation_id=parse_opt_id(input.operation_id),
                min_value=input.min_value,
                max_value=input.max_value,
                required=input.required,
            ),
        )
        template = QualityCheckTemplate.of(row) if row else None
        return QualityCheckTemplatePayload(quality_check_template=template, errors=errors)

    @strawberry.mutation(
        description="A failed check of a required template blocks the order until a passing "
        "re-check of that template."
    )
    async def record_quality_check(
        self, info: Info[Any, Any], input: RecordQualityCheckInput
    ) -> QualityCheckPayload:
        result, errors = await perform_idempotent(
            info,
            WRITE,
            "recordQualityCheck",
            input,
            lambda s, p: quality.record_check(
                s,
                p.tenant_id,
                production_order_id=parse_id(input.production_order_id),
                template_id=parse_id(input.template_id),
                passed=input.passed,
                measured_value=input.measured_value,
                note=input.note,
                actor=p.user_id,
            ),
            _replay_check,
        )
        if result is None:
            return QualityCheckPayload(errors=errors)
        return QualityCheckPayload(
            quality_check=QualityCheck.of(result.check),
            production_order=ProductionOrder.of(result.order),
            errors=errors,
        )
