"""Tables of the `purchases` schema.

Suppliers and their price lists, purchase orders with their lines, receipts (what came in,
at what cost in base currency), vendor bills with the three-way match outcome per line,
and bill payments. Every foreign key is led by `tenant_id`, including those into stock's
products and warehouses, so a cross-tenant reference cannot exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
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
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "purchases"


class OrderState(StrEnum):
    """Where a purchase order stands: a request for quotation until confirmed, then
    receipt progress."""

    RFQ = "RFQ"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_RECEIVED = "PARTIALLY_RECEIVED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


EDITABLE = (OrderState.RFQ, OrderState.SENT)
"""Requests for quotation: the only orders whose lines may change."""
RECEIVABLE = (OrderState.CONFIRMED, OrderState.PARTIALLY_RECEIVED)
"""Confirmed orders with goods still to come."""
OPEN = (OrderState.RFQ, OrderState.SENT, OrderState.CONFIRMED, OrderState.PARTIALLY_RECEIVED)
"""Orders whose unreceived quantities are on their way or asked for (incoming quantity,
replenishment)."""
COMMITTED = (OrderState.CONFIRMED, OrderState.PARTIALLY_RECEIVED, OrderState.RECEIVED)
"""Orders that count as spend: confirmed and not cancelled."""


class BillingStatus(StrEnum):
    """How much of an order is billed, and whether its bills are paid."""

    NOT_BILLED = "NOT_BILLED"
    PARTIALLY_BILLED = "PARTIALLY_BILLED"
    BILLED = "BILLED"
    PAID = "PAID"


class ApprovalStatus(StrEnum):
    """The approver's decision on an order; one is needed above the approval threshold."""

    NOT_REVIEWED = "NOT_REVIEWED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class BillStatus(StrEnum):
    """HELD: the three-way match failed, the bill waits for release; POSTED: it counts
    as billed and takes payments; PAID: in full."""

    HELD = "HELD"
    POSTED = "POSTED"
    PAID = "PAID"


class LandedCostKind(StrEnum):
    FREIGHT = "FREIGHT"
    DUTY = "DUTY"
    INSURANCE = "INSURANCE"
    OTHER = "OTHER"


class LandedCostAllocation(StrEnum):
    """How landed costs split over received lines: by their value or their quantity
    (no weight: products carry none)."""

    VALUE = "VALUE"
    QUANTITY = "QUANTITY"


class DocumentKind(StrEnum):
    """The numbered document kinds (`Counter.kind`), each with its own number series."""

    ORDER = "ORDER"
    RECEIPT = "RECEIPT"
    BILL = "BILL"


def _amount(**kw: Any) -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 4), **kw)


def _percent(**kw: Any) -> Mapped[Decimal]:
    return mapped_column(Numeric(7, 4), **kw)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now() -> Mapped[dt.datetime]:
    # Set in Python too, so a flushed row needs no round trip to read its timestamp.
    return mapped_column(DateTime(timezone=True), server_default=func.now(), default=_utcnow)


def _moment() -> Mapped[dt.datetime | None]:
    return mapped_column(DateTime(timezone=True))


def _in(column: str, values: type[StrEnum]) -> str:
    """`status IN ('A', 'B')` from the enum, in its declaration order (the migration's text)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _fk(columns: list[str], target: str) -> ForeignKeyConstraint:
    table = target.rpartition(".")[0]
    return ForeignKeyConstraint(["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"])


class PurchasePolicy(Base):
    """The tenant's purchasing rules; a tenant without a row has the defaults."""

    __tablename__ = "purchase_policy"
    __table_args__ = (
        CheckConstraint("approval_threshold >= 0", name="approval_threshold"),
        CheckConstraint(
            "receipt_tolerance_percent >= 0 AND receipt_tolerance_percent <= 100",
            name="receipt_tolerance",
        ),
        CheckConstraint(
            "match_tolerance_percent >= 0 AND match_tolerance_percent <= 100",
            name="match_tolerance",
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    approval_threshold: Mapped[Decimal | None] = _amount()
    receipt_tolerance_percent: Mapped[Decimal] = _percent(server_default="0")
    match_tolerance_percent: Mapped[Decimal] = _percent(server_default="0")
    updated_at: Mapped[dt.datetime] = _now()


class Counter(Base):
    """The last number issued per document kind and year; its row lock makes numbering
    gapless (a sequence would leave gaps on rollback)."""

    __tablename__ = "counter"
    __table_args__ = ({"schema": SCHEMA},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Supplier(Base):
    __tablename__ = "supplier"
    __table_args__ = (
        UniqueConstraint("tenant_id", "tax_id"),
        CheckConstraint("payment_terms_days >= 0", name="payment_terms_days"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating"),
        Index("ix_supplier_tenant_id_name", "tenant_id", "name"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str] = mapped_column(Text, server_default="")
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int] = mapped_column(Integer, server_default="30")
    lead_time_days: Mapped[int] = mapped_column(Integer, server_default="7")
    rating: Mapped[int | None] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_utcnow, onupdate=_utcnow
    )


class SupplierPrice(Base):
    """One price tier of a supplier for a product: valid from `min_quantity` up, ordered
    in multiples of `order_multiple`, between the validity dates (open when null)."""

    __tablename__ = "supplier_price"
    __table_args__ = (
        _fk(["supplier_id"], "purchases.supplier.id"),
        _fk(["product_id"], "stock.product.id"),
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint("min_quantity >= 0", name="min_quantity"),
        CheckConstraint("order_multiple > 0", name="order_multiple"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
        CheckConstraint("valid_to >= valid_from", name="validity"),
        Index("ix_supplier_price_tenant_id_product_id", "tenant_id", "product_id"),
        Index("ix_supplier_price_tenant_id_supplier_id", "tenant_id", "supplier_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    supplier_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    price: Mapped[Decimal] = _amount()
    currency: Mapped[str] = mapped_column(String(3))
    min_quantity: Mapped[Decimal] = _amount(server_default="0")
    order_multiple: Mapped[Decimal | None] = _amount()
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()


class PreferredSupplier(Base):
    """The supplier replenishment orders a product from."""

    __tablename__ = "preferred_supplier"
    __table_args__ = (
        _fk(["product_id"], "stock.product.id"),
        _fk(["supplier_id"], "purchases.supplier.id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    supplier_id: Mapped[uuid.UUID]


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        _fk(["supplier_id"], "purchases.supplier.id"),
        _fk(["warehouse_id"], "stock.warehouse.id"),
        CheckConstraint(_in("status", OrderState), name="status"),
        CheckConstraint(_in("billing_status", BillingStatus), name="billing_status"),
        CheckConstraint(_in("approval_status", ApprovalStatus), name="approval_status"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate"),
        Index(
            "ix_purchase_order_tenant_id_supplier_id_order_date",
            "tenant_id",
            "supplier_id",
            "order_date",
        ),
        Index("ix_purchase_order_tenant_id_order_date", "tenant_id", "order_date"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[uuid.UUID]
    warehouse_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    order_date: Mapped[dt.date] = mapped_column(Date)
    expected_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), server_default=OrderState.RFQ.value)
    billing_status: Mapped[str] = mapped_column(
        String(24), server_default=BillingStatus.NOT_BILLED.value
    )
    approval_status: Mapped[str] = mapped_column(
        String(16), server_default=ApprovalStatus.NOT_REVIEWED.value
    )
    approved_by: Mapped[uuid.UUID | None]
    approved_at: Mapped[dt.datetime | None] = _moment()
    rejected_by: Mapped[uuid.UUID | None]
    rejected_at: Mapped[dt.datetime | None] = _moment()
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    untaxed: Mapped[Decimal] = _amount(server_default="0")
    tax: Mapped[Decimal] = _amount(server_default="0")
    total: Mapped[Decimal] = _amount(server_default="0")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[uuid.UUID | None]
    sent_at: Mapped[dt.datetime | None] = _moment()
    confirmed_at: Mapped[dt.datetime | None] = _moment()
    confirmed_by: Mapped[uuid.UUID | None]
    received_at: Mapped[dt.datetime | None] = _moment()
    closed_at: Mapped[dt.datetime | None] = _moment()
    cancelled_at: Mapped[dt.datetime | None] = _moment()
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_utcnow, onupdate=_utcnow
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        _fk(["order_id"], "purchases.purchase_order.id"),
        _fk(["product_id"], "stock.product.id"),
        UniqueConstraint("tenant_id", "order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        CheckConstraint("tax_percent >= 0 AND tax_percent <= 100", name="tax_percent"),
        CheckConstraint(
            "received_qty >= 0 AND billed_qty >= 0"
            " AND cancelled_qty >= 0 AND cancelled_qty <= quantity",
            name="progress",
        ),
        Index("ix_purchase_order_line_tenant_id_product_id", "tenant_id", "product_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    description: Mapped[str] = mapped_column(Text, server_default="")
    quantity: Mapped[Decimal] = _amount()
    unit_cost: Mapped[Decimal] = _amount()
    tax_percent: Mapped[Decimal] = _percent(server_default="0")
    untaxed: Mapped[Decimal] = _amount()
    tax: Mapped[Decimal] = _amount()
    total: Mapped[Decimal] = _amount()
    received_qty: Mapped[Decimal] = _amount(server_default="0")
    billed_qty: Mapped[Decimal] = _amount(server_default="0")
    cancelled_qty: Mapped[Decimal] = _amount(server_default="0")

    @property
    def open_qty(self) -> Decimal:
        """What is still to come: ordered, less received and cancelled, never below 0."""
        return max(self.quantity - self.received_qty - self.cancelled_qty, Decimal(0))


class Receipt(Base):
    """Goods received against an order; each line became a done stock move."""

    __tablename__ = "receipt"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        _fk(["order_id"], "purchases.purchase_order.id"),
        Index("ix_receipt_tenant_id_order_id", "tenant_id", "order_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[uuid.UUID]
    received_on: Mapped[dt.date] = mapped_column(Date)
    received_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()


class ReceiptLine(Base):
    """`unit_cost` is in the tenant's base currency: the order's unit cost times the
    exchange rate fixed at confirmation, as the stock move carries it."""

    __tablename__ = "receipt_line"
    __table_args__ = (
        _fk(["receipt_id"], "purchases.receipt.id"),
        _fk(["order_line_id"], "purchases.purchase_order_line.id"),
        CheckConstraint("quantity > 0", name="quantity"),
        Index("ix_receipt_line_tenant_id_receipt_id", "tenant_id", "receipt_id"),
        Index("ix_receipt_line_tenant_id_product_id", "tenant_id", "product_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    receipt_id: Mapped[uuid.UUID]
    order_line_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _amount()
    unit_cost: Mapped[Decimal] = _amount()
    created_at: Mapped[dt.datetime] = _now()


class VendorBill(Base):
    """A supplier's invoice against an order, in the order's currency. `hold_reasons`
    lists why the three-way match held it (empty once matched)."""

    __tablename__ = "vendor_bill"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "supplier_id", "supplier_reference"),
        _fk(["order_id"], "purchases.purchase_order.id"),
        _fk(["supplier_id"], "purchases.supplier.id"),
        CheckConstraint(_in("status", BillStatus), name="status"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="paid"),
        Index("ix_vendor_bill_tenant_id_order_id", "tenant_id", "order_id"),
        Index("ix_vendor_bill_tenant_id_due_date", "tenant_id", "due_date"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    supplier_reference: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[uuid.UUID]
    supplier_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    bill_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    hold_reasons: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    untaxed: Mapped[Decimal] = _amount()
    tax: Mapped[Decimal] = _amount()
    total: Mapped[Decimal] = _amount()
    amount_paid: Mapped[Decimal] = _amount(server_default="0")
    created_by: Mapped[uuid.UUID | None]
    released_by: Mapped[uuid.UUID | None]
    released_at: Mapped[dt.datetime | None] = _moment()
    posted_at: Mapped[dt.datetime | None] = _moment()
    paid_at: Mapped[dt.datetime | None] = _moment()
    created_at: Mapped[dt.datetime] = _now()

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid


class VendorBillLine(Base):
    __tablename__ = "vendor_bill_line"
    __table_args__ = (
        _fk(["bill_id"], "purchases.vendor_bill.id"),
        _fk(["order_line_id"], "purchases.purchase_order_line.id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        Index("ix_vendor_bill_line_tenant_id_bill_id", "tenant_id", "bill_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bill_id: Mapped[uuid.UUID]
    order_line_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _amount()
    unit_cost: Mapped[Decimal] = _amount()
    tax_percent: Mapped[Decimal] = _percent()
    untaxed: Mapped[Decimal] = _amount()
    tax: Mapped[Decimal] = _amount()
    total: Mapped[Decimal] = _amount()
    ordered_qty: Mapped[Decimal] = _amount()
    received_qty: Mapped[Decimal] = _amount()
    ordered_unit_cost: Mapped[Decimal] = _amount()
    hold_reason: Mapped[str | None] = mapped_column(Text)


class BillPayment(Base):
    __tablename__ = "bill_payment"
    __table_args__ = (
        _fk(["bill_id"], "purchases.vendor_bill.id"),
        CheckConstraint("amount > 0", name="amount"),
        Index("ix_bill_payment_tenant_id_bill_id", "tenant_id", "bill_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    bill_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal] = _amount()
    date: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()


class LandedCost(Base):
    """Freight, duty, insurance... on goods received: `total` in base currency to the
    cent, allocated over the receipt's (or the order's) stockable lines; `costs` lists
    each charge as given (kind, amount, currency, baseAmount)."""

    __tablename__ = "landed_cost"
    __table_args__ = (
        _fk(["order_id"], "purchases.purchase_order.id"),
        _fk(["receipt_id"], "purchases.receipt.id"),
        CheckConstraint(
            "allocation IN (" + ", ".join(repr(str(a)) for a in LandedCostAllocation) + ")",
            name="allocation",
        ),
        CheckConstraint("total >= 0", name="total"),
        Index("ix_landed_cost_tenant_id_order_id", "tenant_id", "order_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    receipt_id: Mapped[uuid.UUID | None]
    allocation: Mapped[str] = mapped_column(String(16))
    costs: Mapped[list[dict[str, str]]] = mapped_column(JSONB)
    total: Mapped[Decimal] = _amount()
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()


class LandedCostLine(Base):
    """A received line's share of a landed cost, in base currency; the shares add up to
    the total exactly (the rounding remainder sits on the last line)."""

    __tablename__ = "landed_cost_line"
    __table_args__ = (
        _fk(["landed_cost_id"], "purchases.landed_cost.id"),
        _fk(["receipt_line_id"], "purchases.receipt_line.id"),
        Index("ix_landed_cost_line_tenant_id_landed_cost_id", "tenant_id", "landed_cost_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    landed_cost_id: Mapped[uuid.UUID]
    receipt_line_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    position: Mapped[int]
    amount: Mapped[Decimal] = _amount()
