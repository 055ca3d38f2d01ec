"""Tables of the `sales` schema.

Orders reference CRM's customers and stock's products and warehouses with composite
foreign keys led by `tenant_id`, so a cross-tenant reference cannot exist. Posted
invoices are immutable (a trigger in the migration allows only payment progress).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
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
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "sales"


class OrderState(StrEnum):
    """Where a sales order stands: a quotation until confirmed, then delivery progress."""

    QUOTATION = "QUOTATION"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


EDITABLE = (OrderState.QUOTATION, OrderState.SENT)
"""Quotations: the only orders whose lines may change."""
OPEN = (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED)
"""Confirmed orders with goods still to deliver (they hold reservations)."""
BOOKED = (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED, OrderState.DELIVERED)
"""Orders that count as sales: confirmed and not cancelled."""


class InvoicingStatus(StrEnum):
    """How much of an order is invoiced, and whether its invoices are paid."""

    NOT_INVOICED = "NOT_INVOICED"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"
    PAID = "PAID"
    REFUND_DUE = "REFUND_DUE"
    """A credit note of the order is neither refunded nor applied: the company owes the
    customer, so the order is not PAID whatever its invoices say."""


class InvoiceKind(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class InvoiceStatus(StrEnum):
    """POSTED while anything is due; PAID once settled (an invoice by payments and applied
    credit, a credit note by refunds and applications)."""

    POSTED = "POSTED"
    PAID = "PAID"


class PaymentKind(StrEnum):
    """A payment's direction: money received on an invoice, or paid back on a credit note."""

    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


class ReturnCondition(StrEnum):
    """The state returned goods arrive in, which decides where they go (`RETURN_KIND`)."""

    RESELLABLE = "RESELLABLE"
    INSPECT = "INSPECT"
    DAMAGED = "DAMAGED"


class DocumentKind(StrEnum):
    """The numbered document kinds (`Counter.kind`), each with its own number series."""

    ORDER = "ORDER"
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


def _money(**kw: Any) -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 4), **kw)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now() -> Mapped[dt.datetime]:
    # Set in Python too, so a flushed row needs no round trip to read its timestamp.
    return mapped_column(DateTime(timezone=True), server_default=func.now(), default=_utcnow)


def _in(column: str, values: type[StrEnum]) -> str:
    """`status IN ('A', 'B')` from the enum, in its declaration order (the migration's text)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _fk(columns: list[str], target: str) -> ForeignKeyConstraint:
    schema_table, _, _ = target.rpartition(".")
    return ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{schema_table}.tenant_id", f"{schema_table}.id"]
    )


class TaxRate(Base):
    __tablename__ = "tax_rate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    created_at: Mapped[dt.datetime] = _now()


class ExchangeRate(Base):
    """One unit of `currency` in the tenant's base currency, on `date`."""

    __tablename__ = "exchange_rate"
    __table_args__ = (CheckConstraint("rate > 0", name="rate"), {"schema": SCHEMA})

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))


class Counter(Base):
    """The last number issued per document kind and year; its row lock makes numbering
    gapless (a sequence would leave gaps on rollback)."""

    __tablename__ = "counter"
    __table_args__ = ({"schema": SCHEMA},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class SalesOrder(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        _fk(["customer_id"], "crm.customer.id"),
        _fk(["warehouse_id"], "stock.warehouse.id"),
        CheckConstraint(_in("status", OrderState), name="status"),
        CheckConstraint(_in("invoice_status", InvoicingStatus), name="invoice_status"),
        Index(
            "ix_sales_order_tenant_id_customer_id_order_date",
            "tenant_id",
            "customer_id",
            "order_date",
        ),
        Index("ix_sales_order_tenant_id_order_date", "tenant_id", "order_date"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID]
    warehouse_id: Mapped[uuid.UUID]
    salesperson_id: Mapped[uuid.UUID | None]
    currency: Mapped[str] = mapped_column(String(3))
    order_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), server_default=OrderState.QUOTATION.value)
    invoice_status: Mapped[str] = mapped_column(
        String(24), server_default=InvoicingStatus.NOT_INVOICED.value
    )
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    untaxed: Mapped[Decimal] = _money(server_default="0")
    tax: Mapped[Decimal] = _money(server_default="0")
    total: Mapped[Decimal] = _money(server_default="0")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_utcnow, onupdate=_utcnow
    )


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        _fk(["order_id"], "sales.sales_order.id"),
        _fk(["product_id"], "stock.product.id"),
        _fk(["tax_rate_id"], "sales.tax_rate.id"),
        UniqueConstraint("tenant_id", "order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="discount"),
        CheckConstraint(
            "delivered_qty >= 0 AND delivered_qty <= quantity"
            " AND returned_qty >= 0 AND returned_qty <= delivered_qty"
            " AND invoiced_qty >= 0 AND invoiced_qty <= delivered_qty - returned_qty",
            name="progress",
        ),
        Index("ix_sales_order_line_tenant_id_product_id", "tenant_id", "product_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID]
    product_type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, server_default="")
    quantity: Mapped[Decimal] = _money()
    unit_price: Mapped[Decimal] = _money()
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), server_default="0")
    tax_rate_id: Mapped[uuid.UUID | None]
    tax_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4), server_default="0")
    untaxed: Mapped[Decimal] = _money()
    tax: Mapped[Decimal] = _money()
    total: Mapped[Decimal] = _money()
    price_currency: Mapped[str | None] = mapped_column(String(3))
    """The currency of the product price the unit price came from; None when entered."""
    price_exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    """Order-currency units per unit of `price_currency` used (1 for the same currency)."""
    delivered_qty: Mapped[Decimal] = _money(server_default="0")
    returned_qty: Mapped[Decimal] = _money(server_default="0")
    invoiced_qty: Mapped[Decimal] = _money(server_default="0")


class Invoice(Base):
    """An invoice or a credit note; posted on creation and immutable thereafter except
    for payment progress (`amount_paid`, `status`, `paid_at`)."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        _fk(["order_id"], "sales.sales_order.id"),
        _fk(["customer_id"], "crm.customer.id"),
        CheckConstraint(_in("kind", InvoiceKind), name="kind"),
        CheckConstraint(_in("status", InvoiceStatus), name="status"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="paid"),
        CheckConstraint("due_date >= invoice_date", name="due_date"),
        Index("ix_invoice_tenant_id_order_id", "tenant_id", "order_id"),
        Index("ix_invoice_tenant_id_customer_id", "tenant_id", "customer_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default=InvoiceStatus.POSTED.value)
    order_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    untaxed: Mapped[Decimal] = _money()
    tax: Mapped[Decimal] = _money()
    total: Mapped[Decimal] = _money()
    amount_paid: Mapped[Decimal] = _money(server_default="0")
    """Settled so far: payments (refunds for a credit note) plus credit applied."""
    reason: Mapped[str] = mapped_column(Text, server_default="")
    posted_at: Mapped[dt.datetime] = _now()
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        _fk(["invoice_id"], "sales.invoice.id"),
        _fk(["order_line_id"], "sales.sales_order_line.id"),
        Index("ix_invoice_line_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID]
    order_line_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _money()
    unit_price: Mapped[Decimal] = _money()
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    tax_percent: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    untaxed: Mapped[Decimal] = _money()
    tax: Mapped[Decimal] = _money()
    total: Mapped[Decimal] = _money()


class Payment(Base):
    """Money received on an invoice (PAYMENT) or paid back on a credit note (REFUND)."""

    __tablename__ = "payment"
    __table_args__ = (
        _fk(["invoice_id"], "sales.invoice.id"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(_in("kind", PaymentKind), name="kind"),
        Index("ix_payment_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16), server_default=PaymentKind.PAYMENT.value)
    amount: Mapped[Decimal] = _money()
    date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()


class CreditApplication(Base):
    """Part of a credit note set against an open invoice of the same customer: both
    documents' `amount_paid` grow by `amount`."""

    __tablename__ = "credit_application"
    __table_args__ = (
        _fk(["credit_note_id"], "sales.invoice.id"),
        _fk(["invoice_id"], "sales.invoice.id"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("credit_note_id <> invoice_id", name="distinct"),
        Index("ix_credit_application_tenant_id_credit_note_id", "tenant_id", "credit_note_id"),
        Index("ix_credit_application_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    credit_note_id: Mapped[uuid.UUID]
    invoice_id: Mapped[uuid.UUID]
    amount: Mapped[Decimal] = _money()
    date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()


class SalesSettings(Base):
    """Per-tenant sales defaults: the warehouse a new order ships from."""

    __tablename__ = "sales_settings"
    __table_args__ = (_fk(["default_warehouse_id"], "stock.warehouse.id"), {"schema": SCHEMA})

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    default_warehouse_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=_utcnow, onupdate=_utcnow
    )


class SalesReturn(Base):
    __tablename__ = "sales_return"
    __table_args__ = (
        _fk(["order_id"], "sales.sales_order.id"),
        _fk(["credit_note_id"], "sales.invoice.id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(Text)
    credit_note_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()


class SalesReturnLine(Base):
    __tablename__ = "sales_return_line"
    __table_args__ = (
        _fk(["return_id"], "sales.sales_return.id"),
        _fk(["order_line_id"], "sales.sales_order_line.id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(_in("condition", ReturnCondition), name="condition"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    return_id: Mapped[uuid.UUID]
    order_line_id: Mapped[uuid.UUID]
    quantity: Mapped[Decimal] = _money()
    condition: Mapped[str] = mapped_column(
        String(16), server_default=ReturnCondition.RESELLABLE.value
    )
