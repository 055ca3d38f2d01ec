"""Production's GraphQL object types and enums; inputs live in `inputs.py`.

Production owns `ProductionOrder`, `BillOfMaterials` and `WorkOrder`, and extends stock's
`Product` with `bom` and `buildableQuantity`; every `product` field here is a reference
that stock resolves (`sku`, `name`, `stock { available }`). Costs are in the tenant's
base currency, like stock's average cost. The enums are the models' StrEnums.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql.ids import parse_id, parse_opt_id, to_id, to_opt_id
from shared.graphql.resolvers import context, load_many, load_one, load_required, reference
from subgraphs.production import explosion, models, reads
from subgraphs.production.graphql import loaders

READ, WRITE = "production:read", "production:write"

strawberry.enum(models.OrderStatus, name="ProductionOrderStatus")
strawberry.enum(models.WorkOrderStatus, name="WorkOrderStatus")
strawberry.enum(models.BomKind, name="BomKind")
strawberry.enum(models.CheckKind, name="QualityCheckKind")
strawberry.enum(reads.OrderSort, name="ProductionOrderOrderField")
strawberry.enum(reads.WorkOrderSort, name="WorkOrderOrderField")
strawberry.enum(reads.WorkCenterSort, name="WorkCenterOrderField")
strawberry.enum(reads.BomSort, name="BillOfMaterialsOrderField")


# --- references to other subgraphs' entities ----------------------------------------


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class Warehouse:
    """A reference to stock's warehouse; stock resolves its fields."""

    id: strawberry.ID


def _user(value: uuid.UUID | None) -> User | None:
    return None if value is None else User(id=to_id(value))


@strawberry.federation.type(keys=["id"], description="Stock's product, with how it is made.")
class Product:
    id: strawberry.ID

    @strawberry.field(description="The active bill of materials; null when it is not made.")
    async def bom(self, info: Info[Any, Any]) -> BillOfMaterials | None:
        context(info).require(READ)
        return await load_one(info, loaders.active_bom, parse_id(self.id), BillOfMaterials.of)

    @strawberry.field(
        description="Whole units that could be built now from the available components, "
        "through every level (short sub-assemblies made from theirs); in one warehouse if "
        "given. Null when the product has no active BOM."
    )
    async def buildable_quantity(
        self, info: Info[Any, Any], warehouse_id: strawberry.ID | None = None
    ) -> Decimal | None:
        ctx = context(info)
        ctx.require(READ)
        key = (parse_id(self.id), parse_opt_id(warehouse_id))
        return await loaders.buildable(ctx).load(key)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product:
        return cls(id=id)


def product(value: uuid.UUID) -> Product:
    return Product(id=to_id(value))


# --- work centers and bills of materials --------------------------------------------


@strawberry.type
class WorkCenter:
    id: strawberry.ID
    code: str
    name: str
    capacity: int = strawberry.field(description="Jobs it runs in parallel.")
    cost_per_hour: Decimal
    working_hours: list[Decimal] = strawberry.field(description="Per weekday, Monday first.")
    active: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, w: models.WorkCenter) -> WorkCenter:
        return cls(
            id=to_id(w.id),
            code=w.code,
            name=w.name,
            capacity=w.capacity,
            cost_per_hour=w.cost_per_hour,
            working_hours=list(w.working_hours),
            active=w.active,
            created_at=w.created_at,
        )


@strawberry.type
class BomComponent:
    product: Product
    quantity: Decimal
    scrap_percent: Decimal

    @classmethod
    def of(cls, c: models.BomComponent) -> BomComponent:
        return cls(
            product=product(c.product_id), quantity=c.quantity, scrap_percent=c.scrap_percent
        )


@strawberry.type
class BomByProduct:
    product: Product
    quantity: Decimal
    cost_share: Decimal = strawberry.field(description="Percent of the order's cost it carries.")

    @classmethod
    def of(cls, b: models.BomByProduct) -> BomByProduct:
        return cls(product=product(b.product_id), quantity=b.quantity, cost_share=b.cost_share)


@strawberry.type
class BomOperation:
    id: strawberry.ID
    sequence: int
    name: str
    minutes: Decimal = strawberry.field(description="For one run of the BOM (its quantity).")
    work_center_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, o: models.BomOperation) -> BomOperation:
        return cls(
            id=to_id(o.id),
            sequence=o.sequence,
            name=o.name,
            minutes=o.minutes,
            work_center_id=o.work_center_id,
        )

    @strawberry.field
    async def work_center(self, info: Info[Any, Any]) -> WorkCenter:
        return await load_required(info, loaders.work_centers, self.work_center_id, WorkCenter.of)


@strawberry.federation.type(keys=["id"], description="How a product is made: one version.")
class BillOfMaterials:
    id: strawberry.ID
    version: int
    kind: models.BomKind
    quantity: Decimal = strawberry.field(description="What one run yields of the product.")
    active: bool
    note: str
    created_at: dt.datetime
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, b: models.BillOfMaterials) -> BillOfMaterials:
        return cls(
            id=to_id(b.id),
            version=b.version,
            kind=models.BomKind(b.kind),
            quantity=b.quantity,
            active=b.active,
            note=b.note,
            created_at=b.created_at,
            product_id=b.product_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return product(self.product_id)

    @strawberry.field
    async def components(self, info: Info[Any, Any]) -> list[BomComponent]:
        return await load_many(info, loaders.components_by_bom, parse_id(self.id), BomComponent.of)

    @strawberry.field
    async def by_products(self, info: Info[Any, Any]) -> list[BomByProduct]:
        return await load_many(info, loaders.by_products_by_bom, parse_id(self.id), BomByProduct.of)

    @strawberry.field
    async def operations(self, info: Info[Any, Any]) -> list[BomOperation]:
        return await load_many(info, loaders.operations_by_bom, parse_id(self.id), BomOperation.of)

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> BillOfMaterials | None:
        return await reference(info, READ, loaders.boms, id, cls.of)


@strawberry.type
class ExplosionLine:
    product: Product
    level: int = strawberry.field(description="1: a component of the product itself.")
    quantity: Decimal = strawberry.field(description="Needed, scrap included.")
    available: Decimal
    shortfall: Decimal
    manufactured: bool = strawberry.field(
        description="It has a BOM: its shortfall is made, and exploded on the next levels."
    )

    @classmethod
    def of(cls, r: explosion.Requirement) -> ExplosionLine:
        return cls(
            product=product(r.product_id),
            level=r.level,
            quantity=r.quantity,
            available=r.available,
            shortfall=r.shortfall,
            manufactured=r.manufactured,
        )


@strawberry.type(description="The flattened multi-level requirement of making a quantity.")
class BomExplosion:
    product: Product
    quantity: Decimal
    warehouse: Warehouse | None
    lines: list[ExplosionLine]

    @classmethod
    def of(cls, e: reads.Explosion) -> BomExplosion:
        return cls(
            product=product(e.product_id),
            quantity=e.quantity,
            warehouse=Warehouse(id=to_id(e.warehouse_id)) if e.warehouse_id else None,
            lines=[ExplosionLine.of(r) for r in e.lines],
        )


@strawberry.type
class WorkCenterLoad:
    date: dt.date
    planned_minutes: Decimal
    capacity_minutes: Decimal
    load_percent: Decimal | None = strawberry.field(description="Null on a day without hours.")
    work_center_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, d: reads.LoadDay) -> WorkCenterLoad:
        return cls(
            date=d.date,
            planned_minutes=d.planned_minutes,
            capacity_minutes=d.capacity_minutes,
            load_percent=d.load_percent,
            work_center_id=d.work_center_id,
        )

    @strawberry.field
    async def work_center(self, info: Info[Any, Any]) -> WorkCenter:
        return await load_required(info, loaders.work_centers, self.work_center_id, WorkCenter.of)


# --- production orders ----------------------------------------------------------------


@strawberry.type(description="What an order needs of one product, and how far it got.")
class ProductionComponent:
    product: Product
    quantity: Decimal = strawberry.field(description="Planned: the BOM exploded one level.")
    reserved: Decimal
    consumed: Decimal
    unit_cost: Decimal | None = strawberry.field(description="The average cost it was used at.")

    @classmethod
    def of(cls, c: models.ComponentLine) -> ProductionComponent:
        return cls(
            product=product(c.product_id),
            quantity=c.quantity,
            reserved=c.reserved,
            consumed=c.consumed,
            unit_cost=c.unit_cost,
        )


@strawberry.type
class ProductionByProduct:
    product: Product
    quantity: Decimal
    produced: Decimal
    cost_share: Decimal
    unit_cost: Decimal | None

    @classmethod
    def of(cls, b: models.ByProductLine) -> ProductionByProduct:
        return cls(
            product=product(b.product_id),
            quantity=b.quantity,
            produced=b.produced,
            cost_share=b.cost_share,
            unit_cost=b.unit_cost,
        )


@strawberry.type
class QualityCheckTemplate:
    id: strawberry.ID
    name: str
    kind: models.CheckKind
    min_value: Decimal | None
    max_value: Decimal | None
    required: bool = strawberry.field(
        description="A failed check blocks the order until a passing re-check."
    )
    created_at: dt.datetime
    product_id: strawberry.Private[uuid.UUID | None]
    operation_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, t: models.QualityCheckTemplate) -> QualityCheckTemplate:
        return cls(
            id=to_id(t.id),
            name=t.name,
            kind=models.CheckKind(t.kind),
            min_value=t.min_value,
            max_value=t.max_value,
            required=t.required,
            created_at=t.created_at,
            product_id=t.product_id,
            operation_id=t.operation_id,
        )

    @strawberry.field
    def product(self) -> Product | None:
        return None if self.product_id is None else product(self.product_id)

    @strawberry.field
    async def operation(self, info: Info[Any, Any]) -> BomOperation | None:
        return await load_one(info, loaders.operations, self.operation_id, BomOperation.of)


@strawberry.type
class QualityCheck:
    id: strawberry.ID
    passed: bool
    measured_value: Decimal | None
    note: str
    checked_by: User | None
    checked_at: dt.datetime
    template_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, c: models.QualityCheck) -> QualityCheck:
        return cls(
            id=to_id(c.id),
            passed=c.passed,
            measured_value=c.measured_value,
            note=c.note,
            checked_by=_user(c.checked_by),
            checked_at=c.checked_at,
            template_id=c.template_id,
        )

    @strawberry.field
    async def template(self, info: Info[Any, Any]) -> QualityCheckTemplate:
        return await load_required(
            info, loaders.templates, self.template_id, QualityCheckTemplate.of
        )


@strawberry.federation.type(keys=["id"], description="The work of one BOM operation.")
class WorkOrder:
    id: strawberry.ID
    sequence: int
    name: str
    status: models.WorkOrderStatus
    planned_date: dt.date
    planned_minutes: Decimal
    actual_minutes: Decimal | None
    cost: Decimal | None = strawberry.field(description="Actual minutes at the hourly rate.")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    order_id: strawberry.Private[uuid.UUID]
    work_center_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, w: models.WorkOrder) -> WorkOrder:
        return cls(
            id=to_id(w.id),
            sequence=w.sequence,
            name=w.name,
            status=models.WorkOrderStatus(w.status),
            planned_date=w.planned_date,
            planned_minutes=w.planned_minutes,
            actual_minutes=w.actual_minutes,
            cost=w.cost,
            started_at=w.started_at,
            finished_at=w.finished_at,
            order_id=w.order_id,
            work_center_id=w.work_center_id,
        )

    @strawberry.field
    async def work_center(self, info: Info[Any, Any]) -> WorkCenter:
        return await load_required(info, loaders.work_centers, self.work_center_id, WorkCenter.of)

    @strawberry.field
    async def production_order(self, info: Info[Any, Any]) -> ProductionOrder:
        return await load_required(info, loaders.orders, self.order_id, ProductionOrder.of)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> WorkOrder | None:
        return await reference(info, READ, loaders.work_orders, id, cls.of)


@strawberry.federation.type(keys=["id"], description="Making a quantity of a product.")
class ProductionOrder:
    id: strawberry.ID
    number: str
    status: models.OrderStatus
    quantity: Decimal
    due_date: dt.date | None
    sales_order_line_id: strawberry.ID | None = strawberry.field(
        description="The sales order line it is made for (make-to-order)."
    )
    warehouse: Warehouse
    produced_quantity: Decimal
    scrap_quantity: Decimal
    unbuilt_quantity: Decimal
    material_cost: Decimal | None = strawberry.field(description="Set when done.")
    operation_cost: Decimal | None = strawberry.field(description="Set when done.")
    unit_cost: Decimal | None = strawberry.field(description="Of the finished good, when done.")
    created_by: User | None
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    product_id: strawberry.Private[uuid.UUID]
    bom_id: strawberry.Private[uuid.UUID]
    parent_id: strawberry.Private[uuid.UUID | None]
    backorder_of_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, o: models.ProductionOrder) -> ProductionOrder:
        return cls(
            id=to_id(o.id),
            number=o.number,
            status=models.OrderStatus(o.status),
            quantity=o.quantity,
            due_date=o.due_date,
            sales_order_line_id=to_opt_id(o.sales_order_line_id),
            warehouse=Warehouse(id=to_id(o.warehouse_id)),
            produced_quantity=o.produced_quantity,
            scrap_quantity=o.scrap_quantity,
            unbuilt_quantity=o.unbuilt_quantity,
            material_cost=o.material_cost,
            operation_cost=o.operation_cost,
            unit_cost=o.unit_cost,
            created_by=_user(o.created_by),
            created_at=o.created_at,
            confirmed_at=o.confirmed_at,
            started_at=o.started_at,
            done_at=o.done_at,
            cancelled_at=o.cancelled_at,
            product_id=o.product_id,
            bom_id=o.bom_id,
            parent_id=o.parent_id,
            backorder_of_id=o.backorder_of_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return product(self.product_id)

    @strawberry.field
    async def bom(self, info: Info[Any, Any]) -> BillOfMaterials:
        return await load_required(info, loaders.boms, self.bom_id, BillOfMaterials.of)

    @strawberry.field(description="Empty until confirmed.")
    async def components(self, info: Info[Any, Any]) -> list[ProductionComponent]:
        return await load_many(
            info, loaders.components_by_order, parse_id(self.id), ProductionComponent.of
        )

    @strawberry.field(description="Written when the order is done.")
    async def by_products(self, info: Info[Any, Any]) -> list[ProductionByProduct]:
        return await load_many(
            info, loaders.by_products_by_order, parse_id(self.id), ProductionByProduct.of
        )

    @strawberry.field
    async def work_orders(self, info: Info[Any, Any]) -> list[WorkOrder]:
        return await load_many(info, loaders.work_orders_by_order, parse_id(self.id), WorkOrder.of)

    @strawberry.field(description="Oldest first.")
    async def quality_checks(self, info: Info[Any, Any]) -> list[QualityCheck]:
        return await load_many(info, loaders.checks_by_order, parse_id(self.id), QualityCheck.of)

    @strawberry.field(description="The order this one makes a sub-assembly for.")
    async def parent(self, info: Info[Any, Any]) -> ProductionOrder | None:
        return await load_one(info, loaders.orders, self.parent_id, ProductionOrder.of)

    @strawberry.field(description="Orders making this one's short sub-assemblies.")
    async def children(self, info: Info[Any, Any]) -> list[ProductionOrder]:
        return await load_many(
            info, loaders.children_by_order, parse_id(self.id), ProductionOrder.of
        )

    @strawberry.field(description="The order whose partial completion left this one.")
    async def backorder_of(self, info: Info[Any, Any]) -> ProductionOrder | None:
        return await load_one(info, loaders.orders, self.backorder_of_id, ProductionOrder.of)

    @strawberry.field(description="What a partial completion left to make.")
    async def backorders(self, info: Info[Any, Any]) -> list[ProductionOrder]:
        return await load_many(
            info, loaders.backorders_by_order, parse_id(self.id), ProductionOrder.of
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> ProductionOrder | None:
        return await reference(info, READ, loaders.orders, id, cls.of)


TYPES = [ProductionOrder, BillOfMaterials, WorkOrder, Product, User, Warehouse]
