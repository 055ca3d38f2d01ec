"""Tables of the `stock` schema.

The ledger (`stock_move`) is the truth; `stock_level` is its running sum per product and
internal location, kept in the same transaction and checkable with `verify_levels`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "stock"


class ProductType(StrEnum):
    STOCKABLE = "STOCKABLE"
    CONSUMABLE = "CONSUMABLE"
    SERVICE = "SERVICE"


class LocationKind(StrEnum):
    """The first five are internal (inside a warehouse); the rest are virtual, one per
    tenant: the other side of every move that enters or leaves the company's stock."""

    STOCK = "STOCK"
    INPUT = "INPUT"
    OUTPUT = "OUTPUT"
    QUALITY = "QUALITY"
    SCRAP = "SCRAP"
    SUPPLIER = "SUPPLIER"
    CUSTOMER = "CUSTOMER"
    PRODUCTION = "PRODUCTION"
    ADJUSTMENT = "ADJUSTMENT"


INTERNAL_KINDS = (
    LocationKind.STOCK,
    LocationKind.INPUT,
    LocationKind.OUTPUT,
    LocationKind.QUALITY,
    LocationKind.SCRAP,
)

SELLABLE_KINDS = (LocationKind.STOCK,)
"""Where stock is available to sell: sales and production reserve and take from STOCK only,
so INPUT (received, not put away), OUTPUT (staged) and QUALITY (held for inspection) are on
hand but not available; counting them would promise what an order cannot reserve."""

VALUED_KINDS = tuple(k for k in INTERNAL_KINDS if k != LocationKind.SCRAP)
"""Internal kinds whose stock is on hand and valued; a move into SCRAP writes goods off."""


class MoveState(StrEnum):
    DRAFT = "DRAFT"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


QUANTUM = Decimal("0.0001")
"""The precision of every numeric(18,4) column."""
ZERO = Decimal(0)


def q4(value: Decimal) -> Decimal:
    """Round to the precision of numeric(18,4), half to even."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def _qty(**kw: object) -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 4), **kw)  # type: ignore[arg-type]


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _in(column: str, values: Iterable[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        # `br-100` beside `BR-100` is a typo waiting to be picked: unique regardless of case.
        Index("uq_product_tenant_id_lower_sku", "tenant_id", text("lower(sku)"), unique=True),
        CheckConstraint(_in("type", ProductType), name="type"),
        CheckConstraint("sales_price >= 0", name="sales_price"),
        CheckConstraint("cost >= 0", name="cost"),
        Index("ix_product_tenant_id_category", "tenant_id", "category"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    type: Mapped[str] = mapped_column(String(16))
    uom: Mapped[str] = mapped_column(String(16), server_default="unit")
    category: Mapped[str | None] = mapped_column(String(100))
    barcode: Mapped[str | None] = mapped_column(String(64))
    sales_price: Mapped[Decimal] = _qty(server_default="0")
    currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    cost: Mapped[Decimal] = _qty(server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Warehouse(Base):
    __tablename__ = "warehouse"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), {"schema": SCHEMA})

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[dt.datetime] = _now()


class Location(Base):
    """Internal locations belong to a warehouse; virtual ones (no warehouse) are the
    other side of every move that enters or leaves the company's stock."""

    __tablename__ = "location"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"], ["stock.warehouse.tenant_id", "stock.warehouse.id"]
        ),
        CheckConstraint(_in("kind", LocationKind), name="kind"),
        CheckConstraint(
            f"({_in('kind', INTERNAL_KINDS)}) = (warehouse_id IS NOT NULL)", name="internal"
        ),
        UniqueConstraint("tenant_id", "warehouse_id", "kind"),
        # NULLs are distinct in a unique constraint, so virtual kinds need their own index.
        Index(
            "uq_location_tenant_id_virtual_kind",
            "tenant_id",
            "kind",
            unique=True,
            postgresql_where=text("warehouse_id IS NULL"),
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    warehouse_id: Mapped[uuid.UUID | None]
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))

    @property
    def internal(self) -> bool:
        return self.warehouse_id is not None


class StockMove(Base):
    __tablename__ = "stock_move"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"], ["stock.product.tenant_id", "stock.product.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "from_location_id"], ["stock.location.tenant_id", "stock.location.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "to_location_id"], ["stock.location.tenant_id", "stock.location.id"]
        ),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        CheckConstraint(_in("state", MoveState), name="state"),
        CheckConstraint(f"(state = '{MoveState.DONE}') = (done_at IS NOT NULL)", name="done_at"),
        Index("ix_stock_move_tenant_id_product_id", "tenant_id", "product_id"),
        Index(
            "ix_stock_move_tenant_id_source_type_source_id", "tenant_id", "source_type", "source_id"
        ),
        Index("ix_stock_move_tenant_id_created_at", "tenant_id", "created_at"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    from_location_id: Mapped[uuid.UUID]
    to_location_id: Mapped[uuid.UUID]
    state: Mapped[str] = mapped_column(String(16))
    source_type: Mapped[str | None] = mapped_column(String(50))
    source_id: Mapped[uuid.UUID | None]
    source_line: Mapped[str | None] = mapped_column(String(64))
    unit_cost: Mapped[Decimal | None] = _qty()
    created_at: Mapped[dt.datetime] = _now()
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(String(200))


class StockLevel(Base):
    __tablename__ = "stock_level"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"], ["stock.product.tenant_id", "stock.product.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "location_id"], ["stock.location.tenant_id", "stock.location.id"]
        ),
        CheckConstraint("on_hand >= 0", name="on_hand"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved"),
        CheckConstraint("claimed >= 0", name="claimed"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    on_hand: Mapped[Decimal] = _qty(server_default="0")
    reserved: Mapped[Decimal] = _qty(server_default="0")
    claimed: Mapped[Decimal] = _qty(server_default="0")
    """The sum of the level's open claims (backorders): stock that arrives goes to them
    first, and a new demand may only take `on_hand - reserved - claimed`."""


class Reservation(Base):
    __tablename__ = "reservation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id", "location_id"],
            [
                "stock.stock_level.tenant_id",
                "stock.stock_level.product_id",
                "stock.stock_level.location_id",
            ],
        ),
        UniqueConstraint(
            "tenant_id", "demand_type", "demand_id", "demand_line", "product_id", "location_id"
        ),
        CheckConstraint("quantity > 0", name="quantity"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    demand_type: Mapped[str] = mapped_column(String(50))
    demand_id: Mapped[uuid.UUID]
    demand_line: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    created_at: Mapped[dt.datetime] = _now()


class Claim(Base):
    """An open backorder: what a demand line still waits for at a location beyond what it
    holds reserved. Stock arriving at the level is reserved to the oldest claims first
    (by `created_at`); every writer of a claim holds its level's lock."""

    __tablename__ = "claim"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id", "location_id"],
            [
                "stock.stock_level.tenant_id",
                "stock.stock_level.product_id",
                "stock.stock_level.location_id",
            ],
        ),
        UniqueConstraint(
            "tenant_id", "demand_type", "demand_id", "demand_line", "product_id", "location_id"
        ),
        CheckConstraint("quantity > 0", name="quantity"),
        Index(
            "ix_claim_tenant_id_product_id_location_id_created_at",
            "tenant_id",
            "product_id",
            "location_id",
            "created_at",
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    demand_type: Mapped[str] = mapped_column(String(50))
    demand_id: Mapped[uuid.UUID]
    demand_line: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _qty()
    created_at: Mapped[dt.datetime] = _now()


class ReorderRule(Base):
    __tablename__ = "reorder_rule"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"], ["stock.product.tenant_id", "stock.product.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"], ["stock.warehouse.tenant_id", "stock.warehouse.id"]
        ),
        UniqueConstraint("tenant_id", "product_id", "warehouse_id"),
        CheckConstraint("min_quantity >= 0 AND max_quantity >= min_quantity", name="bounds"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID]
    warehouse_id: Mapped[uuid.UUID]
    min_quantity: Mapped[Decimal] = _qty()
    max_quantity: Mapped[Decimal] = _qty()


class LowStockAlert(Base):
    __tablename__ = "low_stock_alert"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "rule_id"], ["stock.reorder_rule.tenant_id", "stock.reorder_rule.id"]
        ),
        CheckConstraint(_in("status", AlertStatus), name="status"),
        # "Never two open alerts for one rule" holds even for concurrent writers.
        Index(
            "uq_low_stock_alert_tenant_id_rule_id_open",
            "tenant_id",
            "rule_id",
            unique=True,
            postgresql_where=text(f"status = '{AlertStatus.OPEN}'"),
        ),
        Index("ix_low_stock_alert_tenant_id_status", "tenant_id", "status"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    rule_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    warehouse_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16))
    min_quantity: Mapped[Decimal] = _qty()
    available: Mapped[Decimal] = _qty()
    raised_at: Mapped[dt.datetime] = _now()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CostAdjustment(Base):
    """A change of a product's average cost without a move (`revalue`): a price
    difference billed later, landed costs. Explains every cost change the ledger's
    moves do not."""

    __tablename__ = "cost_adjustment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"], ["stock.product.tenant_id", "stock.product.id"]
        ),
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_cost_adjustment_tenant_id_product_id", "tenant_id", "product_id"),
        Index(
            "ix_cost_adjustment_tenant_id_source_type_source_id",
            "tenant_id",
            "source_type",
            "source_id",
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID]
    source_type: Mapped[str] = mapped_column(String(50))
    source_id: Mapped[uuid.UUID]
    value_change: Mapped[Decimal] = _qty()
    quantity: Mapped[Decimal] = _qty()
    on_hand: Mapped[Decimal] = _qty()
    old_cost: Mapped[Decimal] = _qty()
    new_cost: Mapped[Decimal] = _qty()
    created_at: Mapped[dt.datetime] = _now()
    done_by: Mapped[uuid.UUID | None]


class Receipt(Base):
    """Goods received without a purchase order (`receiveStock`): the document behind its
    moves (`source_type` "StockReceipt")."""

    __tablename__ = "receipt"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"], ["stock.warehouse.tenant_id", "stock.warehouse.id"]
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    warehouse_id: Mapped[uuid.UUID]
    reference: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = _now()
    done_by: Mapped[uuid.UUID | None]
