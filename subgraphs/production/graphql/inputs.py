"""Production's GraphQL input types and their conversion to the services' arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.production import boms, completion, models, reads

# --- queries ------------------------------------------------------------------------


@strawberry.input
class ProductionOrderFilter:
    status: list[models.OrderStatus] | None = None
    product_id: strawberry.ID | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    parent_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")

    def to_filter(self) -> reads.OrderFilter:
        return reads.OrderFilter(
            statuses=list(self.status or ()),
            product_id=parse_opt_id(self.product_id),
            due_from=self.due_from,
            due_to=self.due_to,
            parent_id=parse_opt_id(self.parent_id),
            search=self.search,
        )


@strawberry.input
class ProductionOrderOrder:
    field: reads.OrderSort = reads.OrderSort.DUE_DATE
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class WorkOrderFilter:
    status: list[models.WorkOrderStatus] | None = None
    work_center_id: strawberry.ID | None = None
    production_order_id: strawberry.ID | None = None

    def to_filter(self) -> reads.WorkOrderFilter:
        return reads.WorkOrderFilter(
            statuses=list(self.status or ()),
            work_center_id=parse_opt_id(self.work_center_id),
            production_order_id=parse_opt_id(self.production_order_id),
        )


@strawberry.input
class WorkOrderOrder:
    field: reads.WorkOrderSort = reads.WorkOrderSort.PLANNED_DATE
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class WorkCenterFilter:
    active: bool | None = None


@strawberry.input
class WorkCenterOrder:
    field: reads.WorkCenterSort = reads.WorkCenterSort.CODE
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class BillOfMaterialsFilter:
    product_id: strawberry.ID | None = None
    active: bool | None = None
    kind: models.BomKind | None = None

    def to_filter(self) -> reads.BomFilter:
        return reads.BomFilter(
            product_id=parse_opt_id(self.product_id), active=self.active, kind=self.kind
        )


@strawberry.input
class BillOfMaterialsOrder:
    field: reads.BomSort = reads.BomSort.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class QualityCheckTemplateFilter:
    product_id: strawberry.ID | None = None
    kind: models.CheckKind | None = None


@strawberry.input
class QualityCheckTemplateOrder:
    direction: SortDirection = strawberry.field(default=SortDirection.ASC, description="By name.")


# --- work centers and bills of materials --------------------------------------------


@strawberry.input
class CreateWorkCenterInput:
    code: str
    name: str
    capacity: int = 1
    cost_per_hour: Decimal = Decimal(0)
    working_hours: list[Decimal] | None = strawberry.field(
        default=None, description="Seven entries, Monday first; 8 hours on weekdays if absent."
    )


@strawberry.input
class UpdateWorkCenterInput:
    id: strawberry.ID
    name: str | None = None
    capacity: int | None = None
    cost_per_hour: Decimal | None = None
    working_hours: list[Decimal] | None = None
    active: bool | None = None


@strawberry.input
class BomComponentInput:
    product_id: strawberry.ID
    quantity: Decimal
    scrap_percent: Decimal = Decimal(0)

    def to_input(self) -> boms.ComponentInput:
        return boms.ComponentInput(parse_id(self.product_id), self.quantity, self.scrap_percent)


@strawberry.input
class BomByProductInput:
    product_id: strawberry.ID
    quantity: Decimal
    cost_share: Decimal = Decimal(0)

    def to_input(self) -> boms.ByProductInput:
        return boms.ByProductInput(parse_id(self.product_id), self.quantity, self.cost_share)


@strawberry.input
class BomOperationInput:
    sequence: int
    name: str
    work_center_id: strawberry.ID
    minutes: Decimal

    def to_input(self) -> boms.OperationInput:
        return boms.OperationInput(
            self.sequence, self.name, parse_id(self.work_center_id), self.minutes
        )


@strawberry.input
class CreateBillOfMaterialsInput:
    product_id: strawberry.ID
    quantity: Decimal = strawberry.field(description="What one run yields.")
    components: list[BomComponentInput]
    kind: models.BomKind = models.BomKind.NORMAL
    by_products: list[BomByProductInput] = strawberry.field(default_factory=list)
    operations: list[BomOperationInput] = strawberry.field(default_factory=list)
    active: bool = strawberry.field(
        default=True, description="Replace the product's active BOM with this one."
    )
    note: str | None = None

    def to_input(self) -> boms.BomInput:
        return boms.BomInput(
            product_id=parse_id(self.product_id),
            quantity=self.quantity,
            components=[c.to_input() for c in self.components],
            kind=self.kind,
            by_products=[b.to_input() for b in self.by_products],
            operations=[o.to_input() for o in self.operations],
            active=self.active,
            note=self.note,
        )


@strawberry.input
class IdInput:
    id: strawberry.ID


# --- production orders --------------------------------------------------------------


@strawberry.input
class CreateProductionOrderInput:
    product_id: strawberry.ID
    quantity: Decimal
    warehouse_id: strawberry.ID = strawberry.field(
        description="Components come from its STOCK location and goods go there."
    )
    bom_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product's active BOM if absent."
    )
    due_date: dt.date | None = None
    sales_order_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="The sales order line it is made for (make-to-order)."
    )


@strawberry.input
class ConfirmProductionOrderInput:
    id: strawberry.ID
    allow_shortage: bool = strawberry.field(
        default=False, description="Reserve what is free instead of refusing a shortfall."
    )
    plan_subassemblies: bool = strawberry.field(
        default=False,
        description="Short components with a BOM of their own get confirmed child orders.",
    )


@strawberry.input
class ConsumptionInput:
    product_id: strawberry.ID
    quantity: Decimal

    def to_consumption(self) -> completion.Consumption:
        return completion.Consumption(parse_id(self.product_id), self.quantity)


@strawberry.input
class CompleteProductionOrderInput:
    id: strawberry.ID
    produced_quantity: Decimal | None = strawberry.field(
        default=None, description="The order's quantity if absent; less leaves a backorder."
    )
    scrap_quantity: Decimal | None = None
    consumed: list[ConsumptionInput] | None = strawberry.field(
        default=None,
        description="Actual quantities where they differ from the BOM's for what was made.",
    )


@strawberry.input
class UnbuildProductionOrderInput:
    id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="All that is not unbuilt yet if absent."
    )


@strawberry.input
class FinishWorkOrderInput:
    id: strawberry.ID
    actual_minutes: Decimal | None = strawberry.field(
        default=None, description="The time since it started if absent."
    )


# --- quality ------------------------------------------------------------------------


@strawberry.input
class CreateQualityCheckTemplateInput:
    name: str
    kind: models.CheckKind
    product_id: strawberry.ID | None = None
    operation_id: strawberry.ID | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    required: bool = True


@strawberry.input
class RecordQualityCheckInput:
    production_order_id: strawberry.ID
    template_id: strawberry.ID
    passed: bool | None = strawberry.field(default=None, description="For a pass/fail check.")
    measured_value: Decimal | None = strawberry.field(
        default=None, description="For a measurement: it passes within the bounds."
    )
    note: str | None = None
