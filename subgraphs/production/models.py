"""Tables of the `production` schema.

Bills of materials, work centers, production orders with their component lines,
by-product lines and work orders, quality-check templates and recorded checks. Products,
warehouses and locations are stock's: composite foreign keys led by `tenant_id` make a
cross-tenant reference impossible. Costs are in the tenant's base currency, like stock's
average cost. The link to a sales order line (make-to-order) is a plain id: sales is
reached only through its api, never by a foreign key of ours.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "production"
QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)
NONE = Decimal("0.0000")
"""Zero as numeric(18,4) reads it back: the default of quantity columns."""
HUNDRED = Decimal(100)


def q4(value: Decimal) -> Decimal:
    """Round to the precision of numeric(18,4), half to even."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


class BomKind(StrEnum):
    """NORMAL: the product is made by a production order. PHANTOM: a kit, never made or
    stocked as such; wherever it is needed, its components are needed instead."""

    NORMAL = "NORMAL"
    PHANTOM = "PHANTOM"


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    CONFIRMED = "CONFIRMED"
    IN_PROGRESS = "IN_PROGRESS"
    BLOCKED = "BLOCKED"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


OPEN_ORDERS = (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS, OrderStatus.BLOCKED)
"""Confirmed and not finished: they hold reservations and plan work-center time."""


class WorkOrderStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


class CheckKind(StrEnum):
    PASS_FAIL = "PASS_FAIL"
    MEASUREMENT = "MEASUREMENT"


def _in(column: str, values: type[StrEnum]) -> str:
    """`status IN ('A', 'B')` from the enum, in its declaration order (the migration's text)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _fk(columns: list[str], target: str) -> ForeignKeyConstraint:
    table, _, _ = target.rpartition(".")
    return ForeignKeyConstraint(["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"])


def _qty(**kw: Any) -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 4), **kw)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now() -> Mapped[dt.datetime]:
    # Set in Python too, so a flushed row needs no round trip to read its timestamp.
    return mapped_column(DateTime(timezone=True), server_default=func.now(), default=_utcnow)


def _at() -> Mapped[dt.datetime | None]:
    return mapped_column(DateTime(timezone=True))


class Counter(Base):
    """The last production order number issued per year; its row lock makes numbering
    gapless (a sequence would leave gaps on rollback)."""

    __tablename__ = "counter"
    __table_args__ = ({"schema": SCHEMA},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class WorkCenter(Base):
    __tablename__ = "work_center"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("cost_per_hour >= 0", name="cost_per_hour"),
        CheckConstraint(
            "cardinality(working_hours) = 7 AND 0 <= ALL (working_hours)"
            " AND 24 >= ALL (working_hours)",
            name="working_hours",
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    cost_per_hour: Mapped[Decimal] = _qty()
    working_hours: Mapped[list[Decimal]] = mapped_column(ARRAY(Numeric(4, 2)))
    """Hours per weekday, Monday first."""
    active: Mapped[bool] = mapped_column(Boolean, server_default="true", default=True)
    created_at: Mapped[dt.datetime] = _now()


class BillOfMaterials(Base):
    __tablename__ = "bill_of_materials"
    __table_args__ = (
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "product_id", "version"),
        CheckConstraint(_in("kind", BomKind), name="kind"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("version >= 1", name="version"),
        # One active BOM per product, even for concurrent writers.
        Index(
            "uq_bill_of_materials_tenant_id_product_id_active",
            "tenant_id",
            "product_id",
            unique=True,
            postgresql_where=text("active"),
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID]
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = _qty()
    """How much of the product one run of this BOM yields."""
    active: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, server_default="", default="")
    created_at: Mapped[dt.datetime] = _now()


class BomComponent(Base):
    __tablename__ = "bom_component"
    __table_args__ = (
        _fk(["bom_id"], "production.bill_of_materials.id"),
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "bom_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("scrap_percent >= 0 AND scrap_percent < 100", name="scrap_percent"),
        Index("ix_bom_component_tenant_id_product_id", "tenant_id", "product_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bom_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    scrap_percent: Mapped[Decimal] = _qty(server_default="0", default=NONE)

    def need(self, runs: Decimal) -> Decimal:
        """The quantity `runs` runs of the BOM consume, scrap included (unrounded)."""
        return runs * self.quantity * (HUNDRED + self.scrap_percent) / HUNDRED


class BomByProduct(Base):
    __tablename__ = "bom_by_product"
    __table_args__ = (
        _fk(["bom_id"], "production.bill_of_materials.id"),
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "bom_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("cost_share >= 0 AND cost_share < 100", name="cost_share"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bom_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    cost_share: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    """Percent of the order's cost this by-product carries."""


class BomOperation(Base):
    __tablename__ = "bom_operation"
    __table_args__ = (
        _fk(["bom_id"], "production.bill_of_materials.id"),
        _fk(["work_center_id"], "production.work_center.id"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("sequence >= 0", name="sequence"),
        Index("ix_bom_operation_tenant_id_bom_id", "tenant_id", "bom_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bom_id: Mapped[uuid.UUID]
    sequence: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    work_center_id: Mapped[uuid.UUID]
    minutes: Mapped[Decimal] = _qty()
    """Minutes for one run of the BOM (its `quantity`)."""


class ProductionOrder(Base):
    __tablename__ = "production_order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        _fk(["product_id"], "stock.product.id"),
        _fk(["bom_id"], "production.bill_of_materials.id"),
        _fk(["warehouse_id"], "stock.warehouse.id"),
        _fk(["location_id"], "stock.location.id"),
        _fk(["parent_id"], "production.production_order.id"),
        _fk(["backorder_of_id"], "production.production_order.id"),
        CheckConstraint(_in("status", OrderStatus), name="status"),
        CheckConstraint(_in("resume_status", OrderStatus), name="resume_status"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "produced_quantity >= 0 AND scrap_quantity >= 0"
            " AND unbuilt_quantity >= 0 AND unbuilt_quantity <= produced_quantity",
            name="progress",
        ),
        Index("ix_production_order_tenant_id_status_due_date", "tenant_id", "status", "due_date"),
        Index("ix_production_order_tenant_id_product_id", "tenant_id", "product_id"),
        Index("ix_production_order_tenant_id_parent_id", "tenant_id", "parent_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[uuid.UUID]
    bom_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    warehouse_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    """The warehouse's STOCK location: components come from it, goods go to it."""
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default=OrderStatus.DRAFT.value)
    resume_status: Mapped[str | None] = mapped_column(String(16))
    """While BLOCKED: the status a passing re-check returns the order to."""
    sales_order_line_id: Mapped[uuid.UUID | None]
    parent_id: Mapped[uuid.UUID | None]
    """The order this one makes a sub-assembly for."""
    backorder_of_id: Mapped[uuid.UUID | None]
    produced_quantity: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    scrap_quantity: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    unbuilt_quantity: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    material_cost: Mapped[Decimal | None] = _qty()
    operation_cost: Mapped[Decimal | None] = _qty()
    unit_cost: Mapped[Decimal | None] = _qty()
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()
    confirmed_at: Mapped[dt.datetime | None] = _at()
    started_at: Mapped[dt.datetime | None] = _at()
    done_at: Mapped[dt.datetime | None] = _at()
    cancelled_at: Mapped[dt.datetime | None] = _at()


class ComponentLine(Base):
    """What an order needs of one product: planned at confirmation (the BOM exploded one
    level, kits into their components), reserved through stock, consumed at completion."""

    __tablename__ = "production_component"
    __table_args__ = (
        _fk(["order_id"], "production.production_order.id"),
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "order_id", "position"),
        UniqueConstraint("tenant_id", "order_id", "product_id"),
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("reserved >= 0 AND consumed >= 0", name="progress"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    reserved: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    consumed: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    unit_cost: Mapped[Decimal | None] = _qty()
    """The average cost the consumption was valued at (what an unbuild returns it at)."""


class ByProductLine(Base):
    __tablename__ = "production_by_product"
    __table_args__ = (
        _fk(["order_id"], "production.production_order.id"),
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "order_id", "position"),
        CheckConstraint("quantity >= 0 AND produced >= 0", name="quantity"),
        CheckConstraint("cost_share >= 0 AND cost_share < 100", name="cost_share"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    cost_share: Mapped[Decimal] = _qty()
    produced: Mapped[Decimal] = _qty(server_default="0", default=NONE)
    unit_cost: Mapped[Decimal | None] = _qty()


class WorkOrder(Base):
    __tablename__ = "work_order"
    __table_args__ = (
        _fk(["order_id"], "production.production_order.id"),
        _fk(["operation_id"], "production.bom_operation.id"),
        _fk(["work_center_id"], "production.work_center.id"),
        CheckConstraint(_in("status", WorkOrderStatus), name="status"),
        CheckConstraint("planned_minutes >= 0", name="planned_minutes"),
        CheckConstraint("actual_minutes IS NULL OR actual_minutes >= 0", name="actual_minutes"),
        CheckConstraint(
            f"(status = '{WorkOrderStatus.DONE}') = (finished_at IS NOT NULL)", name="finished"
        ),
        Index("ix_work_order_tenant_id_order_id", "tenant_id", "order_id"),
        Index(
            "ix_work_order_tenant_id_work_center_id_planned_date",
            "tenant_id",
            "work_center_id",
            "planned_date",
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    operation_id: Mapped[uuid.UUID]
    sequence: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    work_center_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16))
    planned_date: Mapped[dt.date] = mapped_column(Date)
    planned_minutes: Mapped[Decimal] = _qty()
    actual_minutes: Mapped[Decimal | None] = _qty()
    cost: Mapped[Decimal | None] = _qty()
    """Actual minutes at the work center's hourly rate, set when the work order is done."""
    started_at: Mapped[dt.datetime | None] = _at()
    finished_at: Mapped[dt.datetime | None] = _at()


class QualityCheckTemplate(Base):
    __tablename__ = "quality_check_template"
    __table_args__ = (
        _fk(["product_id"], "stock.product.id"),
        _fk(["operation_id"], "production.bom_operation.id"),
        CheckConstraint(_in("kind", CheckKind), name="kind"),
        CheckConstraint("(product_id IS NULL) <> (operation_id IS NULL)", name="subject"),
        CheckConstraint(
            f"(kind = '{CheckKind.MEASUREMENT}')"
            " = (min_value IS NOT NULL AND max_value IS NOT NULL)",
            name="bounds",
        ),
        CheckConstraint("min_value IS NULL OR min_value <= max_value", name="range"),
        Index("ix_quality_check_template_tenant_id_product_id", "tenant_id", "product_id"),
        Index("ix_quality_check_template_tenant_id_operation_id", "tenant_id", "operation_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[uuid.UUID | None]
    operation_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(16))
    min_value: Mapped[Decimal | None] = _qty()
    max_value: Mapped[Decimal | None] = _qty()
    required: Mapped[bool] = mapped_column(Boolean)
    """A failed check of a required template blocks its order until a passing re-check."""
    created_at: Mapped[dt.datetime] = _now()


class QualityCheck(Base):
    __tablename__ = "quality_check"
    __table_args__ = (
        _fk(["order_id"], "production.production_order.id"),
        _fk(["template_id"], "production.quality_check_template.id"),
        Index("ix_quality_check_tenant_id_order_id", "tenant_id", "order_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    template_id: Mapped[uuid.UUID]
    passed: Mapped[bool] = mapped_column(Boolean)
    measured_value: Mapped[Decimal | None] = _qty()
    note: Mapped[str] = mapped_column(Text, server_default="", default="")
    checked_by: Mapped[uuid.UUID | None]
    checked_at: Mapped[dt.datetime] = _now()
