"""Sales' GraphQL object types and enums; queries live in `schema.py`, mutations in
`mutations.py`.

Sales owns `SalesOrder` and `Invoice`, and extends CRM's `Customer` (order history and
figures) and stock's `Product` (sales stats); `SalesOrderLine.product` is a reference
that stock resolves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql import Money, context
from shared.pagination import Connection
from subgraphs.sales import invoicing, loaders, models
from subgraphs.sales.service import CENT

READ, WRITE = "sales:read", "sales:write"


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        # An id that is not ours finds nothing, like any other unknown id.
        return uuid.UUID(int=0)


def opt_uuid(value: str | None) -> uuid.UUID | None:
    return parse_uuid(value) if value is not None else None


def to_id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.enum
class SalesOrderStatus(Enum):
    QUOTATION = "QUOTATION"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class InvoicingStatus(Enum):
    NOT_INVOICED = "NOT_INVOICED"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"
    PAID = "PAID"


@strawberry.enum
class InvoiceKind(Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


@strawberry.enum
class InvoiceStatus(Enum):
    POSTED = "POSTED"
    PAID = "PAID"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class SalesOrderOrderField(Enum):
    NUMBER = "NUMBER"
    ORDER_DATE = "ORDER_DATE"
    TOTAL = "TOTAL"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class AnalyticsInterval(Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.enum
class AnalyticsGroupBy(Enum):
    NONE = "NONE"
    PRODUCT = "PRODUCT"
    CUSTOMER = "CUSTOMER"


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount.quantize(CENT), currency=currency)


# --- references to other subgraphs' entities ----------------------------------------


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class Warehouse:
    """A reference to stock's warehouse; stock resolves its fields."""

    id: strawberry.ID


@strawberry.type
class ProductSalesStats:
    quantity: Decimal
    revenue: Money = strawberry.field(description="Untaxed, in base currency.")
    order_count: int


@strawberry.federation.type(keys=["id"], description="Stock's product, with its sales.")
class Product:
    id: strawberry.ID

    @strawberry.field(description="Booked (confirmed, not cancelled) orders in the period.")
    async def sales_stats(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
    ) -> ProductSalesStats:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.product_figures(ctx).load((parse_uuid(self.id), from_, to))
        base = await loaders.base_currency(ctx).load("base")
        if figures is None:
            return ProductSalesStats(
                quantity=Decimal(0), revenue=money(Decimal(0), base), order_count=0
            )
        return ProductSalesStats(
            quantity=figures.quantity,
            revenue=money(figures.revenue, base),
            order_count=figures.order_count,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="CRM's customer, with its orders.")
class Customer:
    id: strawberry.ID

    @strawberry.field(description="Newest first.")
    async def orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        status: list[SalesOrderStatus] | None = None,
    ) -> Connection[SalesOrder]:
        ctx = context(info)
        ctx.require(READ)
        statuses = tuple(sorted(s.value for s in status or ()))
        page = await loaders.orders_by_customer(ctx).load(
            (parse_uuid(self.id), first, after, statuses)
        )
        return Connection.of(page, SalesOrder.from_model)

    @strawberry.field(description="Confirmed, not cancelled orders.")
    async def order_count(self, info: Info[Any, Any]) -> int:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(parse_uuid(self.id))
        return figures.order_count if figures else 0

    @strawberry.field(description="Untaxed value of booked orders, in base currency.")
    async def lifetime_value(self, info: Info[Any, Any]) -> Money:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(parse_uuid(self.id))
        base = await loaders.base_currency(ctx).load("base")
        return money(figures.lifetime_value if figures else Decimal(0), base)

    @strawberry.field
    async def last_order_at(self, info: Info[Any, Any]) -> dt.datetime | None:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(parse_uuid(self.id))
        return figures.last_order_at if figures else None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Customer:
        return cls(id=id)


# --- sales' own types ---------------------------------------------------------------


@strawberry.type
class TaxRate:
    id: strawberry.ID
    name: str
    percent: Decimal

    @classmethod
    def from_model(cls, r: models.TaxRate) -> TaxRate:
        return cls(id=to_id(r.id), name=r.name, percent=r.percent)


@strawberry.type
class ExchangeRate:
    currency: str
    date: dt.date
    rate: Decimal


@strawberry.type
class SalesOrderLine:
    id: strawberry.ID
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal = strawberry.field(description="Net of credit notes.")
    product_id: strawberry.Private[uuid.UUID]
    tax_rate_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, ln: models.SalesOrderLine, currency: str) -> SalesOrderLine:
        return cls(
            id=to_id(ln.id),
            position=ln.position,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent,
            tax_percent=ln.tax_percent,
            untaxed=money(ln.untaxed, currency),
            tax=money(ln.tax, currency),
            total=money(ln.total, currency),
            delivered_quantity=ln.delivered_qty,
            returned_quantity=ln.returned_qty,
            invoiced_quantity=ln.invoiced_qty,
            product_id=ln.product_id,
            tax_rate_id=ln.tax_rate_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))

    @strawberry.field
    async def tax_rate(self, info: Info[Any, Any]) -> TaxRate | None:
        if self.tax_rate_id is None:
            return None
        row = await loaders.tax_rates(context(info)).load(self.tax_rate_id)
        return TaxRate.from_model(row) if row else None


@strawberry.federation.type(keys=["id"], description="A quotation or a confirmed sales order.")
class SalesOrder:
    id: strawberry.ID
    number: str
    status: SalesOrderStatus
    invoice_status: InvoicingStatus
    currency: str
    order_date: dt.date
    exchange_rate: Decimal | None = strawberry.field(
        description="Base-currency value of one unit of `currency`, fixed at confirmation."
    )
    untaxed: Money
    tax: Money
    total: Money
    notes: str
    confirmed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    customer_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]
    salesperson_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, o: models.SalesOrder) -> SalesOrder:
        return cls(
            id=to_id(o.id),
            number=o.number,
            status=SalesOrderStatus(o.status),
            invoice_status=InvoicingStatus(o.invoice_status),
            currency=o.currency,
            order_date=o.order_date,
            exchange_rate=o.exchange_rate,
            untaxed=money(o.untaxed, o.currency),
            tax=money(o.tax, o.currency),
            total=money(o.total, o.currency),
            notes=o.notes,
            confirmed_at=o.confirmed_at,
            created_at=o.created_at,
            updated_at=o.updated_at,
            customer_id=o.customer_id,
            warehouse_id=o.warehouse_id,
            salesperson_id=o.salesperson_id,
        )

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=to_id(self.customer_id))

    @strawberry.field
    def warehouse(self) -> Warehouse:
        return Warehouse(id=to_id(self.warehouse_id))

    @strawberry.field
    def salesperson(self) -> User | None:
        return User(id=to_id(self.salesperson_id)) if self.salesperson_id else None

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[SalesOrderLine]:
        rows = await loaders.lines_by_order(context(info)).load(parse_uuid(self.id))
        return [SalesOrderLine.from_model(r, self.currency) for r in rows]

    @strawberry.field
    async def invoices(self, info: Info[Any, Any]) -> list[Invoice]:
        rows = await loaders.invoices_by_order(context(info)).load(parse_uuid(self.id))
        return [Invoice.from_model(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.orders(ctx).load(parse_uuid(id))
        return cls.from_model(row) if row else None


@strawberry.type
class InvoiceLine:
    id: strawberry.ID
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    product_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type
class Payment:
    id: strawberry.ID
    amount: Money
    date: dt.date
    created_at: dt.datetime


@strawberry.federation.type(keys=["id"], description="A posted invoice or credit note.")
class Invoice:
    id: strawberry.ID
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    currency: str
    invoice_date: dt.date
    untaxed: Money
    tax: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    reason: str
    posted_at: dt.datetime
    paid_at: dt.datetime | None
    order_id: strawberry.Private[uuid.UUID]
    customer_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, i: models.Invoice) -> Invoice:
        return cls(
            id=to_id(i.id),
            number=i.number,
            kind=InvoiceKind(i.kind),
            status=InvoiceStatus(i.status),
            currency=i.currency,
            invoice_date=i.invoice_date,
            untaxed=money(i.untaxed, i.currency),
            tax=money(i.tax, i.currency),
            total=money(i.total, i.currency),
            amount_paid=money(i.amount_paid, i.currency),
            amount_due=money(invoicing.amount_due(i), i.currency),
            reason=i.reason,
            posted_at=i.posted_at,
            paid_at=i.paid_at,
            order_id=i.order_id,
            customer_id=i.customer_id,
        )

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=to_id(self.customer_id))

    @strawberry.field
    async def order(self, info: Info[Any, Any]) -> SalesOrder:
        row = await loaders.orders(context(info)).load(self.order_id)
        assert row is not None
        return SalesOrder.from_model(row)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[InvoiceLine]:
        rows = await loaders.lines_by_invoice(context(info)).load(parse_uuid(self.id))
        return [
            InvoiceLine(
                id=to_id(r.id),
                quantity=r.quantity,
                unit_price=r.unit_price,
                discount_percent=r.discount_percent,
                tax_percent=r.tax_percent,
                untaxed=money(r.untaxed, self.currency),
                tax=money(r.tax, self.currency),
                total=money(r.total, self.currency),
                product_id=r.product_id,
            )
            for r in rows
        ]

    @strawberry.field
    async def payments(self, info: Info[Any, Any]) -> list[Payment]:
        rows = await loaders.payments_by_invoice(context(info)).load(parse_uuid(self.id))
        return [payment_of(r, self.currency) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Invoice | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.invoices(ctx).load(parse_uuid(id))
        return cls.from_model(row) if row else None


def payment_of(p: models.Payment, currency: str) -> Payment:
    return Payment(
        id=to_id(p.id), amount=money(p.amount, currency), date=p.date, created_at=p.created_at
    )


@strawberry.type
class SalesPipelineStage:
    state: SalesOrderStatus
    count: int
    amount: Money = strawberry.field(description="Untaxed, in base currency.")


@strawberry.type
class AnalyticsBucket:
    period: dt.date = strawberry.field(description="First day of the bucket.")
    revenue: Money = strawberry.field(description="Untaxed, in base currency.")
    quantity: Decimal
    order_count: int
    average_order_value: Money
    key: strawberry.Private[uuid.UUID | None]
    group_by: strawberry.Private[str]

    @strawberry.field(description="Set when grouped by product.")
    def product(self) -> Product | None:
        return Product(id=to_id(self.key)) if self.key and self.group_by == "PRODUCT" else None

    @strawberry.field(description="Set when grouped by customer.")
    def customer(self) -> Customer | None:
        return Customer(id=to_id(self.key)) if self.key and self.group_by == "CUSTOMER" else None


@strawberry.type
class TopCustomer:
    customer: Customer
    revenue: Money
    order_count: int


@strawberry.type
class TopProduct:
    product: Product
    revenue: Money
    quantity: Decimal
    order_count: int


TYPES = [SalesOrder, Invoice, Customer, Product, User, Warehouse]
